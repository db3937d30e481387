/**
 * The benchmark seed (sla-bench-seed.ts) against a running dispatch: many open tasks with future
 * deadlines and a few due soon; exactly the due ones breach, once each, within 2 s of their
 * deadline, and the due scan stays an index range scan.
 */
import { Client } from 'pg';
import { seedOpenTasks } from '../src/sla/sla-bench-seed';
import { DispatchHarness } from './support/dispatch-harness';

describe('SLA bench seed', () => {
  let h: DispatchHarness;
  let db: Client;

  beforeAll(async () => {
    h = await DispatchHarness.start('slaseed');
    db = new Client({ connectionString: h.ns.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await h?.stop();
  });

  it('breaches exactly the tasks due soon, once each, on time', async () => {
    const seeded = await seedOpenTasks(db, 20_000, { dueSoon: 5, dueInMs: 3000, spreadMs: 200, chunk: 7000 });
    expect(seeded.dueSoon).toHaveLength(5);
    const counts = await db.query(
      `SELECT (SELECT count(*) FROM dispatch.task_sla)::int AS sla, (SELECT count(*) FROM dispatch.cases)::int AS cases`,
    );
    expect(counts.rows[0]).toEqual({ sla: 20_000, cases: 20_000 });

    const plan = await db.query(
      `EXPLAIN SELECT task_id FROM dispatch.task_sla WHERE next_timer_at <= now() ORDER BY next_timer_at LIMIT 200`,
    );
    expect(JSON.stringify(plan.rows)).toContain('task_sla_next_timer_idx');

    const breaches = await h.lifecycle.waitForCount((e) => e.type === 'case.sla-breached', 5, 20_000);
    for (const s of seeded.dueSoon) {
      const mine = breaches.filter((e) => e.payload.taskId === s.taskId);
      expect(mine).toHaveLength(1);
      expect(mine[0].payload.dueAt).toBe(s.dueAt.toISOString());
      const lag = new Date(mine[0].payload.at).getTime() - s.dueAt.getTime();
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(2000);
    }
    const next = await db.query(`SELECT min(next_timer_at) AS at FROM dispatch.task_sla`);
    expect(new Date(next.rows[0].at).getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    expect(
      h.lifecycle.events((e) => e.type.startsWith('case.sla-') || e.type === 'case.escalated'),
    ).toHaveLength(5);
  });
});
