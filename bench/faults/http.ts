/** JSON over HTTP with a timeout; network errors surface as status 0 (callers retry). */
export interface HttpAnswer {
  status: number;
  body: unknown;
  error?: string;
}

export async function call(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  } catch (err) {
    return { status: 0, body: undefined, error: (err as Error).message };
  }
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
