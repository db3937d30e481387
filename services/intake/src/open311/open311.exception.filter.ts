import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError, ValidationFailedError } from '@app/contracts';
import { JsonLogger, workOf } from '@app/observability';
import { LOGGER } from '@app/platform';
import { RateLimitedError } from '../shared/intake-errors';
import { formatOf, sendOpen311 } from './open311.format';

/**
 * Open311 errors as the spec has them: `[{ "code": 400, "description": "…" }]` or
 * `<errors><error><code/><description/></error></errors>`, in the format the URL asked for.
 */
@Catch()
export class Open311ExceptionFilter implements ExceptionFilter {
  private readonly log: JsonLogger;
  constructor(@Inject(LOGGER) logger: JsonLogger) {
    this.log = logger.child('open311');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const format = formatOf((req.params as Record<string, string> | undefined)?.format) ?? 'json';
    let status = 500;
    let errors: { code: number; description: string }[];
    if (exception instanceof ValidationFailedError) {
      status = 400;
      errors = exception.fields.map((f) => ({
        code: 400,
        description: `${f.field}: ${f.problems.join('; ')}`,
      }));
    } else if (exception instanceof AppError) {
      status = exception.status;
      if (exception instanceof RateLimitedError)
        res.setHeader('Retry-After', String(exception.retryAfterSeconds));
      errors = [{ code: status, description: exception.message }];
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      errors = [{ code: status, description: exception.message }];
    } else {
      this.log.error('open311 request failed', exception, workOf(req));
      errors = [{ code: 500, description: 'Internal error; the request was not applied' }];
    }
    sendOpen311(res, format, status, { root: 'errors', child: 'error' }, errors);
  }
}
