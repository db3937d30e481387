import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from './http-post';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('postJson', () => {
  let server: Server;
  let url: string;
  let handler: Handler;
  const sockets = new Set<unknown>();
  const seen: { headers: IncomingMessage['headers']; body: string; method?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body, method: req.method });
        handler(req, body, res);
      });
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/u1`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('POSTs the raw body with its headers and reports a 2xx as delivered', async () => {
    handler = (_req, _body, res) => res.writeHead(204).end();
    const raw = JSON.stringify({ deliveryId: 'd1', text: '您好' });
    const r = await postJson(url, raw, { 'x-webhook-id': 'd1' }, 2000);
    expect(r).toEqual({ ok: true, status: 204, retriable: false });
    expect(seen[0]).toMatchObject({ method: 'POST', body: raw });
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'community-case-notification/1.0',
      'x-webhook-id': 'd1',
      'content-length': String(Buffer.byteLength(raw)),
    });
  });

  it('keeps the connection for the next POST', async () => {
    handler = (_req, _body, res) => res.writeHead(200).end('ok');
    const before = sockets.size;
    for (let i = 0; i < 5; i++) expect((await postJson(url, '{}', {}, 2000)).ok).toBe(true);
    expect(sockets.size - before).toBeLessThanOrEqual(1);
  });

  it('reports a 5xx as retriable with the start of the answer, a 4xx and a 3xx as final', async () => {
    handler = (_req, _body, res) => res.writeHead(503).end('x'.repeat(5000));
    const r = await postJson(url, '{}', {}, 2000);
    expect(r).toMatchObject({ ok: false, status: 503, retriable: true });
    expect(r.error).toBe(`HTTP 503: ${'x'.repeat(300)}`);

    handler = (_req, _body, res) => res.writeHead(400).end();
    expect(await postJson(url, '{}', {}, 2000)).toEqual({
      ok: false,
      status: 400,
      retriable: false,
      error: 'HTTP 400',
    });

    handler = (_req, _body, res) => res.writeHead(302, { location: 'http://elsewhere.example/' }).end();
    expect(await postJson(url, '{}', {}, 2000)).toMatchObject({ ok: false, status: 302, retriable: false });
    expect(seen).toHaveLength(3); // the redirect was not followed
  });

  it('gives up after the timeout, retriable', async () => {
    handler = (_req, _body, res) => setTimeout(() => res.writeHead(200).end(), 1000);
    const started = Date.now();
    const r = await postJson(url, '{}', {}, 150);
    expect(r).toEqual({ ok: false, retriable: true, timedOut: true, error: 'no answer within 150 ms' });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('names a network failure by its code, retriable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await postJson(`http://127.0.0.1:${port}/`, '{}', {}, 2000)).toEqual({
      ok: false,
      retriable: true,
      error: 'ECONNREFUSED',
    });
    expect(await postJson('not a url', '{}', {}, 2000)).toEqual({
      ok: false,
      retriable: true,
      error: 'ERR_INVALID_URL',
    });
  });
});
