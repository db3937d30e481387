import { CaseReportedPayload, Topic } from '@app/contracts';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace, TopicReader } from '@app/testing';
import { call, LENIENT_LIMITS, report, sql } from './support';

/**
 * References come from blocks of numbers each process reserves from the day's counter: under
 * concurrency, and with two replicas on one counter, every report still gets its own reference.
 */
describe('case references under concurrency (two replicas, small blocks)', () => {
  let ns: TestNamespace;
  let replicas: ServiceProcess[] = [];
  let reported: TopicReader<CaseReportedPayload>;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'references' });
    // Small blocks so that the 200 reports need many reservations, racing across both replicas.
    const env = { ...ns.env, ...LENIENT_LIMITS, REFERENCE_BLOCK_SIZE: '7' };
    replicas = [await spawnService('intake', env), await spawnService('intake', env)];
    reported = await TopicReader.open<CaseReportedPayload>(ns, Topic.CaseReported);
  });

  afterAll(async () => {
    await reported?.close();
    await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
    await ns?.cleanup();
  });

  it('gives 200 concurrent reports 200 distinct references, each published once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call<{ caseId: string; reference: string }>(`${replicas[i % 2].url}/v1/reports`, {
          // Half carry a category (the duplicate-checking path, in a transaction), half do not (one statement).
          body: report(i % 4 < 2 ? { categoryCode: 'drain_blocked' } : {}),
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(201));
    const references = answers.map((a) => a.body.reference);
    expect(references.every((r) => /^WL-\d{8}-\d{6}$/.test(r))).toBe(true);
    expect(new Set(references).size).toBe(200);
    const [{ n, distinct }] = await sql<{ n: number; distinct: number }>(
      ns,
      `SELECT count(*)::int AS n, count(DISTINCT reference)::int AS distinct FROM intake.reports`,
    );
    expect(n).toBe(200);
    expect(distinct).toBe(200);
    // Every number comes from a reserved block: none above what the day's counter reserved.
    const [{ last }] = await sql<{ last: number }>(
      ns,
      `SELECT max(last_value)::int AS last FROM intake.reference_counters`,
    );
    expect(Math.max(...references.map((r) => Number(r.slice(-6))))).toBeLessThanOrEqual(last);
    for (const a of answers) await reported.waitForEvent((e) => e.caseId === a.body.caseId);
    expect(reported.events((e) => e.type === 'case.reported')).toHaveLength(200);
  });

  it('numbers each replica’s later reports above its earlier ones', async () => {
    const replica = replicas[0];
    const first = await call<{ reference: string }>(`${replica.url}/v1/reports`, { body: report() });
    const second = await call<{ reference: string }>(`${replica.url}/v1/reports`, { body: report() });
    // The date comes first and the number is zero-padded: later references sort after earlier ones.
    expect(second.body.reference > first.body.reference).toBe(true);
  });
});
