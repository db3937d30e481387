import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CaseLifecyclePayload,
  CaseRoutedPayload,
  CaseStatus,
  CaseTriageRequiredPayload,
  EventEnvelope,
  ReportSnapshot,
  Topic,
} from '@app/contracts';
import { isOpenStatus, STATUS_RANK } from './ops-model';
import { OPS_CONFIG, OpsConfig } from './ops.config';

/** The dispatch schema (fixed by the migrations). */
export const OPS_SCHEMA = '"dispatch"';
const S = OPS_SCHEMA;

/** Whether $status_at/$rank of EXCLUDED wins over the row's: later wins, ties go forward. */
const WINS = `(EXCLUDED.status_at > c.status_at OR (EXCLUDED.status_at = c.status_at AND EXCLUDED.status_rank >= c.status_rank))`;

/** An ops_cases upsert's merge of the category and status fields (any event order). */
const CATEGORY_AND_STATUS_MERGE = `category_code = CASE WHEN (${WINS} OR c.category_code IS NULL) AND EXCLUDED.category_code IS NOT NULL
             THEN EXCLUDED.category_code ELSE c.category_code END,
           status_rank = CASE WHEN ${WINS} THEN EXCLUDED.status_rank ELSE c.status_rank END,
           status_at = GREATEST(c.status_at, EXCLUDED.status_at)`;

/** The latest lead assignment wins; triage, once flagged, stays flagged. */
const LEAD_AND_TRIAGE_MERGE = `lead_unit_id = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_id ELSE c.lead_unit_id END,
           lead_unit_name = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_name ELSE c.lead_unit_name END,
           lead_unit_type = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_type ELSE c.lead_unit_type END,
           lead_at = GREATEST(c.lead_at, EXCLUDED.lead_at),
           triage = c.triage OR EXCLUDED.triage`;

/** How routing's answer is written when another statement embeds it. */
interface SnapshotOptions {
  /** SQL over the embedding statement's CTEs: nothing is written unless it holds. */
  guard?: string;
  /**
   * A lead assignment that follows this answer, folded into the case row as its own upsert
   * would leave it: status and lead go to the later of the two (ties to the assignment, which
   * is further along), `assigned_at` is set.
   */
  assigned?: {
    at: string;
    status: CaseStatus;
    lead: { unitId: string; unitName?: string; unitType: string };
  };
}

/** What the projection needs of an envelope besides its payload. */
type EventRef = Pick<EventEnvelope, 'eventId' | 'type' | 'occurredAt'>;

const clip = (s: string | undefined, max: number): string | null =>
  s === undefined ? null : s.slice(0, max);

/**
 * The parameters of one statement: `add` pushes a value and answers its placeholder with an
 * explicit cast (the statements insert from SELECTs, where Postgres cannot infer a type from the
 * target column). Use the answered placeholder wherever the value appears again.
 */
class Params {
  readonly values: unknown[] = [];
  /** `offset`: placeholders start at `$<offset + 1>` (the statement embedding these CTEs holds the first ones). */
  constructor(private readonly offset = 0) {}
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.offset + this.values.length}::${type}`;
  }
}

/** Whether a task row `t` has met (or left) the deadline of breach `b`. */
const taskMet = (t: string, b: string): string =>
  `(${t}.returned_at IS NOT NULL OR (${b}.deadline = 'accept' AND ${t}.accepted_at IS NOT NULL)
    OR (${b}.deadline = 'resolve' AND ${t}.resolved_at IS NOT NULL))`;

/**
 * Whether breach `b` leaves the board: its deadline is met, or the task/case ended. Reads the case
 * and this event's task as the statement left them (CTEs `oc`, `ot`) and other tasks as they were
 * (a task's accepted/resolved/returned times, once set, stay set, so the table's older version of
 * this event's task never says "met" when `ot` does not).
 */
const breachCloses = (b: string): string =>
  `(NOT oc.is_open
    OR (${b}.task_id IS NULL AND ((${b}.deadline = 'accept' AND oc.accepted_at IS NOT NULL)
                               OR (${b}.deadline = 'resolve' AND oc.resolved_at IS NOT NULL)))
    OR EXISTS (SELECT 1 FROM ot WHERE ot.task_id = ${b}.task_id AND ${taskMet('ot', b)})
    OR EXISTS (SELECT 1 FROM ${S}.ops_tasks x WHERE x.task_id = ${b}.task_id AND ${taskMet('x', b)}))`;

/** Event types after which an open breach can leave the board (with a final status, any type). */
const CLOSING_TYPES = new Set(['case.accepted', 'case.resolved', 'case.returned']);

/**
 * Applies case events to the ops read model, inside the consumer's inbox transaction. Every write
 * is an upsert that tolerates any order across the three topics: first-times take LEAST, last-times
 * GREATEST, flags OR, and status only moves to a later (or same-instant, further-along) event.
 *
 * Each event is ONE statement: a CTE that records the event in ops_case_events and, only when that
 * row is new (so a redelivered event has no second effect), applies the case/task/breach/hotspot
 * writes, each reading what the previous one returned. One round trip per event also keeps the
 * row locks a consumer batch holds until its commit short.
 */
@Injectable()
export class OpsProjection {
  constructor(@Inject(OPS_CONFIG) private readonly config: OpsConfig) {}

  /** One event of any of the three topics the model is fed from. */
  async apply(m: EntityManager, topic: Topic, e: EventEnvelope<unknown>): Promise<void> {
    if (topic === Topic.CaseRouted) await this.routed(m, e as EventEnvelope<CaseRoutedPayload>);
    else if (topic === Topic.CaseTriageRequired)
      await this.triageRequired(m, e as EventEnvelope<CaseTriageRequiredPayload>);
    else if (topic === Topic.CaseLifecycle) await this.lifecycle(m, e as EventEnvelope<CaseLifecyclePayload>);
  }

  async routed(m: EntityManager, e: EventEnvelope<CaseRoutedPayload>): Promise<void> {
    await this.run(m, this.routedStatement(e));
  }

  async triageRequired(m: EntityManager, e: EventEnvelope<CaseTriageRequiredPayload>): Promise<void> {
    await this.run(m, this.triageStatement(e));
  }

  /** `case.routed` as CTEs, placeholders from `$<offset + 1>` (see `snapshot`, also for `opts`). */
  routedStatement(
    e: EventEnvelope<CaseRoutedPayload>,
    offset = 0,
    opts: SnapshotOptions = {},
  ): { cteSql: string; params: unknown[] } {
    const p = e.payload;
    return this.snapshot(
      e,
      p.report,
      {
        status: 'routed',
        priority: p.priority,
        categoryCode: p.categoryCode,
        lead: p.lead,
        triageReason: null,
      },
      offset,
      opts,
    );
  }

  /**
   * `case.routed` and the lead's `case.assigned` that dispatch made of it, as CTEs for the
   * statement that creates the case already assigned (CaseRepository.insertAssigned), written only
   * when `guard` (SQL over that statement's CTEs) holds. One statement cannot change the ops case
   * row twice, so the assignment is folded into the routed snapshot's upsert (the rows are those
   * the two projections leave one after the other); the assignment's own event row and task row
   * follow as `lifecycleStatement` writes them. Placeholders from `$<offset + 1>`.
   */
  routedAndAssignedStatement(
    routed: EventEnvelope<CaseRoutedPayload>,
    assigned: EventEnvelope<CaseLifecyclePayload>,
    offset: number,
    guard: string,
  ): { cteSql: string; params: unknown[] } {
    const a = assigned.payload;
    if (assigned.type !== 'case.assigned' || a.taskRole === 'support' || !a.taskId || !a.unitId)
      throw new Error(`routedAndAssignedStatement: ${assigned.type} is not a lead assignment`);
    const head = this.routedStatement(routed, offset, {
      guard,
      assigned: {
        at: a.at,
        status: a.status,
        lead: {
          unitId: a.unitId,
          unitName: a.unitName,
          unitType: a.unitType ?? routed.payload.lead.unitType,
        },
      },
    });
    const tail = this.lifecycleStatement(assigned, offset + head.params.length, {
      ev: 'ev_assigned',
      guard,
      caseRow: false,
    });
    return { cteSql: [head.cteSql, tail.cteSql].join(',\n'), params: [...head.params, ...tail.params] };
  }

  /** `case.triage-required` as CTEs, placeholders from `$<offset + 1>` (see `snapshot`). */
  triageStatement(
    e: EventEnvelope<CaseTriageRequiredPayload>,
    offset = 0,
  ): { cteSql: string; params: unknown[] } {
    const p = e.payload;
    return this.snapshot(
      e,
      p.report,
      {
        status: 'triage',
        priority: p.priority,
        categoryCode: p.categoryCode ?? p.report.categoryCode,
        lead: undefined,
        triageReason: p.reason,
      },
      offset,
    );
  }

  private async run(m: EntityManager, s: { cteSql: string; params: unknown[] }): Promise<void> {
    await m.query(`WITH ${s.cteSql}\nSELECT event_id FROM ev`, s.params);
  }

  /**
   * Routing's answer as CTEs (`ev`, `oc`): run alone, or embedded in the statement that creates
   * the dispatch case (CaseRepository.createOrLock), whose INSERT touches none of the ops tables.
   */
  private snapshot(
    e: EventRef,
    r: ReportSnapshot,
    d: {
      status: CaseStatus;
      priority: string;
      categoryCode: string | undefined;
      lead: { unitId: string; unitName?: string; unitType: string } | undefined;
      triageReason: string | null;
    },
    offset: number,
    opts: SnapshotOptions = {},
  ): { cteSql: string; params: unknown[] } {
    const v = new Params(offset);
    const caseId = v.add(r.caseId, 'uuid');
    const eventId = v.add(e.eventId, 'uuid');
    const at = v.add(e.occurredAt, 'timestamptz');
    const status = v.add(d.status, 'text');
    const leadId = v.add(d.lead?.unitId ?? null, 'text');
    const leadName = v.add(d.lead?.unitName ?? null, 'text');
    const triageReason = v.add(d.triageReason, 'text');
    const reportedAt = v.add(r.reportedAt, 'timestamptz');
    const asg = opts.assigned;
    const later = asg && Date.parse(asg.at) >= Date.parse(e.occurredAt) ? asg : undefined;
    // The case row's status and lead: this answer's, or the assignment's when it is the later.
    const row = later
      ? {
          status: v.add(later.status, 'text'),
          at: v.add(later.at, 'timestamptz'),
          rank: STATUS_RANK[later.status],
          open: isOpenStatus(later.status),
          leadId: v.add(later.lead.unitId, 'text'),
          leadName: v.add(later.lead.unitName ?? null, 'text'),
          leadType: later.lead.unitType,
          leadAt: v.add(later.at, 'timestamptz'),
        }
      : {
          status,
          at,
          rank: STATUS_RANK[d.status],
          open: true,
          leadId,
          leadName,
          leadType: d.lead?.unitType ?? null,
          leadAt: `CASE WHEN ${leadId} IS NULL THEN NULL ELSE ${at} END`,
        };
    const assignedAt = asg ? `${v.add(asg.at, 'timestamptz')}, ` : '';
    // The event row first; the case upsert only when it is new. 民情地图 rollup: each case counts
    // once, on the day it was reported: the upsert that first sets hotspot_day (judged on the
    // locked row) names this event in hotspot_event_id and marks the case hotspot_pending;
    // OpsHotspotRollup adds it to the shared daily counters outside this transaction.
    const values = `${eventId}, ${caseId}, ${v.add(e.type, 'text')}, ${at}, ${status}, ${leadId}, ${leadName},
           ${v.add(clip(d.triageReason ?? undefined, 1000), 'text')}`;
    const cteSql = `ev AS (
         INSERT INTO ${S}.ops_case_events (event_id, case_id, type, at, status, unit_id, unit_name, note)
         ${opts.guard ? `SELECT ${values} WHERE ${opts.guard}` : `VALUES (${values})`}
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id
       ), oc AS (
         INSERT INTO ${S}.ops_cases AS c (case_id, reference, status, status_at, status_rank, is_open, priority,
           category_code, description, grid_code, building_code, lat, lng, lead_unit_id, lead_unit_name,
           lead_unit_type, lead_at, triage, triage_reason, reported_at, routed_at, ${asg ? 'assigned_at, ' : ''}hotspot_day,
           hotspot_event_id, hotspot_pending, updated_at)
         SELECT ${caseId}, ${v.add(r.reference, 'text')}, ${row.status}, ${row.at}, ${v.add(row.rank, 'int')},
           ${v.add(row.open, 'boolean')}, ${v.add(d.priority, 'text')}, ${v.add(d.categoryCode ?? null, 'text')},
           ${v.add(clip(r.description, 500), 'text')}, ${v.add(r.location.gridCode ?? null, 'text')},
           ${v.add(r.location.buildingCode ?? null, 'text')}, ${v.add(r.location.lat ?? null, 'float8')},
           ${v.add(r.location.lng ?? null, 'float8')}, ${row.leadId}, ${row.leadName},
           ${v.add(row.leadType, 'text')}, ${row.leadAt},
           ${v.add(d.status === 'triage', 'boolean')}, ${triageReason}, ${reportedAt},
           CASE WHEN ${status} = 'routed' THEN ${at} END, ${assignedAt}
           (${reportedAt} AT TIME ZONE ${v.add(this.config.timezone, 'text')})::date, ${eventId}, true, now()
         FROM ev
         ON CONFLICT (case_id) DO UPDATE SET
           reference = COALESCE(c.reference, EXCLUDED.reference),
           status = CASE WHEN ${WINS} THEN EXCLUDED.status ELSE c.status END,
           is_open = CASE WHEN ${WINS} THEN EXCLUDED.is_open ELSE c.is_open END,
           priority = CASE WHEN ${WINS} OR c.priority IS NULL THEN EXCLUDED.priority ELSE c.priority END,
           ${CATEGORY_AND_STATUS_MERGE},
           description = EXCLUDED.description,
           grid_code = COALESCE(EXCLUDED.grid_code, c.grid_code),
           building_code = COALESCE(EXCLUDED.building_code, c.building_code),
           lat = COALESCE(EXCLUDED.lat, c.lat),
           lng = COALESCE(EXCLUDED.lng, c.lng),
           ${LEAD_AND_TRIAGE_MERGE},
           triage_reason = COALESCE(EXCLUDED.triage_reason, c.triage_reason),
           reported_at = COALESCE(c.reported_at, EXCLUDED.reported_at),
           routed_at = LEAST(c.routed_at, EXCLUDED.routed_at),${asg ? '\n           assigned_at = LEAST(c.assigned_at, EXCLUDED.assigned_at),' : ''}
           hotspot_day = COALESCE(c.hotspot_day, EXCLUDED.hotspot_day),
           hotspot_event_id = CASE WHEN c.hotspot_day IS NULL THEN EXCLUDED.hotspot_event_id ELSE c.hotspot_event_id END,
           hotspot_pending = CASE WHEN c.hotspot_day IS NULL THEN true ELSE c.hotspot_pending END,
           updated_at = now()
         RETURNING 1
       )`;
    return { cteSql, params: v.values };
  }

  async lifecycle(m: EntityManager, e: EventEnvelope<CaseLifecyclePayload>): Promise<void> {
    const { cteSql, params } = this.lifecycleStatement(e);
    // One prepared statement per shape (with/without the breach insert and the breach update).
    await m.query(`WITH ${cteSql}\nSELECT event_id FROM ev`, params);
  }

  /**
   * The lifecycle projection as CTEs (`ev`, `oc`, `ot`, and `nb`/`ub` when needed), placeholders
   * from `$<offset + 1>`: run alone by `lifecycle`, or embedded in the statement that writes the
   * transition (CaseRepository.write), whose CTEs touch none of the ops tables.
   */
  lifecycleStatement(
    e: EventEnvelope<CaseLifecyclePayload>,
    offset = 0,
    opts: {
      /** The event row's CTE name (`ev`), for a statement that holds another projection's `ev`. */
      ev?: string;
      /** SQL over the embedding statement's CTEs: nothing is written unless it holds. */
      guard?: string;
      /**
       * false: leave the ops case row to the embedding statement (routedAndAssignedStatement folds
       * this event into its own upsert of it); only for an event that needs no other CTE on it.
       */
      caseRow?: boolean;
    } = {},
  ): { cteSql: string; params: unknown[] } {
    const evName = opts.ev ?? 'ev';
    const p = e.payload;
    const type = e.type;
    const isLead = p.taskRole !== 'support';
    const breached = type === 'case.sla-breached';
    const acknowledged = type === 'case.escalation-acknowledged';
    const leadAssigned = type === 'case.assigned' && isLead;
    const v = new Params(offset);
    const caseId = v.add(p.caseId, 'uuid');
    const eventId = v.add(e.eventId, 'uuid');
    const at = v.add(p.at, 'timestamptz');
    const status = v.add(p.status, 'text');
    const taskId = v.add(p.taskId ?? null, 'uuid');
    const unitId = v.add(p.unitId ?? null, 'text');
    const unitName = v.add(p.unitName ?? null, 'text');
    const unitType = v.add(p.unitType ?? null, 'text');
    const acceptBreached = v.add(breached && p.deadline === 'accept', 'boolean');
    const resolveBreached = v.add(breached && p.deadline === 'resolve', 'boolean');
    const closedAt = v.add(type === 'case.closed' ? p.at : null, 'timestamptz');
    const satisfaction = v.add(type === 'case.closed' ? (p.satisfaction ?? null) : null, 'text');
    const values = `${eventId}, ${caseId}, ${v.add(type, 'text')}, ${at}, ${status}, ${unitId}, ${unitName},
           ${v.add(clip(p.note, 1000), 'text')}`;
    const eventRow = `${evName} AS (
         INSERT INTO ${S}.ops_case_events (event_id, case_id, type, at, status, unit_id, unit_name, note)
         ${opts.guard ? `SELECT ${values} WHERE ${opts.guard}` : `VALUES (${values})`}
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id
       )`;
    // Built only when written: an unused placeholder would have no type.
    const caseRow = (): string => `oc AS (
         INSERT INTO ${S}.ops_cases AS c (case_id, reference, status, status_at, status_rank, is_open, priority,
           category_code, lead_unit_id, lead_unit_name, lead_unit_type, lead_at, triage, assigned_at, accepted_at,
           resolved_at, closed_at, satisfaction, accept_breached, resolve_breached, breach_count, return_count,
           updated_at)
         SELECT ${caseId}, ${v.add(p.reference, 'text')}, ${status}, ${at}, ${v.add(STATUS_RANK[p.status], 'int')},
           ${v.add(isOpenStatus(p.status), 'boolean')}, ${v.add(p.priority ?? null, 'text')},
           ${v.add(p.categoryCode ?? null, 'text')}, ${v.add(leadAssigned ? (p.unitId ?? null) : null, 'text')},
           ${v.add(leadAssigned ? (p.unitName ?? null) : null, 'text')},
           ${v.add(leadAssigned ? (p.unitType ?? null) : null, 'text')},
           ${v.add(leadAssigned && p.unitId ? p.at : null, 'timestamptz')}, ${status} = 'triage',
           ${v.add(leadAssigned ? p.at : null, 'timestamptz')},
           ${v.add(type === 'case.accepted' && isLead ? p.at : null, 'timestamptz')},
           ${v.add(type === 'case.resolved' ? p.at : null, 'timestamptz')},
           ${closedAt}, ${satisfaction},
           ${acceptBreached}, ${resolveBreached}, ${v.add(breached ? 1 : 0, 'int')},
           ${v.add(type === 'case.returned' ? 1 : 0, 'int')}, now()
         FROM ${evName}
         ON CONFLICT (case_id) DO UPDATE SET
           reference = COALESCE(c.reference, EXCLUDED.reference),
           status = CASE WHEN ${WINS} THEN EXCLUDED.status ELSE c.status END,
           is_open = CASE WHEN ${WINS} THEN EXCLUDED.is_open ELSE c.is_open END,
           priority = CASE WHEN (${WINS} OR c.priority IS NULL) AND EXCLUDED.priority IS NOT NULL
             THEN EXCLUDED.priority ELSE c.priority END,
           ${CATEGORY_AND_STATUS_MERGE},
           ${LEAD_AND_TRIAGE_MERGE},
           assigned_at = LEAST(c.assigned_at, EXCLUDED.assigned_at),
           accepted_at = LEAST(c.accepted_at, EXCLUDED.accepted_at),
           resolved_at = GREATEST(c.resolved_at, EXCLUDED.resolved_at),
           closed_at = GREATEST(c.closed_at, EXCLUDED.closed_at),
           satisfaction = COALESCE(EXCLUDED.satisfaction, c.satisfaction),
           accept_breached = c.accept_breached OR EXCLUDED.accept_breached,
           resolve_breached = c.resolve_breached OR EXCLUDED.resolve_breached,
           breach_count = c.breach_count + EXCLUDED.breach_count,
           return_count = c.return_count + EXCLUDED.return_count,
           updated_at = now()
         RETURNING c.is_open, c.accepted_at, c.resolved_at, c.breach_count
       )`;
    const cteSql = [
      eventRow,
      ...(opts.caseRow === false ? [] : [caseRow()]),
      // A task row carries its case's closure and rating (unit performance reads them without a
      // join): from this event when it closes the case, else as the case stands.
      `ot AS (
         INSERT INTO ${S}.ops_tasks AS t (task_id, case_id, unit_id, unit_name, unit_type, role, assigned_at,
           accepted_at, resolved_at, returned_at, accept_by, resolve_by, accept_breached, resolve_breached,
           case_closed_at, case_satisfaction, updated_at)
         SELECT ${taskId}, ${caseId}, ${unitId}, ${unitName}, ${unitType}, ${v.add(p.taskRole ?? null, 'text')},
           ${v.add(type === 'case.assigned' || type === 'case.reopened' ? p.at : null, 'timestamptz')},
           ${v.add(type === 'case.accepted' ? p.at : null, 'timestamptz')},
           ${v.add(type === 'case.resolved' ? p.at : null, 'timestamptz')},
           ${v.add(type === 'case.returned' ? p.at : null, 'timestamptz')},
           ${v.add(p.acceptBy ?? null, 'timestamptz')}, ${v.add(p.resolveBy ?? null, 'timestamptz')},
           ${acceptBreached}, ${resolveBreached}, GREATEST(${closedAt}, prev.closed_at),
           COALESCE(${satisfaction}, prev.satisfaction), now()
         FROM ${evName} LEFT JOIN ${S}.ops_cases prev ON prev.case_id = ${caseId}
         WHERE ${taskId} IS NOT NULL
         ON CONFLICT (task_id) DO UPDATE SET
           unit_id = COALESCE(t.unit_id, EXCLUDED.unit_id),
           unit_name = COALESCE(t.unit_name, EXCLUDED.unit_name),
           unit_type = COALESCE(t.unit_type, EXCLUDED.unit_type),
           role = COALESCE(t.role, EXCLUDED.role),
           assigned_at = LEAST(t.assigned_at, EXCLUDED.assigned_at),
           accepted_at = LEAST(t.accepted_at, EXCLUDED.accepted_at),
           resolved_at = GREATEST(t.resolved_at, EXCLUDED.resolved_at),
           returned_at = GREATEST(t.returned_at, EXCLUDED.returned_at),
           accept_by = COALESCE(EXCLUDED.accept_by, t.accept_by),
           resolve_by = COALESCE(EXCLUDED.resolve_by, t.resolve_by),
           accept_breached = t.accept_breached OR EXCLUDED.accept_breached,
           resolve_breached = t.resolve_breached OR EXCLUDED.resolve_breached,
           case_closed_at = GREATEST(t.case_closed_at, EXCLUDED.case_closed_at),
           case_satisfaction = COALESCE(EXCLUDED.case_satisfaction, t.case_satisfaction),
           updated_at = now()
         RETURNING t.task_id, t.accepted_at, t.resolved_at, t.returned_at
       )`,
    ];
    if (type === 'case.closed') {
      // The case's other tasks (the event's own task, if any, is the INSERT's above).
      cteSql.push(
        `otc AS (
           UPDATE ${S}.ops_tasks x SET case_closed_at = GREATEST(x.case_closed_at, ${closedAt}),
             case_satisfaction = COALESCE(${satisfaction}, x.case_satisfaction)
           FROM ${evName} WHERE x.case_id = ${caseId} AND x.task_id IS DISTINCT FROM ${taskId}
         )`,
      );
    }
    if (breached) {
      // The new breach is judged against the case and task as this event leaves them (a sibling
      // UPDATE would not see the row this INSERT adds).
      cteSql.push(
        `nb AS (
           INSERT INTO ${S}.ops_breaches (breach_id, case_id, task_id, unit_id, unit_name, deadline, due_at,
             breached_at, late_by_seconds, closed_at)
           SELECT b.breach_id, b.case_id, b.task_id, ${unitId}, ${unitName}, b.deadline,
             ${v.add(p.dueAt ?? null, 'timestamptz')}, ${at}, ${v.add(p.lateBySeconds ?? null, 'int')},
             CASE WHEN ${breachCloses('b')} THEN ${at} END
           FROM oc, (SELECT ${eventId} AS breach_id, ${caseId} AS case_id, ${taskId} AS task_id,
             ${v.add(p.deadline ?? 'resolve', 'text')} AS deadline) b
           ON CONFLICT (breach_id) DO NOTHING
         )`,
      );
    }
    // A breach stays on the board until its deadline is met (or the task/case ends), in any event
    // order. Only these events can meet a deadline or end a task/case (a new breach is judged as
    // it is inserted), and only a case that ever breached has breach rows: otherwise no UPDATE.
    const closing = acknowledged || CLOSING_TYPES.has(type) || !isOpenStatus(p.status);
    if (closing) {
      const acks = `(${v.add(acknowledged, 'boolean')} AND (${taskId} IS NULL OR b.task_id = ${taskId}))`;
      cteSql.push(
        `ub AS (
           UPDATE ${S}.ops_breaches b SET
             acknowledged_at = CASE WHEN ${acks} THEN COALESCE(b.acknowledged_at, ${at}) ELSE b.acknowledged_at END,
             closed_at = CASE WHEN ${breachCloses('b')} THEN ${at} END
           FROM oc
           WHERE b.case_id = ${caseId} AND b.closed_at IS NULL AND oc.breach_count > 0
             AND (${acks} OR ${breachCloses('b')})
         )`,
      );
    }
    if (opts.caseRow === false && cteSql.length > 2)
      throw new Error(`lifecycleStatement: ${type} needs the ops case row in its own statement`);
    return { cteSql: cteSql.join(',\n'), params: v.values };
  }
}
