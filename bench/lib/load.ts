import { Agent, request } from 'node:http';

export interface OpenLoopResult {
  offered: number;
  sent: number;
  answered: number;
  errors: number;
  startedAt: number;
  endedAt: number;
}

export interface OpenLoopOptions {
  url: string;
  ratePerSec: number;
  durationMs: number;
  body: (i: number) => unknown;
  headers?: Record<string, string>;
  /** Called with the scheduled send time (ms), the answer time, status and parsed body. */
  onAnswer: (sentAt: number, at: number, status: number, body: unknown, i: number) => void;
  onError: (sentAt: number, err: Error) => void;
  maxSockets?: number;
}

/** One keep-alive pool for the whole run (64 sockets: a realistic front proxy's fan-in). */
export function keepAliveAgent(maxSockets = 64): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
}

export function postJson(
  agent: Agent,
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; body: unknown }> {
  const u = new URL(url);
  const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method,
        headers: {
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/**
 * Open-loop load: sends are scheduled by the clock at a fixed rate and never wait for earlier
 * answers (a slow server does not slow the offered load down: no coordinated omission). Latency
 * counts from the scheduled instant, so time spent waiting for a free socket is counted too.
 */
export async function openLoop(
  agent: Agent,
  o: OpenLoopOptions,
  startIndex: number,
): Promise<OpenLoopResult> {
  const interval = 1000 / o.ratePerSec;
  const total = Math.round((o.ratePerSec * o.durationMs) / 1000);
  const startedAt = Date.now();
  let sent = 0;
  let answered = 0;
  let errors = 0;
  const inflight = new Set<Promise<void>>();
  while (sent < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor((now - startedAt) / interval) + 1);
    while (sent < due) {
      const i = startIndex + sent;
      const sentAt = startedAt + sent * interval;
      sent++;
      const p: Promise<void> = postJson(agent, o.url, o.body(i), o.headers)
        .then((r) => {
          answered++;
          o.onAnswer(sentAt, Date.now(), r.status, r.body, i);
        })
        .catch((err: unknown) => {
          errors++;
          o.onError(sentAt, err as Error);
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    const next = startedAt + sent * interval;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, next - Date.now()))));
  }
  const endedAt = Date.now();
  await Promise.all([...inflight]);
  return { offered: o.ratePerSec, sent, answered, errors, startedAt, endedAt };
}
