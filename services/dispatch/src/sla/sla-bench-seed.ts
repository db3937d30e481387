/**
 * Bulk seed for the SLA benchmark (bench/**): n open tasks, each with its case and its SLA clock,
 * written with generate_series in a few statements (1,000,000 in well under a few minutes).
 *
 * - n − dueSoon tasks are accepted, their next timer (the resolve warning) weeks in the future:
 *   they are what is "open", and the scanner must not pay for them.
 * - dueSoon tasks are signed-for late: their next timer is the accept breach at
 *   now + dueInMs + k·spreadMs (k = 0 … dueSoon−1), warning already fired, no escalation ladder.
 *   Each fires exactly one `case.sla-breached` (deadline accept) whose `dueAt` is that instant, so
 *   the deadline → event lag is `event.payload.at − payload.dueAt` (scanner) and arrival time on
 *   case.lifecycle.v1 − dueAt (end to end).
 *
 * Ids are deterministic (md5 of tag and index, shaped as a v4 uuid), so several seeds with other tags can
 * share one database. Expects the dispatch migrations to have run.
 */
import type { SlaPolicyDto } from '@app/contracts';

/** TypeORM DataSource / EntityManager or a pg Client: anything with `query(sql, params)`. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface SeedOpenTasksOptions {
  /** How many of the n tasks have a deadline soon (default 10). */
  dueSoon?: number;
  /** The first due-soon deadline, from now (default 5000 ms). */
  dueInMs?: number;
  /** Gap between consecutive due-soon deadlines (default 0: all at once). */
  spreadMs?: number;
  /** Rows per INSERT statement (default 100,000). */
  chunk?: number;
  /** Distinguishes several seeds in one database (default 'slabench'). */
  tag?: string;
  /** Reference time (default now). */
  now?: Date;
}

export interface SeedOpenTasksResult {
  total: number;
  tag: string;
  dueSoon: { caseId: string; taskId: string; dueAt: Date }[];
}

export const BENCH_SLA_POLICY: SlaPolicyDto = {
  policyId: 'bench-normal',
  acceptWithinSeconds: 3600,
  resolveWithinSeconds: 30 * 86_400,
  warnAtFraction: 0.8,
  calendar: { kind: '24x7' },
  escalation: [],
};

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
/** A deterministic, valid version-4 UUID from md5 (the contracts validate UUIDs strictly). */
const uuidOf = (expr: string) =>
  `overlay(overlay(md5(${expr}) placing '4' from 13) placing '8' from 17)::uuid`;
const iso = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', ${ISO})`;

/** Inserts n open tasks (cases, tasks, task_sla) in the dispatch schema. */
export async function seedOpenTasks(
  db: SqlRunner,
  n: number,
  options: SeedOpenTasksOptions = {},
): Promise<SeedOpenTasksResult> {
  const dueSoon = Math.min(n, Math.max(0, options.dueSoon ?? 10));
  const dueInMs = options.dueInMs ?? 5000;
  const spreadMs = options.spreadMs ?? 0;
  const chunk = Math.max(1, options.chunk ?? 100_000);
  const tag = options.tag ?? 'slabench';
  const now = options.now ?? new Date();
  const policy = JSON.stringify(BENCH_SLA_POLICY);

  // Per row i (1-based): due-soon rows are i <= dueSoon.
  //   soon:  assigned = now - 50 min, accept due = now + dueInMs + (i-1)*spreadMs, warned, not accepted
  //   other: assigned = now - (i % 86400) s, accepted a minute later, resolve due in 30 days
  const ids = `${uuidOf(`$3 || ':c:' || i`)} AS case_id, ${uuidOf(`$3 || ':t:' || i`)} AS task_id`;
  const series = `SELECT i, ${ids}, (i <= $4) AS soon,
      CASE WHEN i <= $4 THEN $5::timestamptz - interval '50 minutes'
           ELSE $5::timestamptz - make_interval(secs => i % 86400) END AS assigned_at,
      $5::timestamptz + make_interval(secs => ($6::double precision + (i - 1) * $7::double precision) / 1000) AS soon_due
    FROM generate_series($1::int, $2::int) AS i`;

  for (let from = 1; from <= n; from += chunk) {
    const to = Math.min(n, from + chunk - 1);
    const params = [from, to, tag, dueSoon, now, dueInMs, spreadMs];
    const withPolicy = [...params, policy];
    await db.query(
      `INSERT INTO "dispatch".cases (case_id, reference, status, priority, category_code, lead_unit_id, description,
         grid_code, report, state, sla_policy, routing_attempt, created_at, updated_at)
       SELECT case_id, 'BN-' || $3 || '-' || i, CASE WHEN soon THEN 'assigned' ELSE 'accepted' END, 'normal',
         'drain_blocked', 'bench-unit-' || (i % 500), 'bench case ' || i, 'G-' || (i % 200),
         jsonb_build_object('caseId', case_id, 'reference', 'BN-' || $3 || '-' || i, 'channel', 'app',
           'description', 'bench case ' || i, 'categoryCode', 'drain_blocked',
           'location', jsonb_build_object('gridCode', 'G-' || (i % 200)),
           'reporter', jsonb_build_object('anonymous', true, 'confidential', false),
           'media', '[]'::jsonb, 'reportedAt', ${iso('assigned_at')}),
         jsonb_build_object('caseId', case_id, 'reference', 'BN-' || $3 || '-' || i,
           'status', CASE WHEN soon THEN 'assigned' ELSE 'accepted' END, 'priority', 'normal',
           'categoryCode', 'drain_blocked', 'returnedUnitIds', '[]'::jsonb, 'returnCount', 0, 'reopenCount', 0,
           'supervisionFlagged', false,
           'tasks', jsonb_build_array(jsonb_build_object('taskId', task_id, 'unitId', 'bench-unit-' || (i % 500),
             'unitType', 'property_management', 'role', 'lead',
             'status', CASE WHEN soon THEN 'assigned' ELSE 'accepted' END,
             'assignedAt', ${iso('assigned_at')}) ||
             CASE WHEN soon THEN '{}'::jsonb
                  ELSE jsonb_build_object('acceptedAt', ${iso("assigned_at + interval '1 minute'")}) END)),
         $8::jsonb, 1, assigned_at, assigned_at
       FROM (${series}) s`,
      withPolicy,
    );
    await db.query(
      `INSERT INTO "dispatch".tasks (task_id, case_id, unit_id, unit_type, role, status, assigned_at, accepted_at,
         accept_by, resolve_by, updated_at)
       SELECT task_id, case_id, 'bench-unit-' || (i % 500), 'property_management', 'lead',
         CASE WHEN soon THEN 'assigned' ELSE 'accepted' END, assigned_at,
         CASE WHEN soon THEN NULL ELSE assigned_at + interval '1 minute' END,
         CASE WHEN soon THEN soon_due ELSE assigned_at + interval '1 hour' END,
         assigned_at + interval '30 days', assigned_at
       FROM (${series}) s`,
      params,
    );
    await db.query(
      `INSERT INTO "dispatch".task_sla (task_id, case_id, policy_id, sla, accept_by, accept_warn_at, resolve_by,
         resolve_warn_at, next_timer_at, next_timer, updated_at)
       SELECT task_id, case_id, 'bench-normal',
         jsonb_build_object('policy', $8::jsonb, 'pausedSeconds', 0,
           'accept', jsonb_build_object('deadline', 'accept', 'startedAt', ${iso('assigned_at')},
               'dueAt', ${iso('accept_by')}, 'warnAt', ${iso('accept_warn')}, 'escalatedSteps', '[]'::jsonb) ||
             CASE WHEN soon THEN jsonb_build_object('warnedAt', ${iso('$5::timestamptz')})
                  ELSE jsonb_build_object('satisfiedAt', ${iso("assigned_at + interval '1 minute'")}) END,
           'resolve', jsonb_build_object('deadline', 'resolve', 'startedAt', ${iso('assigned_at')},
               'dueAt', ${iso('resolve_by')}, 'warnAt', ${iso('resolve_warn')}, 'escalatedSteps', '[]'::jsonb)),
         accept_by, accept_warn, resolve_by, resolve_warn,
         CASE WHEN soon THEN accept_by ELSE resolve_warn END,
         CASE WHEN soon THEN jsonb_build_object('kind', 'breach', 'deadline', 'accept', 'dueAt', ${iso('accept_by')})
              ELSE jsonb_build_object('kind', 'warning', 'deadline', 'resolve', 'dueAt', ${iso('resolve_warn')}) END,
         assigned_at
       FROM (SELECT s.*,
               CASE WHEN soon THEN soon_due ELSE assigned_at + interval '1 hour' END AS accept_by,
               CASE WHEN soon THEN soon_due - interval '1 second' ELSE assigned_at + interval '48 minutes' END AS accept_warn,
               assigned_at + interval '30 days' AS resolve_by,
               assigned_at + interval '24 days' AS resolve_warn
             FROM (${series}) s) x`,
      withPolicy,
    );
  }

  const res = await db.query(
    `SELECT ${uuidOf(`$1 || ':c:' || i`)} AS case_id, ${uuidOf(`$1 || ':t:' || i`)} AS task_id,
            $3::timestamptz + make_interval(secs => ($4::double precision + (i - 1) * $5::double precision) / 1000) AS due_at
       FROM generate_series(1, $2::int) AS i`,
    [tag, dueSoon, now, dueInMs, spreadMs],
  );
  // TypeORM answers rows; a pg Client answers { rows }.
  const soon = (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as {
    case_id: string;
    task_id: string;
    due_at: Date;
  }[];
  return {
    total: n,
    tag,
    dueSoon: soon.map((r) => ({ caseId: r.case_id, taskId: r.task_id, dueAt: new Date(r.due_at) })),
  };
}
