import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { AllExceptionsFilter } from '@app/platform';
import { JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { RateLimitedError } from './intake-errors';

/** 429 answers carry `Retry-After`; the body is the usual `{ code, message, details }`. */
@Catch(RateLimitedError)
export class RetryAfterFilter implements ExceptionFilter {
  private readonly inner: AllExceptionsFilter;
  constructor(@Inject(LOGGER) logger: JsonLogger) {
    this.inner = new AllExceptionsFilter(logger);
  }

  catch(exception: RateLimitedError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(exception.retryAfterSeconds));
    this.inner.catch(exception, host);
  }
}
