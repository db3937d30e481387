import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  MandatoryReportKind,
  Priority,
  ReportSnapshot,
  SlaPolicyDto,
  TaskRole,
  TaskStatus,
  UnitType,
} from '@app/contracts';
import { InboxClaim, withInbox } from '@app/messaging';
import { CaseState, currentLeadTask, newCaseState } from '../domain';
import { S } from '../dispatch.config';
import { decodeCaseState, encodeJson } from './case-codec';

/** A case row, locked for the transaction that loaded it. */
export interface LoadedCase {
  caseId: string;
  reference: string;
  state: CaseState;
  report: ReportSnapshot;
  slaPolicy?: SlaPolicyDto;
  routingAttempt: number;
  autoCloseAt?: Date;
  createdAt: Date;
  /**
   * The row's version when it was read. `write` changes the row only if it is still this version
   * (under the case lock it always is; for a case read without one, `readByTask`, it is the
   * optimistic check), and writes nothing else unless it did.
   */
  version: number;
  /**
   * Its tasks' SLA clocks (task id → stored clock), read and locked with the case by `lock` and
   * `lockByTask` (none for a case `createOrLock` has just created); a task of `state` missing here
   * (its clock created after that statement's snapshot) has its clock read by the workflow.
   */
  clocks?: Map<string, unknown>;
}

interface CaseRow {
  case_id: string;
  reference: string;
  state: unknown;
  report: ReportSnapshot;
  sla_policy: SlaPolicyDto | null;
  routing_attempt: number;
  auto_close_at: Date | null;
  created_at: Date;
  version: number;
}

/** What a case is created with besides its report. */
export interface CaseInit {
  priority: Priority;
  categoryCode?: string;
  mandatoryReport?: MandatoryReportKind;
}

/** Rows of one transition, written by `CaseRepository.write` (snake_case: the tables' columns). */
export interface CaseWriteParts {
  newTasks: TaskRow[];
  /** Existing tasks: status fields when `status_changed`, SLA deadlines when given. */
  changedTasks: (Pick<TaskRow, 'task_id' | 'status' | 'accepted_at' | 'ended_at' | 'updated_at'> & {
    status_changed: boolean;
    accept_by: Date | null;
    resolve_by: Date | null;
  })[];
  newSlas: SlaRowWrite[];
  changedSlas: SlaRowWrite[];
  settledBreaches: { task_id: string; deadline: string; how: string; at: Date }[];
  timeline: TimelineRowWrite[];
}

/** A row of dispatch.tasks. */
export interface TaskRow {
  task_id: string;
  case_id: string;
  unit_id: string;
  unit_type: UnitType;
  unit_name: string | null;
  role: TaskRole;
  status: TaskStatus;
  assigned_at: Date;
  accepted_at: Date | null;
  ended_at: Date | null;
  accept_by: Date | null;
  resolve_by: Date | null;
  updated_at: Date;
}

export interface SlaRowWrite {
  task_id: string;
  case_id: string;
  policy_id: string;
  sla: object;
  accept_by: Date;
  accept_warn_at: Date;
  resolve_by: Date;
  resolve_warn_at: Date;
  next_timer_at: Date | null;
  next_timer: object | null;
  updated_at: Date;
}

export interface TimelineRowWrite {
  case_id: string;
  at: Date;
  actor_kind: string;
  actor_id: string | null;
  event_type: string;
  visibility: string[];
  task_id: string | null;
  unit_id: string | null;
  note: string | null;
  resident_note: string | null;
  data: object;
}

const TASK_COLS = `task_id uuid, case_id uuid, unit_id text, unit_type text, unit_name text, role text, status text,
  assigned_at timestamptz, accepted_at timestamptz, ended_at timestamptz, accept_by timestamptz, resolve_by timestamptz,
  updated_at timestamptz`;
const SLA_COLS = `task_id uuid, case_id uuid, policy_id text, sla jsonb, accept_by timestamptz, accept_warn_at timestamptz,
  resolve_by timestamptz, resolve_warn_at timestamptz, next_timer_at timestamptz, next_timer jsonb, updated_at timestamptz`;

/**
 * The task ids of a row-set parameter, as an indexable key list. Taken from the parameter inside
 * SQL (an InitPlan), not passed as an array of their own: the planner then estimates a custom
 * plan like the generic one, so after five runs it keeps the generic plan; with the keys as an
 * array parameter it saw each call's real (mostly empty) arrays, judged the custom plan cheaper
 * and planned this statement again on every call (planning cost as much as executing it).
 */
const keysOf = (param: number): string =>
  `ARRAY(SELECT (e->>'task_id')::uuid FROM jsonb_array_elements($${param}::jsonb) AS e)`;

/** INSERTs of new tasks, new SLA clocks and timeline entries from a row-set parameter; `where`: a guard. */
const insertTasks = (param: number, where = ''): string =>
  `INSERT INTO ${S}.tasks (task_id, case_id, unit_id, unit_type, unit_name, role, status, assigned_at, accepted_at,
      ended_at, accept_by, resolve_by, updated_at)
    SELECT task_id, case_id, unit_id, unit_type, unit_name, role, status, assigned_at, accepted_at, ended_at, accept_by,
      resolve_by, updated_at
    FROM jsonb_to_recordset($${param}::jsonb) AS x(${TASK_COLS})${where}`;
const insertSlas = (param: number, where = ''): string =>
  `INSERT INTO ${S}.task_sla (task_id, case_id, policy_id, sla, accept_by, accept_warn_at, resolve_by, resolve_warn_at,
      next_timer_at, next_timer, updated_at)
    SELECT task_id, case_id, policy_id, sla, accept_by, accept_warn_at, resolve_by, resolve_warn_at, next_timer_at,
      next_timer, updated_at
    FROM jsonb_to_recordset($${param}::jsonb) AS x(${SLA_COLS})${where}`;
const insertTimeline = (param: number, where = ''): string =>
  `INSERT INTO ${S}.timeline (case_id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note,
      resident_note, data)
    SELECT case_id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note, resident_note, data
    FROM jsonb_to_recordset($${param}::jsonb) AS x(case_id uuid, at timestamptz, actor_kind text, actor_id text,
      event_type text, visibility text[], task_id uuid, unit_id text, note text, resident_note text, data jsonb)${where}`;

/**
 * The guard of every CTE of the transition write but the case row's own UPDATE: that UPDATE
 * changes the row only if it is still the version that was read, and nothing else is written
 * unless it did.
 */
export const WRITTEN = 'EXISTS (SELECT 1 FROM case_row)';

const WRITE_SQL = `WITH case_row AS (
    UPDATE ${S}.cases SET status = $2, priority = $3, category_code = $4, lead_unit_id = $5, supervision_flagged = $6,
      state = $7::jsonb, sla_policy = COALESCE($8::jsonb, sla_policy), routing_attempt = GREATEST(routing_attempt, $9),
      triage_reason = CASE WHEN $2 = 'triage' THEN COALESCE($10, triage_reason) ELSE NULL END,
      auto_close_at = $11, version = version + 1, updated_at = $12
    WHERE case_id = $1 AND version = $19
    RETURNING case_id
  ), new_tasks AS (
    ${insertTasks(13, ` WHERE ${WRITTEN}`)}
  ), changed_tasks AS (
    UPDATE ${S}.tasks t SET
      status = CASE WHEN x.status_changed THEN x.status ELSE t.status END,
      accepted_at = CASE WHEN x.status_changed THEN x.accepted_at ELSE t.accepted_at END,
      ended_at = CASE WHEN x.status_changed THEN x.ended_at ELSE t.ended_at END,
      updated_at = CASE WHEN x.status_changed THEN x.updated_at ELSE t.updated_at END,
      accept_by = COALESCE(x.accept_by, t.accept_by),
      resolve_by = COALESCE(x.resolve_by, t.resolve_by)
    FROM jsonb_to_recordset($14::jsonb) AS x(task_id uuid, status text, accepted_at timestamptz, ended_at timestamptz,
      updated_at timestamptz, status_changed boolean, accept_by timestamptz, resolve_by timestamptz)
    WHERE t.task_id = ANY(${keysOf(14)}) AND t.task_id = x.task_id AND ${WRITTEN}
    RETURNING t.*
  ), new_slas AS (
    ${insertSlas(15, ` WHERE ${WRITTEN}`)}
  ), changed_slas AS (
    UPDATE ${S}.task_sla s SET case_id = x.case_id, policy_id = x.policy_id, sla = x.sla, accept_by = x.accept_by,
      accept_warn_at = x.accept_warn_at, resolve_by = x.resolve_by, resolve_warn_at = x.resolve_warn_at,
      next_timer_at = x.next_timer_at, next_timer = x.next_timer, updated_at = x.updated_at
    FROM jsonb_to_recordset($16::jsonb) AS x(${SLA_COLS})
    WHERE s.task_id = ANY(${keysOf(16)}) AND s.task_id = x.task_id AND ${WRITTEN}
    RETURNING s.task_id, s.sla
  ), settled AS (
    UPDATE ${S}.sla_breaches b SET resolved_at = x.at, resolution = x.how
    FROM jsonb_to_recordset($17::jsonb) AS x(task_id uuid, deadline text, how text, at timestamptz)
    WHERE b.task_id = ANY(${keysOf(17)}) AND b.task_id = x.task_id AND b.deadline = x.deadline AND b.resolved_at IS NULL
      AND ${WRITTEN}
  ), timeline AS (
    ${insertTimeline(18, ` WHERE ${WRITTEN}`)}
    RETURNING *
  )`;

/** The guard of every CTE of `insertAssigned` but the case's own INSERT. */
export const CREATED = 'EXISTS (SELECT 1 FROM created)';

/** The columns every new case row is inserted with, and their placeholders ($1-$12, `newCaseValues`). */
const NEW_CASE_COLUMNS = `case_id, reference, status, priority, category_code, description, grid_code, building_code,
      community_code, mandatory_report, report, state`;
const NEW_CASE_VALUES = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb';

/** The values of NEW_CASE_COLUMNS for a case in `state` made from `report`. */
function newCaseValues(report: ReportSnapshot, state: CaseState, init: CaseInit): unknown[] {
  return [
    report.caseId,
    report.reference,
    state.status,
    state.priority,
    state.categoryCode ?? null,
    report.description,
    report.location.gridCode ?? null,
    report.location.buildingCode ?? null,
    report.attributes?.communityCode ?? null,
    init.mandatoryReport ?? null,
    JSON.stringify(report),
    encodeJson(state),
  ];
}

/**
 * A new case's row in case_text (the text search's, written once; see its migration), from the
 * rows of a CTE `created` that returns the new case's case_id, reference and description.
 */
const CASE_TEXT_CTE = `case_text AS (
    INSERT INTO ${S}.case_text (case_id, reference, description) SELECT case_id, reference, description FROM created
  )`;

/**
 * A new case inserted already assigned, with its tasks, clocks and timeline; every part but the
 * case row written only when that row was (`CREATED`), so a case that exists gets nothing here.
 */
const INSERT_ASSIGNED_SQL = `WITH created AS (
    INSERT INTO ${S}.cases (${NEW_CASE_COLUMNS}, lead_unit_id, supervision_flagged, sla_policy, routing_attempt,
      version, created_at, updated_at)
    VALUES (${NEW_CASE_VALUES}, $13, $14, $15::jsonb, $16, 2, now(), $17)
    ON CONFLICT (case_id) DO NOTHING
    RETURNING case_id, reference, description
  ), ${CASE_TEXT_CTE}, new_tasks AS (
    ${insertTasks(18, ` WHERE ${CREATED}`)}
  ), new_slas AS (
    ${insertSlas(19, ` WHERE ${CREATED}`)}
  ), timeline AS (
    ${insertTimeline(20, ` WHERE ${CREATED}`)}
  )`;

/** Parameters of insertAssigned's statement before the outbox rows' ($1-$20). */
export const INSERT_ASSIGNED_PARAMS = 20;

/**
 * The final SELECT of a transition's statement, in place of `SELECT 1`, so that the caller gets its
 * answer without another round trip. It runs on the statement's snapshot, taken after the case
 * lock: the rows the statement changes are read from its CTEs' RETURNING (`changed_tasks`: the
 * task rows, `changed_slas`: task_id and sla, `timeline`: the new entries), the rest from the
 * tables as they were. `offset`: the parameters before its own.
 */
export type WriteReadBack = (offset: number) => { sql: string; params: unknown[] };

/** Parameters of createOrLock's INSERT before its inline CTEs' ($1-$12). */
export const CREATE_PARAMS = 12;

/** Parameters of the transition write before the outbox rows' ($1-$19). */
export const CASE_WRITE_PARAMS = 19;

/** The case of task $1 if unit $2 holds it. */
const BY_TASK = `case_id = (SELECT case_id FROM ${S}.tasks WHERE task_id = $1 AND unit_id = $2)`;

const CASE_COLUMNS =
  'case_id, reference, state, report, sla_policy, routing_attempt, auto_close_at, created_at, version';

@Injectable()
export class CaseRepository {
  /**
   * Loads the case row FOR UPDATE (concurrent changes of one case queue behind this transaction)
   * and, in the same round trip, its tasks' SLA clocks (`clocks`).
   *
   * The clocks are locked too (`FOR NO KEY UPDATE`), and that is what makes reading them here
   * safe: under READ COMMITTED a statement reads other rows from the snapshot it took before it
   * waited for a lock, so a clock that the transaction holding the case changed would be read as it
   * was. A locked row is the exception: Postgres follows it to its newest committed version and
   * re-checks it (EvalPlanQual). Every clock writer holds the case row first (the workflow's lock
   * order), and so does this statement: the clocks' sub-select runs on the case row the inner
   * SELECT has locked (put it beside the case's columns in that SELECT and it runs before the lock:
   * the test partner-action-concurrency, "with a key", then deadlocks). A clock created after the
   * snapshot is not among them; its task is in the (newest) case state, so the workflow reads it
   * then.
   */
  async lock(manager: EntityManager, caseId: string): Promise<LoadedCase | undefined> {
    return this.loadWhere(manager, 'case_id = $1', [caseId], true);
  }

  /** `lock` for the case of a unit's own task; undefined when the task is not the unit's. */
  async lockByTask(manager: EntityManager, taskId: string, unitId: string): Promise<LoadedCase | undefined> {
    return this.loadWhere(manager, BY_TASK, [taskId, unitId], true);
  }

  /**
   * The case of a unit's own task and its clocks as one statement's snapshot saw them, locking
   * nothing: for a change written by `write` alone, whose version check (`LoadedCase.version`)
   * stands in for the lock. Every writer of the case, its tasks or their clocks holds the case row
   * and raises its version (the workflow's `write`; the SLA scanner), so a write that finds the
   * version it read changes exactly what was read. Undefined when the task is not the unit's.
   */
  async readByTask(manager: EntityManager, taskId: string, unitId: string): Promise<LoadedCase | undefined> {
    return this.loadWhere(manager, BY_TASK, [taskId, unitId], false);
  }

  private async loadWhere(
    manager: EntityManager,
    where: string,
    params: unknown[],
    /** The case FOR UPDATE and its clocks FOR NO KEY UPDATE (`lock`), or nothing (`readByTask`). */
    lock: boolean,
  ): Promise<LoadedCase | undefined> {
    const [row] = (await manager.query(
      `SELECT c.*,
              (SELECT COALESCE(json_agg(json_build_array(k.task_id, k.sla)), '[]'::json)
                 FROM (SELECT s.task_id, s.sla FROM ${S}.task_sla s WHERE s.case_id = c.case_id${lock ? ' FOR NO KEY UPDATE' : ''}) k
              ) AS clocks
         FROM (SELECT ${CASE_COLUMNS} FROM ${S}.cases WHERE ${where}${lock ? ' FOR UPDATE' : ''}) c`,
      params,
    )) as (CaseRow & { clocks: [string, unknown][] })[];
    return row ? { ...this.toLoaded(row), clocks: new Map(row.clocks) } : undefined;
  }

  /**
   * Creates a case awaiting routing from the report snapshot, unless it exists; then locks it.
   * `inline`: CTEs on other tables to run in the same statement (routing's answer projected into
   * the ops model), placeholders after CREATE_PARAMS.
   */
  async createOrLock(
    manager: EntityManager,
    report: ReportSnapshot,
    init: CaseInit,
    inline?: { cteSql: string; params: unknown[] },
    /** The consumed event's inbox row, written by the same statement (see withInbox). */
    inbox?: InboxClaim,
  ): Promise<{ loaded: LoadedCase; created: boolean }> {
    const { state } = this.fresh(report, init);
    const insert = `INSERT INTO ${S}.cases (${NEW_CASE_COLUMNS}, created_at, updated_at)
       VALUES (${NEW_CASE_VALUES}, now(), now())
       ON CONFLICT (case_id) DO NOTHING
       RETURNING ${CASE_COLUMNS}, description`;
    const [sql, params] = withInbox(
      inbox,
      `WITH ${inline ? `${inline.cteSql}, ` : ''}created AS (${insert}), ${CASE_TEXT_CTE} SELECT * FROM created`,
      [...newCaseValues(report, state, init), ...(inline?.params ?? [])],
    );
    const [inserted] = (await manager.query(sql, params)) as CaseRow[];
    // A row this transaction inserted is its own until commit: no lock to take.
    if (inserted) return { loaded: this.toLoaded(inserted), created: true };
    const loaded = await this.lock(manager, report.caseId);
    if (!loaded) throw new Error(`case ${report.caseId} vanished after insert`);
    return { loaded, created: false };
  }

  /** A case awaiting routing, as `createOrLock` would insert it: not stored. */
  fresh(report: ReportSnapshot, init: CaseInit): LoadedCase {
    const categoryCode = init.categoryCode ?? report.categoryCode;
    return {
      caseId: report.caseId,
      reference: report.reference,
      state: newCaseState({
        caseId: report.caseId,
        reference: report.reference,
        priority: init.priority,
        ...(categoryCode ? { categoryCode } : {}),
      }),
      report,
      routingAttempt: 0,
      createdAt: new Date(),
      version: 1,
    };
  }

  /**
   * Inserts a case in its state after its first transition (`fresh` → `next`), with everything
   * that transition writes, in one statement: the case row, its tasks, their clocks, the timeline,
   * the outbox rows (built with `onlyIf: CREATED`) and `inline` CTEs (guarded by `CREATED` too).
   * The statement writes none of it when the case exists (routed again, or created by triage):
   * then it answers false and the caller goes the way of an existing case. `inbox` is written
   * either way. A new case costs one round trip and one write of its row, where `createOrLock`
   * and `write` cost two and an update through all of the row's indexes.
   */
  async insertAssigned(
    manager: EntityManager,
    fresh: LoadedCase,
    init: CaseInit,
    next: CaseState,
    extra: { slaPolicy: SlaPolicyDto; routingAttempt: number; now: Date },
    parts: CaseWriteParts,
    outbox: { sql: string; params: unknown[] },
    inline: { cteSql: string; params: unknown[] },
    inbox?: InboxClaim,
    /**
     * 'always': the inbox row leads the statement (in a transaction whose next statements go on
     * when the case exists). 'created': it is written only with the case, like every other part,
     * so that a statement run alone (outside a transaction) writes all or nothing.
     */
    inboxWhen: 'always' | 'created' = 'always',
  ): Promise<boolean> {
    if (parts.changedTasks.length || parts.changedSlas.length || parts.settledBreaches.length)
      throw new Error('CaseRepository.insertAssigned: a new case has no tasks or clocks to change');
    const values = [
      ...newCaseValues(fresh.report, next, init),
      currentLeadTask(next)?.unitId ?? null,
      next.supervisionFlagged,
      JSON.stringify(extra.slaPolicy),
      extra.routingAttempt,
      extra.now,
      JSON.stringify(parts.newTasks),
      JSON.stringify(parts.newSlas),
      JSON.stringify(parts.timeline),
      ...outbox.params,
      ...inline.params,
    ];
    const body = `${INSERT_ASSIGNED_SQL}, outbox AS (${outbox.sql}), ${inline.cteSql}`;
    const claim = inbox && inboxWhen === 'created' ? inbox.cte(values.length, CREATED) : undefined;
    const [sql, params] = claim
      ? [`${body}, ${claim.cteSql} SELECT case_id FROM created`, [...values, ...claim.params]]
      : withInbox(inbox, `${body} SELECT case_id FROM created`, values);
    const rows = (await manager.query(sql, params)) as unknown[];
    return rows.length > 0;
  }

  /**
   * Writes one transition in a single statement (one round trip): the case row, new and changed
   * tasks, their SLA clocks, the open breaches a changed clock settles, and the timeline entries.
   * The parts touch different rows, so the data-modifying CTEs do not see each other's writes and
   * need not; foreign keys are checked at the end of the statement.
   *
   * The case row is changed only if it is still `before.version`, and every other part (the
   * outbox and `inline` CTEs too: built with the guard `WRITTEN`) only if it was: `written` false
   * means the case changed since it was read and nothing was written. Under the case lock the
   * version cannot have moved; without it (`readByTask`) the UPDATE waits for a transaction that
   * holds the row and then finds the version it left.
   */
  async write(
    manager: EntityManager,
    before: LoadedCase,
    next: CaseState,
    extra: {
      slaPolicy?: SlaPolicyDto;
      routingAttempt?: number;
      triageReason?: string;
      autoCloseAfterSeconds: number;
      now: Date;
    },
    parts: CaseWriteParts,
    /** The transition's outbox rows (MessagingService.outboxStatement from CASE_WRITE_PARAMS). */
    outbox?: { sql: string; params: unknown[] },
    /** More CTEs on tables this statement does not otherwise touch (the ops projection), after the outbox's params. */
    inline?: { cteSql: string; params: unknown[] },
    /**
     * The statement's answer, read in the same round trip (see WriteReadBack); its placeholders
     * start after `offset`.
     */
    readBack?: WriteReadBack,
  ): Promise<{ written: boolean; answer?: Record<string, unknown> }> {
    let autoCloseAt: Date | null = null;
    if (next.status === 'resolved') {
      autoCloseAt =
        before.state.status === 'resolved' && before.autoCloseAt
          ? before.autoCloseAt
          : new Date(extra.now.getTime() + extra.autoCloseAfterSeconds * 1000);
    }
    const lead = currentLeadTask(next) ?? [...next.tasks].reverse().find((t) => t.role === 'lead');
    const params = [
      before.caseId,
      next.status,
      next.priority,
      next.categoryCode ?? null,
      lead?.unitId ?? null,
      next.supervisionFlagged,
      encodeJson(next),
      extra.slaPolicy ? JSON.stringify(extra.slaPolicy) : null,
      extra.routingAttempt ?? 0,
      extra.triageReason ?? null,
      autoCloseAt,
      extra.now,
      JSON.stringify(parts.newTasks),
      JSON.stringify(parts.changedTasks),
      JSON.stringify(parts.newSlas),
      JSON.stringify(parts.changedSlas),
      JSON.stringify(parts.settledBreaches),
      JSON.stringify(parts.timeline),
      before.version,
    ];
    // One statement with the outbox rows as its last CTE; the pool prepares each shape of it.
    if (inline && !outbox) throw new Error('CaseRepository.write: inline CTEs come after the outbox rows');
    const all = [...params, ...(outbox?.params ?? []), ...(inline?.params ?? [])];
    const answer = readBack?.(all.length);
    const [row] = (await manager.query(
      `${WRITE_SQL}${outbox ? `, outbox AS (${outbox.sql})` : ''}${inline ? `, ${inline.cteSql}` : ''}
       SELECT ${WRITTEN} AS written${answer ? ', answer.*' : ''}${answer ? ` FROM (${answer.sql}) answer` : ''}`,
      answer ? [...all, ...answer.params] : all,
    )) as ({ written: boolean } & Record<string, unknown>)[];
    if (!row.written) return { written: false };
    const { written, ...rest } = row;
    return answer ? { written, answer: rest } : { written };
  }

  private toLoaded(row: CaseRow): LoadedCase {
    return {
      caseId: row.case_id,
      reference: row.reference,
      state: decodeCaseState(row.state),
      report: row.report,
      ...(row.sla_policy ? { slaPolicy: row.sla_policy } : {}),
      routingAttempt: row.routing_attempt,
      ...(row.auto_close_at ? { autoCloseAt: new Date(row.auto_close_at) } : {}),
      createdAt: new Date(row.created_at),
      version: row.version,
    };
  }
}
