import type { SendResult } from './notification-provider';

/** Statuses worth retrying: the partner is busy, down or asks us to come back. */
export function isRetriableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

/** POSTs a JSON body with a hard timeout (AbortController), reading at most a little of the answer. */
export async function postJson(
  url: string,
  rawBody: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      body: rawBody,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'community-case-notification/1.0',
        ...headers,
      },
      signal: ac.signal,
      redirect: 'manual',
    });
    const answer = (await res.text().catch(() => '')).slice(0, 300);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, retriable: false };
    return {
      ok: false,
      status: res.status,
      retriable: isRetriableStatus(res.status),
      error: `HTTP ${res.status}${answer ? `: ${answer}` : ''}`,
    };
  } catch (err) {
    if (ac.signal.aborted)
      return { ok: false, retriable: true, timedOut: true, error: `no answer within ${timeoutMs} ms` };
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, retriable: true, error: e.cause?.code ?? e.cause?.message ?? e.message };
  } finally {
    clearTimeout(timer);
  }
}
