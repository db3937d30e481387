import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { bindWork, histogram, startedWork, WorkContext, workOf } from '@app/observability';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const httpSeconds = histogram('http_request_duration_seconds', 'HTTP request duration', [
  'method',
  'route',
  'status',
]);

/**
 * Takes `x-correlation-id` from the request (or makes one), answers with it, and binds it to the
 * request as the request's work context (`requestWork(req)`: what the request publishes carries it).
 */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const header = req.header('x-correlation-id');
  const id = header && CORRELATION_ID.test(header) ? header : randomUUID();
  res.setHeader('x-correlation-id', id);
  bindWork(req, { correlationId: id });
  next();
}

/** The work context of an HTTP request (its correlation id), bound by `correlationMiddleware`. */
export function requestWork(req: object): WorkContext {
  return workOf(req) ?? startedWork();
}

export function httpMetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    httpSeconds.observe(
      { method: req.method, route: `${req.baseUrl ?? ''}${route}`, status: String(res.statusCode) },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  });
  next();
}

/** Where a NUL character hides in a parsed body (a path like `reporter.name`), if anywhere. */
export function findNulCharacter(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const here = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return here;
    const found = findNulCharacter(v, here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses text with a NUL character (U+0000) in the URL or a parsed body with 400: Postgres
 * cannot store it in text or jsonb, so it would otherwise fail deep inside a query as a 500.
 */
export function rejectNulCharacters(req: Request, res: Response, next: NextFunction): void {
  const where = /%00/.test(req.originalUrl) ? 'url' : findNulCharacter(req.body as unknown);
  if (!where) return next();
  res.status(400).json({
    code: 'VALIDATION_FAILED',
    message: `Invalid request: check ${where} (the NUL character U+0000 is not allowed in text)`,
    details: { fields: [{ field: where, problems: ['must not contain the NUL character U+0000'] }] },
  });
}
