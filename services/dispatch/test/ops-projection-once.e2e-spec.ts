import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CaseLifecyclePayload, CaseRoutedPayload, EventEnvelope } from '@app/contracts';
import { runMigrationsLocked } from '@app/platform';
import { createTestNamespace, TestNamespace } from '@app/testing';
import { DISPATCH_MIGRATIONS } from '../src/migrations';
import { JsonLogger } from '@app/observability';
import { OpsProjection } from '../src/ops';
import { OpsHotspotRollup } from '../src/ops/ops.hotspot-rollup';
import { OpsTaskCaseOutcome1764500000000 } from '../src/migrations/1764500000000-ops-task-case-outcome';

/**
 * The ops projection writes each event in one statement that applies only when the event row is
 * new: the same event handled twice (no inbox in front) has no second effect, and breaches are
 * judged against the case as the same statement leaves it.
 */
const at = (minutes: number) => new Date(Date.parse('2026-03-01T08:00:00Z') + minutes * 60_000).toISOString();

function envelope<P>(type: string, occurredAt: string, caseId: string, payload: P): EventEnvelope<P> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    key: caseId,
    caseId,
    correlationId: 'ops-once',
    occurredAt,
    producer: 'test',
    payload,
  };
}

/** case.lifecycle events of one case, `base` fields on each (a task, a unit) unless overridden. */
function lifecycleOf(caseId: string, reference: string, base: Partial<CaseLifecyclePayload> = {}) {
  return (type: string, minutes: number, status: CaseLifecyclePayload['status'], extra = {}) =>
    envelope<CaseLifecyclePayload>(type, at(minutes), caseId, {
      caseId,
      reference,
      status,
      residentVisible: false,
      at: at(minutes),
      ...base,
      ...extra,
    } as CaseLifecyclePayload);
}

describe('ops projection: one statement per event, applied once', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  const config = {
    timezone: 'Asia/Shanghai',
    points: { onTime: 10, breach: -5 },
    streamRefreshMs: 1000,
    fromKafka: false,
    hotspotRollupMs: 2000,
  };
  const projection = new OpsProjection(config);

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'opsonce' });
    ds = new DataSource({
      type: 'postgres',
      url: ns.databaseUrl,
      schema: 'dispatch',
      migrations: DISPATCH_MIGRATIONS as never,
      migrationsTableName: 'migrations',
    });
    await ds.initialize();
    await runMigrationsLocked(ds, 'dispatch');
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    await ns?.cleanup();
  });

  it('counts a redelivered event once, and closes a late breach on a closed case as it is inserted', async () => {
    const caseId = randomUUID();
    const taskId = randomUUID();
    const reference = `WL-ONCE-${caseId.slice(0, 6)}`;
    const unit = { unitId: 'unit-a', unitType: 'police', unitName: 'A' } as const;
    const life = lifecycleOf(caseId, reference, { taskId, taskRole: 'lead', ...unit });
    const routed = envelope<CaseRoutedPayload>('case.routed', at(0), caseId, {
      report: {
        caseId,
        reference,
        channel: 'app',
        description: 'x',
        location: { gridCode: 'G9', buildingCode: 'B9' },
        reporter: { anonymous: true, confidential: false },
        media: [],
        reportedAt: at(0),
      },
      categoryCode: 'drain',
      priority: 'normal',
      lead: unit,
    } as unknown as CaseRoutedPayload);
    const breach = life('case.sla-breached', 10, 'assigned', { deadline: 'accept', dueAt: at(10) });
    const returned = life('case.returned', 20, 'routed');
    const closed = life('case.closed', 30, 'closed', { taskId: undefined });
    const lateBreach = life('case.sla-breached', 25, 'routed', { deadline: 'resolve', dueAt: at(25) });

    await ds.transaction(async (m) => {
      for (const e of [routed, routed]) await projection.routed(m, e);
      for (const e of [breach, breach, returned, returned, closed, lateBreach, lateBreach])
        await projection.lifecycle(m, e);
    });

    const [c] = (await ds.query(
      `SELECT status, is_open, breach_count, return_count, hotspot_day IS NOT NULL AS counted
         FROM dispatch.ops_cases WHERE case_id = $1`,
      [caseId],
    )) as Record<string, unknown>[];
    expect(c).toEqual({ status: 'closed', is_open: false, breach_count: 2, return_count: 1, counted: true });
    // Counted on the 民情地图 rollup once, however often the rollup runs.
    const rollup = new OpsHotspotRollup(ds, config, new JsonLogger('test', undefined, 'error'));
    expect(await rollup.rollup()).toBe(1);
    expect(await rollup.rollup()).toBe(0);
    const [{ cases }] = (await ds.query(
      `SELECT sum(cases)::int AS cases FROM dispatch.ops_hotspot_daily WHERE grid_code = 'G9'`,
    )) as { cases: number }[];
    expect(cases).toBe(1);
    const breaches = (await ds.query(
      `SELECT breach_id, closed_at FROM dispatch.ops_breaches WHERE case_id = $1 ORDER BY breached_at`,
      [caseId],
    )) as { breach_id: string; closed_at: Date | null }[];
    // The accept breach leaves the board when the task is returned; the late one is born closed.
    expect(breaches.map((b) => [b.breach_id, b.closed_at?.toISOString()])).toEqual([
      [breach.eventId, at(20)],
      [lateBreach.eventId, at(25)],
    ]);
    const [{ events }] = (await ds.query(
      `SELECT count(*)::int AS events FROM dispatch.ops_case_events WHERE case_id = $1`,
      [caseId],
    )) as { events: number }[];
    expect(events).toBe(5);
  });

  it('folds a lead assignment into the routed upsert: the rows the two projections leave one after the other', async () => {
    /** The ops rows of a case, without its ids and write times. */
    async function rowsOf(caseId: string, routedEventId: string, q: Pick<DataSource, 'query'> = ds) {
      const cases = (await q.query(
        `SELECT to_jsonb(c) - 'case_id' - 'reference' - 'updated_at' - 'hotspot_event_id' AS row,
                c.hotspot_event_id = $2 AS counted_by_routed
           FROM dispatch.ops_cases c WHERE case_id = $1`,
        [caseId, routedEventId],
      )) as unknown[];
      const tasks = (await q.query(
        `SELECT to_jsonb(t) - 'task_id' - 'case_id' - 'updated_at' AS row FROM dispatch.ops_tasks t WHERE case_id = $1`,
        [caseId],
      )) as unknown[];
      const events = (await q.query(
        `SELECT type, at, status, unit_id, unit_name, note FROM dispatch.ops_case_events
          WHERE case_id = $1 ORDER BY at, type`,
        [caseId],
      )) as unknown[];
      return { cases, tasks, events };
    }
    const unit = { unitId: 'unit-a', unitType: 'police' } as const;
    // The assignment after routing's answer, at the same instant, before it (two processes'
    // clocks), and with a later event of the case already projected (a rebuild from Kafka).
    for (const [assignedAt, earlier] of [
      [5, false],
      [0, false],
      [-1, false],
      [5, true],
    ] as const) {
      const written: Awaited<ReturnType<typeof rowsOf>>[] = [];
      for (const folded of [false, true]) {
        const caseId = randomUUID();
        const taskId = randomUUID();
        const reference = `WL-FOLD-${caseId.slice(0, 6)}`;
        // Routing named no unit name; dispatch's assignment carries the one it knows.
        const routed = envelope<CaseRoutedPayload>('case.routed', at(0), caseId, {
          report: {
            caseId,
            reference,
            channel: 'app',
            description: '井盖缺失',
            location: { gridCode: 'G7', buildingCode: 'B7', lat: 31.2, lng: 121.4 },
            reporter: { anonymous: true, confidential: false },
            media: [],
            reportedAt: at(-2),
          },
          categoryCode: 'manhole',
          priority: 'high',
          lead: unit,
        } as unknown as CaseRoutedPayload);
        const life = lifecycleOf(caseId, reference, {
          taskId,
          taskRole: 'lead',
          ...unit,
          unitName: '派出所',
        });
        const assigned = life('case.assigned', assignedAt, 'assigned', {
          priority: 'high',
          categoryCode: 'manhole',
          acceptBy: at(30),
          resolveBy: at(600),
        });
        await ds.transaction(async (m) => {
          if (earlier) await projection.lifecycle(m, life('case.accepted', 10, 'accepted'));
          if (!folded) {
            await projection.routed(m, routed);
            await projection.lifecycle(m, assigned);
            return;
          }
          // Guarded: with the guard false, the statement writes nothing.
          const none = projection.routedAndAssignedStatement(routed, assigned, 1, '$1::boolean');
          await m.query(`WITH ${none.cteSql} SELECT 1`, [false, ...none.params]);
          expect((await rowsOf(caseId, routed.eventId, m)).events).toHaveLength(earlier ? 1 : 0);
          const s = projection.routedAndAssignedStatement(routed, assigned, 1, '$1::boolean');
          await m.query(`WITH ${s.cteSql} SELECT 1`, [true, ...s.params]);
        });
        written.push(await rowsOf(caseId, routed.eventId));
      }
      expect({ assignedAt, earlier, ...written[1] }).toEqual({ assignedAt, earlier, ...written[0] });
      expect(written[0].events).toHaveLength(earlier ? 3 : 2);
    }
  });

  it('copies the case’s closure and rating onto each of its tasks, also onto a task added after the close', async () => {
    const caseId = randomUUID();
    const [first, second, later] = [randomUUID(), randomUUID(), randomUUID()];
    const reference = `WL-OUT-${caseId.slice(0, 6)}`;
    const life = lifecycleOf(caseId, reference);
    const task = (taskId: string, taskRole: 'lead' | 'support', unitId: string) => ({
      taskId,
      taskRole,
      unitId,
      unitType: 'police',
      unitName: unitId,
    });
    const closed = life('case.closed', 30, 'closed', { satisfaction: 'basically_satisfied' });
    await ds.transaction(async (m) => {
      await projection.lifecycle(m, life('case.assigned', 0, 'assigned', task(first, 'lead', 'unit-a')));
      await projection.lifecycle(m, life('case.assigned', 1, 'assigned', task(second, 'support', 'unit-b')));
      await projection.lifecycle(m, life('case.resolved', 20, 'resolved', task(first, 'lead', 'unit-a')));
      // Redelivered: applied once (the event row exists), nothing else moves.
      for (const e of [closed, closed]) await projection.lifecycle(m, e);
      await projection.lifecycle(m, life('case.reopened', 40, 'assigned', task(later, 'lead', 'unit-c')));
    });
    const rows = (await ds.query(
      `SELECT task_id, case_closed_at, case_satisfaction FROM dispatch.ops_tasks WHERE case_id = $1`,
      [caseId],
    )) as { task_id: string; case_closed_at: Date | null; case_satisfaction: string | null }[];
    const byTask = new Map(
      rows.map((r) => [r.task_id, [r.case_closed_at?.toISOString(), r.case_satisfaction]]),
    );
    expect(byTask).toEqual(
      new Map([
        [first, [at(30), 'basically_satisfied']],
        [second, [at(30), 'basically_satisfied']],
        [later, [at(30), 'basically_satisfied']],
      ]),
    );
    // The migration fills rows written before it from ops_cases.
    await ds.query(
      `UPDATE dispatch.ops_tasks SET case_closed_at = NULL, case_satisfaction = NULL WHERE case_id = $1`,
      [caseId],
    );
    const runner = ds.createQueryRunner();
    try {
      await new OpsTaskCaseOutcome1764500000000().down(runner);
      await new OpsTaskCaseOutcome1764500000000().up(runner);
    } finally {
      await runner.release();
    }
    const [filled] = (await ds.query(
      `SELECT count(*) FILTER (WHERE case_closed_at = $2 AND case_satisfaction = 'basically_satisfied')::int AS n
         FROM dispatch.ops_tasks WHERE case_id = $1`,
      [caseId, at(30)],
    )) as { n: number }[];
    expect(filled.n).toBe(3);
  });
});
