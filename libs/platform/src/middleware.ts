import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { histogram, runWithContext } from '@app/observability';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const httpSeconds = histogram('http_request_duration_seconds', 'HTTP request duration', [
  'method',
  'route',
  'status',
]);

/** Takes `x-correlation-id` from the request (or makes one), answers with it, and carries it. */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const header = req.header('x-correlation-id');
  const id = header && CORRELATION_ID.test(header) ? header : randomUUID();
  res.setHeader('x-correlation-id', id);
  runWithContext({ correlationId: id }, next);
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
