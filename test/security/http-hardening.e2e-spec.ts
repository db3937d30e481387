/**
 * Every service, as a real process: helmet headers on every answer, CORS closed by default,
 * request bodies over the limit refused with 413 JSON, requests Node cannot parse answered with
 * JSON, and NUL characters refused with 400 (Postgres cannot store them).
 */
import { connect } from 'node:net';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace } from '@app/testing';
import { http } from './support';

jest.setTimeout(180_000);

const SERVICES = ['intake', 'routing', 'dispatch', 'notification'] as const;
/** A real POST route of each service (the body limit applies before routing and guards). */
const POST_PATH: Record<(typeof SERVICES)[number], string> = {
  intake: '/v1/reports',
  routing: '/v1/admin/units',
  dispatch: '/center/v1/auth/login',
  notification: '/v1/dead-letters/00000000-0000-4000-8000-000000000000/replay',
};

let ns: TestNamespace;
const procs: Partial<Record<(typeof SERVICES)[number], ServiceProcess>> = {};

beforeAll(async () => {
  ns = await createTestNamespace({ label: 'sechttp' });
  await Promise.all(
    SERVICES.map(async (s) => {
      procs[s] = await spawnService(s, { ...ns.env, HTTP_BODY_LIMIT: '64kb' }, { readyTimeoutMs: 120_000 });
    }),
  );
});

afterAll(async () => {
  await Promise.all(Object.values(procs).map((p) => p?.kill('SIGTERM')));
  await ns?.cleanup();
});

function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (b) => (out += b.toString('utf8')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.write(request);
  });
}

describe.each(SERVICES)('%s', (svc) => {
  const url = () => procs[svc]!.url;

  it('sends helmet headers on success, error and document answers, and no X-Powered-By', async () => {
    for (const path of ['/health/live', '/no/such/route', '/openapi.json']) {
      const r = await http(`${url()}${path}`);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('keeps CORS closed by default: no Access-Control-Allow-Origin for a foreign origin', async () => {
    const preflight = await http(`${url()}${POST_PATH[svc]}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const simple = await http(`${url()}/health/live`, { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a body over the limit with 413 and a JSON error', async () => {
    const r = await http<{ code: string; message: string }>(`${url()}${POST_PATH[svc]}`, {
      body: { description: 'x'.repeat(100 * 1024) },
    });
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers a request Node cannot parse with 400 JSON, not a bare 400', async () => {
    const out = await rawRequest(
      procs[svc]!.port,
      'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\u0001b\r\n\r\n',
    );
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    expect(out).toMatch(/content-type: application\/json/i);
    expect(out).toContain('"code":"MALFORMED_REQUEST"');
  });

  it('refuses NUL characters in the URL and in a JSON body with 400 naming the field', async () => {
    const inUrl = await http<{ code: string }>(`${url()}/health/live?x=%00`);
    expect(inUrl.status).toBe(400);
    expect(inUrl.body.code).toBe('VALIDATION_FAILED');
    const inBody = await http<{ code: string; details: { fields: { field: string }[] } }>(
      `${url()}${POST_PATH[svc]}`,
      { body: { reporter: { name: 'a\u0000b' } } },
    );
    expect(inBody.status).toBe(400);
    expect(inBody.body.details.fields[0].field).toBe('reporter.name');
  });
});

it('opens CORS only to the configured origins (CORS_ORIGINS)', async () => {
  const p = await spawnService('notification', { ...ns.env, CORS_ORIGINS: 'https://center.example' });
  try {
    const ask = (origin: string) =>
      http(`${p.url}/health/live`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    expect((await ask('https://center.example')).headers.get('access-control-allow-origin')).toBe(
      'https://center.example',
    );
    expect((await ask('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  } finally {
    await p.kill('SIGTERM');
  }
});
