import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError, Priority, ReportSnapshot, TaskRole, TaskStatus, UnitType } from '@app/contracts';
import { allowedCommands, allowedTaskCommands, CaseState, slaView, SlaView } from '../domain';
import { S } from '../dispatch.config';
import { decodeCaseState, decodeSlaState } from './case-codec';
import type { TaskRow as TaskTableRow, WriteReadBack } from './case.repository';
import { taskSummaryFor, TimelineAudience } from './lifecycle.mapper';

type Db = EntityManager | DataSource;

export interface TaskRowView {
  taskId: string;
  caseId: string;
  unitId: string;
  unitType: UnitType;
  unitName?: string;
  role: TaskRole;
  status: TaskStatus;
  assignedAt: string;
  acceptedAt?: string;
  endedAt?: string;
  acceptBy?: string;
  resolveBy?: string;
  updatedAt: string;
  sla?: SlaView;
}

export interface TimelineEntryView {
  id: string;
  at: string;
  actorKind: string;
  actorId?: string;
  eventType: string;
  visibility: TimelineAudience[];
  taskId?: string;
  unitId?: string;
  note?: string;
  residentNote?: string;
  data?: Record<string, unknown>;
}

type TaskRow = TaskTableRow & { sla?: unknown };

const iso = (d: Date | null | undefined): string | undefined => (d ? new Date(d).toISOString() : undefined);

export function taskRowView(r: TaskRow, now = new Date()): TaskRowView {
  return {
    taskId: r.task_id,
    caseId: r.case_id,
    unitId: r.unit_id,
    unitType: r.unit_type,
    ...(r.unit_name ? { unitName: r.unit_name } : {}),
    role: r.role,
    status: r.status,
    assignedAt: iso(r.assigned_at)!,
    ...(r.accepted_at ? { acceptedAt: iso(r.accepted_at) } : {}),
    ...(r.ended_at ? { endedAt: iso(r.ended_at) } : {}),
    ...(r.accept_by ? { acceptBy: iso(r.accept_by) } : {}),
    ...(r.resolve_by ? { resolveBy: iso(r.resolve_by) } : {}),
    updatedAt: iso(r.updated_at)!,
    ...(r.sla ? { sla: slaView(decodeSlaState(r.sla), now) } : {}),
  };
}

interface CaseRow {
  case_id: string;
  reference: string;
  status: string;
  priority: Priority;
  category_code: string | null;
  lead_unit_id: string | null;
  mandatory_report: string | null;
  triage_reason: string | null;
  supervision_flagged: boolean;
  report: ReportSnapshot;
  state: unknown;
  routing_attempt: number;
  auto_close_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Read models of cases and tasks for the center and for partner units. */
@Injectable()
export class CaseViews {
  constructor(private readonly dataSource: DataSource) {}

  /** The center's view: everything, the reporter included. */
  async centerCase(db: Db, caseId: string): Promise<Record<string, unknown>> {
    const [row] = (await db.query(`SELECT * FROM ${S}.cases WHERE case_id = $1`, [caseId])) as CaseRow[];
    if (!row) throw new NotFoundError('Case', 'DISPATCH.CASE_NOT_FOUND');
    const state = decodeCaseState(row.state);
    const tasks = (await db.query(
      `SELECT t.*, s.sla FROM ${S}.tasks t LEFT JOIN ${S}.task_sla s ON s.task_id = t.task_id WHERE t.case_id = $1 ORDER BY t.assigned_at, t.task_id`,
      [caseId],
    )) as TaskRow[];
    return {
      ...this.caseSummary(row, state),
      report: row.report,
      tasks: tasks.map((t) => ({
        ...taskRowView(t),
        allowedCommands: allowedTaskCommands(state, t.task_id),
      })),
      returnedUnitIds: state.returnedUnitIds,
      returnCount: state.returnCount,
      reopenCount: state.reopenCount,
      ...(state.pendingExtension
        ? {
            pendingExtension: {
              ...state.pendingExtension,
              requestedDueAt: state.pendingExtension.requestedDueAt.toISOString(),
              requestedAt: state.pendingExtension.requestedAt.toISOString(),
            },
          }
        : {}),
      ...(state.resolution
        ? { resolution: { ...state.resolution, resolvedAt: state.resolution.resolvedAt.toISOString() } }
        : {}),
      ...(state.awaitingResidentSince
        ? { awaitingResidentSince: state.awaitingResidentSince.toISOString() }
        : {}),
      allowedCommands: allowedCommands(state),
    };
  }

  caseSummary(row: CaseRow, state?: CaseState): Record<string, unknown> {
    const s = state ?? decodeCaseState(row.state);
    return {
      caseId: row.case_id,
      reference: row.reference,
      status: row.status,
      priority: row.priority,
      ...(row.category_code ? { categoryCode: row.category_code } : {}),
      ...(row.lead_unit_id ? { leadUnitId: row.lead_unit_id } : {}),
      ...(row.mandatory_report ? { mandatoryReport: row.mandatory_report } : {}),
      ...(row.triage_reason ? { triageReason: row.triage_reason } : {}),
      supervisionFlagged: row.supervision_flagged,
      description: row.report.description,
      location: row.report.location,
      routingAttempt: row.routing_attempt,
      ...(s.closedHow ? { closedHow: s.closedHow, closedAt: s.closedAt?.toISOString() } : {}),
      ...(s.satisfaction ? { satisfaction: s.satisfaction } : {}),
      ...(s.mergedInto ? { mergedInto: s.mergedInto } : {}),
      ...(row.auto_close_at ? { autoCloseAt: iso(row.auto_close_at) } : {}),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  }

  /** A unit's view of its own task; 404 for a task of another unit. Confidentiality applied. */
  async partnerTask(
    db: Db,
    unit: { unitId: string; unitType: UnitType },
    taskId: string,
  ): Promise<Record<string, unknown>> {
    // One round trip: the task, its case and clock, and the unit's view of the timeline.
    const [t] = (await db.query(
      `SELECT t.*, s.sla, c.status AS case_status, c.priority, c.category_code, c.report, c.state,
              (SELECT COALESCE(json_agg(json_build_object(${TIMELINE_JSON}) ORDER BY tl.id), '[]'::json)
                 FROM ${S}.timeline tl
                WHERE tl.case_id = t.case_id AND ${PARTNER_SEES('tl', '$2')}) AS timeline_rows
         FROM ${S}.tasks t JOIN ${S}.cases c ON c.case_id = t.case_id LEFT JOIN ${S}.task_sla s ON s.task_id = t.task_id
        WHERE t.task_id = $1 AND t.unit_id = $2`,
      [taskId, unit.unitId],
    )) as (TaskRow & {
      case_status: string;
      priority: Priority;
      category_code: string | null;
      report: ReportSnapshot;
      state: unknown;
      timeline_rows: TimelineRow[];
    })[];
    if (!t) throw new NotFoundError('Task', 'DISPATCH.TASK_NOT_FOUND');
    return partnerTaskView(unit, taskId, {
      task: t,
      caseStatus: t.case_status,
      priority: t.priority,
      categoryCode: t.category_code ?? undefined,
      report: t.report,
      state: decodeCaseState(t.state),
      timeline: t.timeline_rows,
    });
  }

  /**
   * The unit's view of its task as a transition leaves it, read by the transition's own statement
   * (CaseWorkflow.apply's `readBack`): the task row and clock as written, the timeline with the
   * new entries. Pass the statement's answer and state to `partnerTaskAfter`.
   */
  partnerTaskReadBack(unit: { unitId: string }, taskId: string, caseId: string): WriteReadBack {
    return (offset) => {
      const [task, unitId, kase] = [`$${offset + 1}::uuid`, `$${offset + 2}::text`, `$${offset + 3}::uuid`];
      const cols = TIMELINE_COLUMNS;
      return {
        sql: `SELECT
          COALESCE((SELECT to_jsonb(x) FROM changed_tasks x WHERE x.task_id = ${task}),
                   (SELECT to_jsonb(t) FROM ${S}.tasks t WHERE t.task_id = ${task} AND t.unit_id = ${unitId})) AS task,
          COALESCE((SELECT x.sla FROM changed_slas x WHERE x.task_id = ${task}),
                   (SELECT s.sla FROM ${S}.task_sla s WHERE s.task_id = ${task})) AS sla,
          (SELECT COALESCE(json_agg(json_build_object(${TIMELINE_JSON}) ORDER BY tl.id), '[]'::json)
             FROM (SELECT ${cols} FROM ${S}.timeline tl WHERE tl.case_id = ${kase} AND ${PARTNER_SEES('tl', unitId)}
                   UNION ALL
                   SELECT ${cols} FROM timeline tl WHERE ${PARTNER_SEES('tl', unitId)}) tl) AS timeline_rows`,
        params: [taskId, unit.unitId, caseId],
      };
    };
  }

  /** The view from `partnerTaskReadBack`'s answer; the case as the transition left it. */
  partnerTaskAfter(
    unit: { unitId: string; unitType: UnitType },
    taskId: string,
    answer: Record<string, unknown> | undefined,
    after: { state: CaseState; report: ReportSnapshot },
  ): Record<string, unknown> {
    const task = answer?.task as TaskTableRow | null | undefined;
    if (!task || task.unit_id !== unit.unitId) throw new NotFoundError('Task', 'DISPATCH.TASK_NOT_FOUND');
    return partnerTaskView(unit, taskId, {
      task: { ...task, ...(answer?.sla ? { sla: answer.sla } : {}) },
      caseStatus: after.state.status,
      priority: after.state.priority,
      categoryCode: after.state.categoryCode,
      report: after.report,
      state: after.state,
      timeline: answer?.timeline_rows as TimelineRow[],
    });
  }

  async partnerTaskList(
    unit: { unitId: string; unitType: UnitType },
    q: { statuses?: string[]; updatedSince?: Date; after?: { at: Date; id: string }; limit: number },
  ): Promise<{ items: Record<string, unknown>[]; nextCursor?: string }> {
    const params: unknown[] = [unit.unitId];
    const where = ['t.unit_id = $1'];
    if (q.statuses?.length) {
      params.push(q.statuses);
      where.push(`t.status = ANY($${params.length}::text[])`);
    }
    if (q.updatedSince) {
      params.push(q.updatedSince);
      where.push(`t.updated_at >= $${params.length}`);
    }
    if (q.after) {
      params.push(q.after.at, q.after.id);
      where.push(`(t.updated_at, t.task_id) > ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(q.limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT t.*, c.reference, c.status AS case_status, c.priority, c.category_code, c.report
         FROM ${S}.tasks t JOIN ${S}.cases c ON c.case_id = t.case_id
        WHERE ${where.join(' AND ')} ORDER BY t.updated_at, t.task_id LIMIT $${params.length}`,
      params,
    )) as (TaskRow & {
      reference: string;
      case_status: string;
      priority: Priority;
      category_code: string | null;
      report: ReportSnapshot;
    })[];
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((t) => ({
        ...taskRowView(t),
        case: {
          status: t.case_status,
          ...taskSummaryFor(t.report, unit.unitType, t.priority, t.category_code ?? undefined),
        },
      })),
      ...(rows.length > q.limit && last
        ? { nextCursor: encodeCursor(new Date(last.updated_at), last.task_id) }
        : {}),
    };
  }

  async timeline(
    db: Db,
    caseId: string,
    audience: TimelineAudience,
    unitId?: string,
  ): Promise<TimelineEntryView[]> {
    const params: unknown[] = [caseId, audience];
    let unitFilter = '';
    if (audience === 'partner') {
      params.push(unitId ?? '');
      unitFilter = ` AND (unit_id IS NULL OR unit_id = $3)`;
    }
    const rows = (await db.query(
      `SELECT id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note, resident_note, data
         FROM ${S}.timeline WHERE case_id = $1 AND $2 = ANY(visibility)${unitFilter} ORDER BY id`,
      params,
    )) as TimelineRow[];
    return rows.map((r) => timelineEntryView(r, audience));
  }
}

interface TimelineRow {
  id: string | number;
  at: Date | string;
  actor_kind: string;
  actor_id: string | null;
  event_type: string;
  visibility: TimelineAudience[];
  task_id: string | null;
  unit_id: string | null;
  note: string | null;
  resident_note: string | null;
  data: Record<string, unknown>;
}

/** A timeline row as JSON (for views that read it in the same statement as the rest). */
const TIMELINE_JSON = `'id', tl.id, 'at', tl.at, 'actor_kind', tl.actor_kind, 'actor_id', tl.actor_id,
  'event_type', tl.event_type, 'visibility', tl.visibility, 'task_id', tl.task_id, 'unit_id', tl.unit_id,
  'note', tl.note, 'resident_note', tl.resident_note, 'data', tl.data`;
const TIMELINE_COLUMNS =
  'id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note, resident_note, data';

/** The timeline entries a partner unit sees: partner-visible, and not about another unit. */
const PARTNER_SEES = (alias: string, unitParam: string) =>
  `'partner' = ANY(${alias}.visibility) AND (${alias}.unit_id IS NULL OR ${alias}.unit_id = ${unitParam})`;

/** A unit's view of its own task, from the rows it is made of. Confidentiality applied. */
function partnerTaskView(
  unit: { unitId: string; unitType: UnitType },
  taskId: string,
  src: {
    task: TaskRow;
    caseStatus: string;
    priority: Priority;
    categoryCode: string | undefined;
    report: ReportSnapshot;
    state: CaseState;
    timeline: TimelineRow[];
  },
): Record<string, unknown> {
  const { state, report } = src;
  const pending = state.pendingExtension?.taskId === taskId ? state.pendingExtension : undefined;
  return {
    ...taskRowView(src.task),
    case: {
      status: src.caseStatus,
      ...taskSummaryFor(report, unit.unitType, src.priority, src.categoryCode),
      media: report.media,
      reportedAt: report.reportedAt,
    },
    allowedActions: allowedTaskCommands(state, taskId).filter((c) => c !== 'release_support'),
    ...(pending
      ? {
          pendingExtension: {
            requestedDueAt: pending.requestedDueAt.toISOString(),
            reason: pending.reason,
            requestedAt: pending.requestedAt.toISOString(),
          },
        }
      : {}),
    timeline: src.timeline.map((r) => timelineEntryView(r, 'partner')),
  };
}

function timelineEntryView(r: TimelineRow, audience: TimelineAudience): TimelineEntryView {
  return {
    id: String(r.id),
    at: new Date(r.at).toISOString(),
    actorKind: r.actor_kind,
    // Residents see who acted only as a kind (unit/staff/system), never a staff id.
    ...(r.actor_id && audience !== 'resident' ? { actorId: r.actor_id } : {}),
    eventType: r.event_type,
    visibility: r.visibility,
    ...(r.task_id && audience !== 'resident' ? { taskId: r.task_id } : {}),
    ...(r.unit_id ? { unitId: r.unit_id } : {}),
    ...(audience === 'resident'
      ? r.resident_note
        ? { note: r.resident_note }
        : {}
      : {
          ...(r.note ? { note: r.note } : {}),
          ...(r.resident_note ? { residentNote: r.resident_note } : {}),
        }),
    ...(audience === 'center' ? { data: r.data } : {}),
  };
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id })).toString('base64url');
}

export function decodeCursor(cursor: string): { at: Date; id: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    if (typeof v.at !== 'string' || typeof v.id !== 'string') return undefined;
    const at = new Date(v.at);
    if (Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(v.id)) return undefined;
    return { at, id: v.id };
  } catch {
    return undefined;
  }
}
