import { Agent as HttpAgent, request as httpRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { SendResult } from './notification-provider';

/** Statuses worth retrying: the partner is busy, down or asks us to come back. */
export function isRetriableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

/** How much of an answer is kept for the attempt log (characters), and read for it (bytes). */
const ANSWER_CHARS = 300;
const ANSWER_BYTES = 4 * ANSWER_CHARS;

/**
 * Connections are kept alive between POSTs to the same partner. An idle socket is closed
 * after IDLE_SOCKET_MS, or earlier when the server announces a shorter `Keep-Alive: timeout`
 * (minus a margin), so a send never races the server closing an idle connection.
 */
const IDLE_SOCKET_MS = 4000;
const agentOptions = {
  keepAlive: true,
  timeout: IDLE_SOCKET_MS,
  maxSockets: 64,
  scheduling: 'lifo' as const,
};
const httpAgent = new HttpAgent(agentOptions);
const httpsAgent = new HttpsAgent(agentOptions);

/**
 * POSTs a JSON body with a hard timeout over the whole exchange, reading at most a little of
 * the answer. Plain node:http with keep-alive agents (a WHATWG fetch builds a Request, web
 * streams and an AbortSignal per call: several times the CPU of the request itself). Redirects
 * are not followed: a 3xx is an answer like any other non-2xx.
 */
export function postJson(
  url: string,
  rawBody: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (err) {
    return Promise.resolve(failure(err));
  }
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:')
    return Promise.resolve({
      ok: false,
      retriable: true,
      error: `unsupported URL scheme ${target.protocol}`,
    });
  const body = Buffer.from(rawBody, 'utf8');
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    /** What the timeout reports: no answer at all, or (once the status is in) the status. */
    let onTimeout = (): SendResult => ({
      ok: false,
      retriable: true,
      timedOut: true,
      error: `no answer within ${timeoutMs} ms`,
    });
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = (secure ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      agent: secure ? httpsAgent : httpAgent,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'community-case-notification/1.0',
        ...headers,
        'content-length': String(body.length),
      },
    });
    const timer = setTimeout(() => {
      finish(onTimeout());
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => finish(failure(err)));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        // A success is a success however its body ends; the body is drained (connection reuse).
        const ok = () => finish({ ok: true, status, retriable: false });
        onTimeout = () => ({ ok: true, status, retriable: false });
        res.on('end', ok);
        res.on('close', ok);
        res.on('error', ok);
        res.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let kept = 0;
      const answered = (answer: string): SendResult => ({
        ok: false,
        status,
        retriable: isRetriableStatus(status),
        error: `HTTP ${status}${answer ? `: ${answer}` : ''}`,
      });
      onTimeout = () => answered('');
      res.on('data', (chunk: Buffer) => {
        if (kept >= ANSWER_BYTES) return;
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', () => finish(answered(decodeAnswer(Buffer.concat(chunks).subarray(0, ANSWER_BYTES)))));
      // An answer cut short: its status, without the text.
      res.on('close', () => finish(answered('')));
      res.on('error', () => finish(answered('')));
    });
    req.end(body);
  });
}

/** The first characters of an answer (UTF-8, a leading BOM dropped, as a fetch `text()` reads it). */
function decodeAnswer(bytes: Buffer): string {
  return new TextDecoder().decode(bytes).slice(0, ANSWER_CHARS);
}

/** A network failure: retriable, named by its code (ECONNREFUSED, ENOTFOUND, …) when it has one. */
function failure(err: unknown): SendResult {
  const e = err as Error & { code?: string };
  return { ok: false, retriable: true, error: e.code ?? e.message };
}
