/**
 * The whole loop on real infrastructure, three real processes: a resident reports at intake
 * (POST /v1/reports) → routing routes it → dispatch assigns → the property company accepts,
 * reports progress and resolves through the partner API → the resident confirms, satisfied,
 * with the tracking token at intake → dispatch closes it (resident_confirmed) and the resident's
 * view at intake shows it closed.
 *
 * PENDING until routing consumes case.reported and takes its reference data (units with API-key
 * hashes, category → unit type, area coverage) through its own admin API. Run with
 * WHOLE_LOOP=1; `seedRouting` below is the one place to adapt to routing's admin API.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace, waitFor } from '@app/testing';

const run = process.env.WHOLE_LOOP === '1' ? describe : describe.skip;

interface Answer<T> {
  status: number;
  body: T;
}

async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Creates the property company (with its API key) and the drain rule in routing. Adapt to routing's admin API. */
async function seedRouting(routing: ServiceProcess, unit: { unitId: string; apiKey: string }): Promise<void> {
  const admin = { authorization: `Bearer ${process.env.ROUTING_ADMIN_TOKEN ?? 'routing-admin-demo-2026'}` };
  const u = await call(
    `${routing.url}/admin/v1/units`,
    'POST',
    {
      unitId: unit.unitId,
      name: '幸福小区物业',
      unitType: 'property_management',
      areaCodes: ['G-04'],
      contact: { phone: '021-12345678' },
      apiKeyHashes: [createHash('sha256').update(unit.apiKey).digest('hex')],
    },
    admin,
  );
  if (u.status >= 300) throw new Error(`routing refused the unit: ${u.status} ${JSON.stringify(u.body)}`);
}

run('whole loop: intake → routing → dispatch → partner → resident confirmation → closed', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let routing: ServiceProcess;
  let dispatch: ServiceProcess;
  const unit = {
    unitId: `prop-${randomBytes(3).toString('hex')}`,
    apiKey: `pk_${randomBytes(24).toString('base64url')}`,
  };

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'dspwhole', partitions: 3 });
    [intake, routing, dispatch] = await Promise.all([
      spawnService('intake', ns.env),
      spawnService('routing', ns.env),
      spawnService('dispatch', { ...ns.env, SEED_DEMO_STAFF: 'true' }),
    ]);
    await seedRouting(routing, unit);
    await waitFor(
      async () =>
        (await call(`${dispatch.url}/partner/v1/tasks`, 'GET', undefined, { 'x-api-key': unit.apiKey }))
          .status === 200,
      {
        what: 'dispatch to know the unit from reference.units',
        timeoutMs: 30_000,
        intervalMs: 3500,
      },
    );
  });

  afterAll(async () => {
    await Promise.allSettled([intake?.kill('SIGTERM'), routing?.kill('SIGTERM'), dispatch?.kill('SIGTERM')]);
    await ns?.cleanup();
  });

  it('closes with a satisfied rating', async () => {
    const reported = await call<{ caseId: string; reference: string; trackingToken: string }>(
      `${intake.url}/v1/reports`,
      'POST',
      {
        channel: 'app',
        description: '楼下下水道堵了，污水流进家里',
        location: { gridCode: 'G-04', buildingCode: 'B-12' },
        reporter: {
          anonymous: false,
          confidential: false,
          name: '王阿姨',
          phone: '13800138000',
          preferredContact: 'sms',
        },
      },
    );
    expect(reported.status).toBe(201);
    const { caseId, reference, trackingToken } = reported.body;
    const key = { 'x-api-key': unit.apiKey };

    const task = await waitFor(
      async () => {
        const r = await call<{ items: { taskId: string; caseId: string }[] }>(
          `${dispatch.url}/partner/v1/tasks`,
          'GET',
          undefined,
          key,
        );
        return r.body.items?.find((t) => t.caseId === caseId);
      },
      { what: 'the task at the property company', timeoutMs: 40_000 },
    );
    expect(
      (await call(`${dispatch.url}/partner/v1/tasks/${task.taskId}/accept`, 'POST', undefined, key)).status,
    ).toBe(200);
    expect(
      (
        await call(
          `${dispatch.url}/partner/v1/tasks/${task.taskId}/progress`,
          'POST',
          { note: '工程师已到场' },
          key,
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await call(
          `${dispatch.url}/partner/v1/tasks/${task.taskId}/resolve`,
          'POST',
          { note: '已疏通', evidence: [{ url: 'https://media.example.org/a.jpg' }] },
          key,
        )
      ).status,
    ).toBe(200);

    const track = { 'x-tracking-token': trackingToken };
    await waitFor(
      async () =>
        (
          await call<{ awaitingFeedback: boolean }>(
            `${intake.url}/v1/reports/${reference}`,
            'GET',
            undefined,
            track,
          )
        ).body.awaitingFeedback,
      {
        what: 'intake to show the case resolved',
        timeoutMs: 30_000,
      },
    );
    const fb = await call(
      `${intake.url}/v1/reports/${reference}/feedback`,
      'POST',
      { confirmed: true, satisfaction: 'satisfied', comment: '谢谢' },
      track,
    );
    expect(fb.status).toBe(202);

    const login = await call<{ token: string }>(`${dispatch.url}/center/v1/auth/login`, 'POST', {
      username: 'dispatcher',
      password: 'dispatcher-demo-2026',
    });
    const staff = { authorization: `Bearer ${login.body.token}` };
    const closed = await waitFor(
      async () => {
        const r = await call<{ status: string; closedHow?: string; satisfaction?: string }>(
          `${dispatch.url}/center/v1/cases/${caseId}`,
          'GET',
          undefined,
          staff,
        );
        return r.body.status === 'closed' ? r.body : undefined;
      },
      { what: 'the case to be closed', timeoutMs: 30_000 },
    );
    expect(closed).toMatchObject({ closedHow: 'resident_confirmed', satisfaction: 'satisfied' });
    await waitFor(
      async () =>
        (await call<{ status: string }>(`${intake.url}/v1/reports/${reference}`, 'GET', undefined, track))
          .body.status === 'closed',
      {
        what: "the resident's view to show closed",
        timeoutMs: 30_000,
      },
    );
  });
});
