/**
 * Secrets are stored hashed, never in the clear (searched in every table of the owning schema,
 * outbox included): partner API keys (routing and dispatch), staff passwords and bearer tokens
 * (dispatch), residents' tracking tokens and Open311 client keys (intake). Staff tokens expire.
 * The same run checks that logs never carry the reporter's phone number or name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace, waitFor } from '@app/testing';
import { http, query, tablesContaining } from './support';

jest.setTimeout(180_000);

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const ROUTING_ADMIN = `sec-routing-${randomBytes(8).toString('hex')}`;
const OPEN311_KEY = `sec-open311-${randomBytes(8).toString('hex')}`;
const PHONE = '13912345678';
const NAME = '欧阳娜娜';

let ns: TestNamespace;
let intake: ServiceProcess;
let routing: ServiceProcess;
let dispatch: ServiceProcess;

beforeAll(async () => {
  ns = await createTestNamespace({ label: 'secrest' });
  const env = {
    ...ns.env,
    LOG_LEVEL: 'debug',
    SEED_DEMO: 'true',
    SEED_DEMO_STAFF: 'true',
    ROUTING_ADMIN_TOKEN: ROUTING_ADMIN,
    OPEN311_DEMO_API_KEY: OPEN311_KEY,
    STAFF_TOKEN_TTL_MINUTES: '30',
  };
  [intake, routing, dispatch] = await Promise.all([
    spawnService('intake', env, { readyTimeoutMs: 120_000 }),
    spawnService('routing', env, { readyTimeoutMs: 120_000 }),
    spawnService('dispatch', env, { readyTimeoutMs: 120_000 }),
  ]);
});

afterAll(async () => {
  await Promise.all([intake, routing, dispatch].map((p) => p?.kill('SIGTERM')));
  await ns?.cleanup();
});

it('stores a partner API key only as its sha256, in routing and in dispatch, and the key works', async () => {
  const added = await http<{ apiKey: string; unitId: string }>(
    `${routing.url}/v1/admin/units/U-PM-SZL/api-keys`,
    {
      body: { label: 'security test' },
      headers: { authorization: `Bearer ${ROUTING_ADMIN}`, 'x-actor': 'security-test' },
    },
  );
  expect(added.status).toBe(201);
  const key = added.body.apiKey;
  expect(key.length).toBeGreaterThanOrEqual(32);
  const [row] = await query<{ key_hash: string }>(
    ns.databaseUrl,
    `SELECT key_hash FROM routing.unit_api_keys WHERE unit_id = $1 AND key_hash = $2`,
    ['U-PM-SZL', sha256(key)],
  );
  expect(row).toBeDefined();
  // Dispatch learns the hash from reference.units.v1 (the key itself never travels).
  await waitFor(
    async () =>
      (
        await query(ns.databaseUrl, `SELECT 1 FROM dispatch.unit_api_keys WHERE key_hash = $1`, [
          sha256(key),
        ]).catch(() => [])
      ).length > 0,
    { what: 'the new key hash in dispatch', timeoutMs: 60_000 },
  );
  expect(await tablesContaining(ns.databaseUrl, 'routing', key)).toEqual([]);
  expect(await tablesContaining(ns.databaseUrl, 'dispatch', key)).toEqual([]);
  const tasks = await http(`${dispatch.url}/partner/v1/tasks`, { headers: { 'x-api-key': key } });
  expect(tasks.status).toBe(200);
});

it('stores staff passwords as scrypt hashes and bearer tokens as sha256; tokens expire', async () => {
  const login = await http<{ token: string; expiresAt: string }>(`${dispatch.url}/center/v1/auth/login`, {
    body: { username: 'admin', password: 'admin-demo-2026' },
  });
  expect(login.status).toBe(200);
  const { token, expiresAt } = login.body;
  // STAFF_TOKEN_TTL_MINUTES=30: the token says when it dies.
  const ttl = Date.parse(expiresAt) - Date.now();
  expect(ttl).toBeGreaterThan(28 * 60_000);
  expect(ttl).toBeLessThanOrEqual(30 * 60_000);
  const [staff] = await query<{ password_hash: string }>(
    ns.databaseUrl,
    `SELECT password_hash FROM dispatch.staff WHERE username = 'admin'`,
  );
  expect(staff.password_hash).toMatch(/^scrypt\$/);
  expect(await tablesContaining(ns.databaseUrl, 'dispatch', 'admin-demo-2026')).toEqual([]);
  expect(await tablesContaining(ns.databaseUrl, 'dispatch', token)).toEqual([]);
  const [t] = await query(ns.databaseUrl, `SELECT 1 FROM dispatch.staff_tokens WHERE token_hash = $1`, [
    sha256(token),
  ]);
  expect(t).toBeDefined();

  const me = () =>
    http(`${dispatch.url}/center/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  expect((await me()).status).toBe(200);
  // Time passes: the token's expiry is reached.
  await query(
    ns.databaseUrl,
    `UPDATE dispatch.staff_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
    [sha256(token)],
  );
  const expired = await me();
  expect(expired.status).toBe(401);
  expect((expired.body as { code: string }).code).toBe('AUTH.UNAUTHENTICATED');
});

it('stores tracking tokens and Open311 keys hashed; logs carry neither phone number nor name', async () => {
  const r = await http<{ reference: string; trackingToken: string }>(`${intake.url}/v1/reports`, {
    body: {
      channel: 'app',
      description: `楼道灯坏了，请回电 ${PHONE} / stair light broken, call me`,
      location: { gridCode: 'WL-GH-G1', addressText: '桂花苑3幢2单元' },
      reporter: { anonymous: false, confidential: false, name: NAME, phone: PHONE, preferredContact: 'sms' },
    },
  });
  expect(r.status).toBe(201);
  const { reference, trackingToken } = r.body;
  const [row] = await query<{ h: Buffer }>(
    ns.databaseUrl,
    `SELECT tracking_token_hash AS h FROM intake.reports WHERE reference = $1`,
    [reference],
  );
  expect(row.h.toString('hex')).toBe(sha256(trackingToken));
  expect(await tablesContaining(ns.databaseUrl, 'intake', trackingToken)).toEqual([]);
  expect(await tablesContaining(ns.databaseUrl, 'intake', OPEN311_KEY)).toEqual([]);
  const [client] = await query<{ key_hash: string }>(
    ns.databaseUrl,
    `SELECT key_hash FROM intake.open311_clients WHERE key_hash = $1`,
    [sha256(OPEN311_KEY)],
  );
  expect(client).toBeDefined();
  // The resident can read the report with the token, and not without it.
  const mine = await http(`${intake.url}/v1/reports/${reference}`, {
    headers: { 'x-tracking-token': trackingToken },
  });
  expect(mine.status).toBe(200);
  const notMine = await http(`${intake.url}/v1/reports/${reference}`, {
    headers: { 'x-tracking-token': randomBytes(32).toString('base64url') },
  });
  expect(notMine.status).toBe(404);

  // The report travelled through routing (and maybe dispatch) at LOG_LEVEL=debug: no raw PII anywhere.
  await waitFor(
    async () =>
      (await query(ns.databaseUrl, `SELECT 1 FROM routing.inbox LIMIT 1`).catch(() => [])).length > 0,
    { what: 'routing to consume the report', timeoutMs: 60_000 },
  );
  for (const p of [intake, routing, dispatch]) {
    const out = p.output();
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toContain(PHONE);
    expect(out).not.toContain(NAME);
    expect(out).not.toContain(trackingToken);
  }
});
