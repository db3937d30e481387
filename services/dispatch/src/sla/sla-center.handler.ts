import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  CaseLifecyclePayload,
  DomainError,
  EscalationAction,
  NotFoundError,
  SlaDeadlineKind,
  Topic,
  ValidationFailedError,
} from '@app/contracts';
import type { WorkContext } from '@app/observability';
import { slaView } from '../domain';
import { CaseEventsPublisher, CaseRepository, MutationRunner } from '../cases';
import { decodeSlaState } from '../cases/case-codec';
import type { StaffPrincipal } from '../auth';
import { S } from '../dispatch.config';
import type {
  AcknowledgeEscalationDto,
  BreachDto,
  BreachesQuery,
  BreachPageDto,
  CaseSlaDto,
  EscalationDto,
  EscalationPageDto,
  EscalationsQuery,
} from './sla-center.dto';

export const SLA_ERRORS = {
  EscalationNotFound: 'SLA.ESCALATION_NOT_FOUND',
  AlreadyAcknowledged: 'SLA.ESCALATION_ALREADY_ACKNOWLEDGED',
  CaseNotFound: 'DISPATCH.CASE_NOT_FOUND',
} as const;

interface EscalationRow {
  escalation_id: string;
  breach_id: string | null;
  case_id: string;
  reference?: string;
  task_id: string;
  unit_id: string;
  deadline: SlaDeadlineKind;
  due_at: Date;
  step: number;
  action: EscalationAction;
  fired_at: Date;
  late_by_seconds: number;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  acknowledge_note: string | null;
}

interface BreachRow {
  breach_id: string;
  case_id: string;
  reference: string;
  case_status: string;
  priority: string;
  category_code: string | null;
  grid_code: string | null;
  supervision_flagged: boolean;
  task_id: string;
  unit_id: string;
  unit_name: string | null;
  deadline: SlaDeadlineKind;
  due_at: Date;
  breached_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
}

const iso = (d: Date): string => new Date(d).toISOString();

interface Cursor {
  at: Date;
  id: string;
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: iso(at), id })).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    const at = typeof v.at === 'string' ? new Date(v.at) : undefined;
    if (at && !Number.isNaN(at.getTime()) && typeof v.id === 'string' && /^[0-9a-f-]{36}$/i.test(v.id))
      return { at, id: v.id };
  } catch {
    // fall through
  }
  throw new ValidationFailedError('Invalid request: check cursor', [
    { field: 'cursor', problems: ['cursor must be the nextCursor of a previous page'] },
  ]);
}

const BREACH_COLUMNS = `b.breach_id, b.case_id, c.reference, c.status AS case_status, c.priority, c.category_code, c.grid_code,
  c.supervision_flagged, b.task_id, b.unit_id, t.unit_name, b.deadline, b.due_at, b.breached_at, b.resolved_at, b.resolution`;
const BREACH_FROM = `${S}.sla_breaches b JOIN ${S}.cases c ON c.case_id = b.case_id JOIN ${S}.tasks t ON t.task_id = b.task_id`;

/** The center's SLA views (breaches, escalations, a case's clocks) and acknowledging an escalation. */
@Injectable()
export class SlaCenterHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CaseRepository,
    private readonly runner: MutationRunner,
    private readonly events: CaseEventsPublisher,
  ) {}

  /** Open breaches, oldest deadline first, with their escalation steps. */
  async breaches(q: BreachesQuery, now = new Date()): Promise<BreachPageDto> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor);
    const params: unknown[] = [];
    const where = ['b.resolved_at IS NULL'];
    const add = (value: unknown, clause: (p: string) => string) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (q.unitId) add(q.unitId, (p) => `b.unit_id = ${p}`);
    if (q.categoryCode) add(q.categoryCode, (p) => `c.category_code = ${p}`);
    if (q.areaCode)
      add(q.areaCode, (p) => `(c.grid_code = ${p} OR c.building_code = ${p} OR c.community_code = ${p})`);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(b.due_at, b.breach_id) > ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT ${BREACH_COLUMNS} FROM ${BREACH_FROM} WHERE ${where.join(' AND ')}
        ORDER BY b.due_at, b.breach_id LIMIT $${params.length}`,
      params,
    )) as BreachRow[];
    const page = rows.slice(0, limit);
    const items = await this.withEscalations(this.dataSource, page, now);
    const last = page[page.length - 1];
    return {
      items,
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.due_at, last.breach_id) } : {}),
    };
  }

  /** Fired escalation steps, unacknowledged by default, oldest first. */
  async escalations(q: EscalationsQuery): Promise<EscalationPageDto> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor);
    const params: unknown[] = [];
    const where = [q.acknowledged === 'true' ? 'e.acknowledged_at IS NOT NULL' : 'e.acknowledged_at IS NULL'];
    if (q.unitId) {
      params.push(q.unitId);
      where.push(`e.unit_id = $${params.length}`);
    }
    if (q.caseId) {
      params.push(q.caseId);
      where.push(`e.case_id = $${params.length}::uuid`);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(e.fired_at, e.escalation_id) > ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT e.*, c.reference FROM ${S}.sla_escalations e JOIN ${S}.cases c ON c.case_id = e.case_id
        WHERE ${where.join(' AND ')} ORDER BY e.fired_at, e.escalation_id LIMIT $${params.length}`,
      params,
    )) as EscalationRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(escalationView),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.fired_at, last.escalation_id) } : {}),
    };
  }

  /** Per task: deadlines, paused time, remaining or overdue; and every breach of the case. */
  async caseSla(caseId: string, now = new Date()): Promise<CaseSlaDto> {
    const exists = (await this.dataSource.query(`SELECT 1 FROM ${S}.cases WHERE case_id = $1`, [
      caseId,
    ])) as unknown[];
    if (!exists.length) throw new NotFoundError('Case', SLA_ERRORS.CaseNotFound);
    const tasks = (await this.dataSource.query(
      `SELECT t.task_id, t.unit_id, t.role, t.status, s.sla FROM ${S}.tasks t JOIN ${S}.task_sla s ON s.task_id = t.task_id
        WHERE t.case_id = $1 ORDER BY t.assigned_at, t.task_id`,
      [caseId],
    )) as { task_id: string; unit_id: string; role: string; status: string; sla: unknown }[];
    const breaches = (await this.dataSource.query(
      `SELECT ${BREACH_COLUMNS} FROM ${BREACH_FROM} WHERE b.case_id = $1 ORDER BY b.due_at, b.breach_id`,
      [caseId],
    )) as BreachRow[];
    return {
      caseId,
      at: now.toISOString(),
      tasks: tasks.map((t) => ({
        taskId: t.task_id,
        unitId: t.unit_id,
        role: t.role,
        status: t.status,
        sla: slaView(decodeSlaState(t.sla), now) as unknown as Record<string, unknown>,
      })),
      breaches: await this.withEscalations(this.dataSource, breaches, now),
    };
  }

  /** A supervisor acknowledges a fired escalation step: recorded once, timeline and event. */
  async acknowledge(
    staff: StaffPrincipal,
    escalationId: string,
    body: AcknowledgeEscalationDto,
    key: string | undefined,
    work: WorkContext,
  ): Promise<{ body: EscalationDto; replayed: boolean }> {
    return this.runner.run(
      work,
      `sla-ack:${staff.staffId}`,
      key,
      { escalationId, ...body },
      async (manager) => {
        const [found] = (await manager.query(
          `SELECT case_id FROM ${S}.sla_escalations WHERE escalation_id = $1`,
          [escalationId],
        )) as { case_id: string }[];
        if (!found) throw new NotFoundError('Escalation', SLA_ERRORS.EscalationNotFound);
        // The case row first (the lock order of every case change), then the escalation.
        const loaded = await this.cases.lock(manager, found.case_id);
        if (!loaded) throw new NotFoundError('Case', SLA_ERRORS.CaseNotFound);
        const now = new Date();
        const [row] = (await manager.query(
          `SELECT * FROM ${S}.sla_escalations WHERE escalation_id = $1 FOR UPDATE`,
          [escalationId],
        )) as EscalationRow[];
        if (row.acknowledged_at) {
          throw new DomainError(
            SLA_ERRORS.AlreadyAcknowledged,
            'This escalation was already acknowledged',
            { acknowledgedBy: row.acknowledged_by, acknowledgedAt: iso(row.acknowledged_at) },
            409,
          );
        }
        await manager.query(
          `UPDATE ${S}.sla_escalations SET acknowledged_by = $2, acknowledged_at = $3, acknowledge_note = $4
          WHERE escalation_id = $1`,
          [escalationId, staff.username, now, body.note ?? null],
        );
        const updated: EscalationRow = {
          ...row,
          acknowledged_by: staff.username,
          acknowledged_at: now,
          acknowledge_note: body.note ?? null,
        };
        const note =
          `Escalation step ${row.step + 1} (${row.action}) on the ${row.deadline} deadline acknowledged by ${staff.displayName}` +
          (body.note ? `: ${body.note}` : '');
        await manager.query(
          `INSERT INTO ${S}.timeline (case_id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note, data)
         VALUES ($1, $2, 'staff', $3, 'case.escalation-acknowledged', $4, $5, $6, $7, $8::jsonb)`,
          [
            row.case_id,
            now,
            staff.staffId,
            ['center'],
            row.task_id,
            row.unit_id,
            note,
            JSON.stringify({
              escalationId,
              deadline: row.deadline,
              escalationStep: row.step,
              escalationAction: row.action,
            }),
          ],
        );
        const s = loaded.state;
        const payload: CaseLifecyclePayload = {
          caseId: row.case_id,
          reference: loaded.reference,
          status: s.status,
          priority: s.priority,
          ...(s.categoryCode ? { categoryCode: s.categoryCode } : {}),
          taskId: row.task_id,
          unitId: row.unit_id,
          actorKind: 'staff',
          actorId: staff.staffId,
          note: note.slice(0, 4000),
          residentVisible: false,
          deadline: row.deadline,
          dueAt: iso(row.due_at),
          escalationAction: row.action,
          escalationStep: row.step,
          at: now.toISOString(),
        };
        await this.events.publish(manager, [
          {
            topic: Topic.CaseLifecycle,
            type: 'case.escalation-acknowledged',
            key: row.case_id,
            caseId: row.case_id,
            payload,
          },
        ]);
        return escalationView({ ...updated, reference: loaded.reference });
      },
    );
  }

  private async withEscalations(
    db: DataSource | EntityManager,
    rows: BreachRow[],
    now: Date,
  ): Promise<BreachDto[]> {
    const escalations = rows.length
      ? ((await db.query(
          `SELECT * FROM ${S}.sla_escalations WHERE breach_id = ANY($1::uuid[]) ORDER BY fired_at, step`,
          [rows.map((r) => r.breach_id)],
        )) as EscalationRow[])
      : [];
    return rows.map((r) => ({
      breachId: r.breach_id,
      caseId: r.case_id,
      reference: r.reference,
      caseStatus: r.case_status,
      priority: r.priority,
      ...(r.category_code ? { categoryCode: r.category_code } : {}),
      ...(r.grid_code ? { gridCode: r.grid_code } : {}),
      supervisionFlagged: r.supervision_flagged,
      taskId: r.task_id,
      unitId: r.unit_id,
      ...(r.unit_name ? { unitName: r.unit_name } : {}),
      deadline: r.deadline,
      dueAt: iso(r.due_at),
      breachedAt: iso(r.breached_at),
      overdueSeconds: Math.max(
        0,
        Math.floor(
          ((r.resolved_at ? new Date(r.resolved_at) : now).getTime() - new Date(r.due_at).getTime()) / 1000,
        ),
      ),
      ...(r.resolved_at ? { resolvedAt: iso(r.resolved_at) } : {}),
      ...(r.resolution ? { resolution: r.resolution } : {}),
      escalations: escalations
        .filter((e) => e.breach_id === r.breach_id)
        .map((e) => escalationView({ ...e, reference: r.reference })),
    }));
  }
}

function escalationView(e: EscalationRow): EscalationDto {
  return {
    escalationId: e.escalation_id,
    ...(e.breach_id ? { breachId: e.breach_id } : {}),
    caseId: e.case_id,
    ...(e.reference ? { reference: e.reference } : {}),
    taskId: e.task_id,
    unitId: e.unit_id,
    deadline: e.deadline,
    dueAt: iso(e.due_at),
    step: e.step,
    action: e.action,
    firedAt: iso(e.fired_at),
    lateBySeconds: e.late_by_seconds,
    ...(e.acknowledged_by ? { acknowledgedBy: e.acknowledged_by } : {}),
    ...(e.acknowledged_at ? { acknowledgedAt: iso(e.acknowledged_at) } : {}),
    ...(e.acknowledge_note ? { acknowledgeNote: e.acknowledge_note } : {}),
  };
}
