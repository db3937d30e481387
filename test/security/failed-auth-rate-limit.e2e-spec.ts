/**
 * Guessing credentials is cut short: after N failures the answer is 429 with Retry-After —
 * staff passwords (per username and per address), partner API keys (per address), Open311
 * api_keys (per address), the routing and notification admin tokens (per address).
 */
import { randomBytes } from 'node:crypto';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace } from '@app/testing';
import { http } from './support';

jest.setTimeout(180_000);

let ns: TestNamespace;
let dispatch: ServiceProcess;
let intake: ServiceProcess;
let routing: ServiceProcess;
let notification: ServiceProcess;

beforeAll(async () => {
  ns = await createTestNamespace({ label: 'secauth' });
  [dispatch, intake, routing, notification] = await Promise.all([
    spawnService('dispatch', { ...ns.env, SEED_DEMO_STAFF: 'true' }, { readyTimeoutMs: 120_000 }),
    spawnService('intake', ns.env, { readyTimeoutMs: 120_000 }),
    spawnService('routing', { ...ns.env, ADMIN_AUTH_FAILURES_PER_MINUTE: '5' }, { readyTimeoutMs: 120_000 }),
    spawnService(
      'notification',
      { ...ns.env, ADMIN_AUTH_FAILURES_PER_MINUTE: '5' },
      { readyTimeoutMs: 120_000 },
    ),
  ]);
});

afterAll(async () => {
  await Promise.all([dispatch, intake, routing, notification].map((p) => p?.kill('SIGTERM')));
  await ns?.cleanup();
});

it('locks a staff username after 5 wrong passwords: 429 with Retry-After, even for the right one', async () => {
  const login = (password: string) =>
    http<{ code: string }>(`${dispatch.url}/center/v1/auth/login`, {
      body: { username: 'dispatcher', password },
    });
  for (let i = 0; i < 5; i++) {
    const r = await login(`wrong-${i}-password`);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('AUTH.INVALID_CREDENTIALS');
  }
  const blocked = await login('dispatcher-demo-2026');
  expect(blocked.status).toBe(429);
  expect(blocked.body.code).toBe('AUTH.TOO_MANY_ATTEMPTS');
  expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  // Another account is not locked by it.
  const other = await http(`${dispatch.url}/center/v1/auth/login`, {
    body: { username: 'supervisor', password: 'supervisor-demo-2026' },
  });
  expect(other.status).toBe(200);
});

it('refuses partner API key guessing after 20 wrong keys per address: 429 with Retry-After', async () => {
  const statuses: number[] = [];
  let last: Awaited<ReturnType<typeof http<{ code: string }>>> | undefined;
  for (let i = 0; i < 21; i++) {
    last = await http<{ code: string }>(`${dispatch.url}/partner/v1/tasks`, {
      headers: { 'x-api-key': `pk_${randomBytes(24).toString('base64url')}` },
    });
    statuses.push(last.status);
  }
  expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
  expect(last!.status).toBe(429);
  expect(last!.body.code).toBe('PARTNER.TOO_MANY_ATTEMPTS');
  expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
});

it('refuses Open311 api_key guessing after 20 wrong keys per address: 429 with Retry-After', async () => {
  const post = (key: string) =>
    http<{ code: number; description: string }[]>(`${intake.url}/open311/v2/requests.json`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({
        api_key: key,
        service_code: 'drain_blocked',
        description: 'blocked drain',
        address_string: 'x',
      }).toString(),
    });
  for (let i = 0; i < 20; i++) {
    const r = await post(`guess-${randomBytes(8).toString('hex')}`);
    expect(r.status).toBe(403);
  }
  const blocked = await post(`guess-${randomBytes(8).toString('hex')}`);
  expect(blocked.status).toBe(429);
  expect(blocked.body[0].code).toBe(429);
  expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
});

it.each([
  ['routing', () => `${routing.url}/v1/admin/units`],
  ['notification', () => `${notification.url}/v1/deliveries`],
])(
  'refuses %s admin-token guessing after the configured failures per address (5 here)',
  async (_name, url) => {
    const get = (token: string) =>
      http<{ code: string }>(url(), {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, 'x-actor': 'test' },
      });
    for (let i = 0; i < 5; i++) expect((await get(`guess-${i}`)).status).toBe(401);
    const blocked = await get('guess-again');
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('AUTH.TOO_MANY_ATTEMPTS');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  },
);
