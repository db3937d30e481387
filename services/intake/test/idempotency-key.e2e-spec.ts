import Redis from 'ioredis';
import { CaseReportedPayload, Topic } from '@app/contracts';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace, TopicReader } from '@app/testing';
import { call, LENIENT_LIMITS, report, sql } from './support';

describe('Idempotency-Key: one report, one case, whatever happens', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let reported: TopicReader<CaseReportedPayload>;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'idem' });
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS });
    reported = await TopicReader.open<CaseReportedPayload>(ns, Topic.CaseReported);
  });

  afterAll(async () => {
    await reported?.close();
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  it('sent concurrently 20 times yields one case, one case.reported and 20 identical answers', async () => {
    const body = report();
    const key = 'concurrent-key-0001';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        call<{ caseId: string; trackingToken: string }>(`${intake.url}/v1/reports`, {
          body,
          headers: { 'Idempotency-Key': key },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect([...new Set(answers.map((a) => JSON.stringify(a.body)))]).toHaveLength(1);
    const caseId = answers[0].body.caseId;
    const rows = await sql<{ n: number }>(ns, `SELECT count(*)::int AS n FROM intake.reports`);
    expect(rows[0].n).toBe(1);
    await reported.waitForEvent((e) => e.caseId === caseId);
    // A later marker report proves nothing else was published for the key before it.
    const marker = await call<{ caseId: string }>(`${intake.url}/v1/reports`, { body: report() });
    await reported.waitForEvent((e) => e.caseId === marker.body.caseId);
    expect(reported.events((e) => e.caseId === caseId)).toHaveLength(1);
    // The stored answer never holds the tracking token in clear.
    const stored = await sql<{ body: unknown }>(
      ns,
      `SELECT body FROM intake.idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(JSON.stringify(stored[0].body)).not.toContain(answers[0].body.trackingToken);
  });

  it('refuses the same key with a different body with 422, creating nothing', async () => {
    const key = 'reused-key-0002';
    const first = await call(`${intake.url}/v1/reports`, {
      body: report(),
      headers: { 'Idempotency-Key': key },
    });
    expect(first.status).toBe(201);
    const other = await call<{ code: string }>(`${intake.url}/v1/reports`, {
      body: report({ description: 'something else' }),
      headers: { 'Idempotency-Key': key },
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    const rows = await sql<{ n: number }>(
      ns,
      `SELECT count(*)::int AS n FROM intake.reports WHERE description = 'something else'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('survives the loss of Redis and a restart between two identical requests: still one case, same answer', async () => {
    const body = report();
    const key = 'redis-loss-key-0003';
    const first = await call<{ caseId: string }>(`${intake.url}/v1/reports`, {
      body,
      headers: { 'Idempotency-Key': key },
    });
    expect(first.status).toBe(201);

    // Lose every idempotency key of this namespace in Redis (the shared Redis keeps running).
    const redis = new Redis(process.env.REDIS_URL as string);
    try {
      const keys = await redis.keys(`${ns.redisPrefix}idem:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      expect(await redis.keys(`${ns.redisPrefix}idem:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    // And restart the process.
    await intake.kill('SIGTERM');
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS });

    const again = await call<{ caseId: string }>(`${intake.url}/v1/reports`, {
      body,
      headers: { 'Idempotency-Key': key },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const rows = await sql<{ n: number }>(
      ns,
      `SELECT count(*)::int AS n FROM intake.reports WHERE case_id = $1`,
      [first.body.caseId],
    );
    expect(rows[0].n).toBe(1);
    const marker = await call<{ caseId: string }>(`${intake.url}/v1/reports`, { body: report() });
    await reported.waitForEvent((e) => e.caseId === marker.body.caseId);
    expect(reported.events((e) => e.caseId === first.body.caseId)).toHaveLength(1);
  });
});
