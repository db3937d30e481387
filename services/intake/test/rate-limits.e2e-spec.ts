import { createTestNamespace, ServiceProcess, spawnService, TestNamespace } from '@app/testing';
import { call, report, sql } from './support';

describe('rate limits per client and per phone number', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'ratelimit' });
    intake = await spawnService('intake', {
      ...ns.env,
      RATE_LIMIT_CLIENT_PER_MINUTE: '6',
      RATE_LIMIT_PHONE_PER_HOUR: '2',
      RATE_LIMIT_OPEN311_KEY_PER_MINUTE: '1000',
    });
  });

  afterAll(async () => {
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  const withPhone = (phone: string) =>
    report({ reporter: { anonymous: false, confidential: false, name: '赵', phone } });

  it('refuses a third report from one phone number within the hour with 429 and Retry-After, writing nothing', async () => {
    expect((await call(`${intake.url}/v1/reports`, { body: withPhone('13700000001') })).status).toBe(201);
    expect((await call(`${intake.url}/v1/reports`, { body: withPhone('137-0000-0001') })).status).toBe(201);
    const third = await call<{ code: string }>(`${intake.url}/v1/reports`, {
      body: withPhone('13700000001'),
    });
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('INTAKE.RATE_LIMITED');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    const [{ n }] = await sql<{ n: number }>(ns, `SELECT count(*)::int AS n FROM intake.reports`);
    expect(n).toBe(2);
    // Another phone is not limited by it.
    expect((await call(`${intake.url}/v1/reports`, { body: withPhone('13700000002') })).status).toBe(201);
  });

  it('refuses a client over its per-minute limit with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    // 14 requests: even if a minute window turns over mid-way, one window sees more than 6.
    for (let i = 0; i < 14; i++) {
      const r = await call(`${intake.url}/v1/reports`, {
        body: report({ reporter: { anonymous: true, confidential: false } }),
      });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });
});
