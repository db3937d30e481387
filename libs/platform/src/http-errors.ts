import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { classToPlain, plainToInstance } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { Response } from 'express';
import {
  AppError,
  crossCheck,
  describeValidationErrors,
  passesValidation,
  toInstance,
  VALIDITY_CROSS_CHECK,
  ValidationFailedError,
} from '@app/contracts';
import { isRetriable } from '@app/messaging';
import { JsonLogger, workOf } from '@app/observability';

/** Retry-After of a 503 while a database or cache is unavailable (a restart takes seconds). */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** Body of every error answer: a stable code, a sentence a person can act on, and details. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function fieldsOf(errors: ValidationError[]): { field: string; problems: string[] }[] {
  const byField = new Map<string, string[]>();
  for (const line of describeValidationErrors(errors)) {
    const idx = line.indexOf(': ');
    const field = line.slice(0, idx);
    byField.set(field, [...(byField.get(field) ?? []), line.slice(idx + 2)]);
  }
  return [...byField.entries()].map(([field, problems]) => ({ field, problems }));
}

/**
 * Nest's pipe, with class-validator run only for a body that passesValidation does not pass (it
 * then finds the errors, which are the answer); see libs/contracts/src/validity-check.ts.
 */
export class CheckedValidationPipe extends ValidationPipe {
  protected override validate(
    object: object,
    options?: ValidatorOptions,
  ): Promise<ValidationError[]> | ValidationError[] {
    if (!passesValidation(object, options)) return super.validate(object, options);
    if (!VALIDITY_CROSS_CHECK) return [];
    return Promise.resolve(super.validate(object, options)).then((errors) => {
      crossCheck(object, errors);
      return [];
    });
  }
}

/** class-transformer for the pipe, with toInstance for a JSON object (libs/contracts/src/instantiate.ts). */
const transformer = {
  plainToInstance: <T>(cls: new () => T, plain: unknown, options?: object): T | T[] =>
    options === undefined && typeof plain === 'object' && plain !== null && !Array.isArray(plain)
      ? toInstance(cls as new () => T & object, plain)
      : plainToInstance(cls, plain, options),
  classToPlain,
};

/** Validation at every HTTP boundary: unknown fields refused, the answer names each field. */
export function createValidationPipe(): ValidationPipe {
  return new CheckedValidationPipe({
    transformerPackage: transformer as never,
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = fieldsOf(errors);
      const names = fields.map((f) => f.field).join(', ');
      return new ValidationFailedError(`Invalid request: check ${names}`, fields);
    },
  });
}

/** Maps errors to JSON answers; an unexpected error is a 500 with no internals, and is logged. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const { status, body } = this.toAnswer(exception);
    if (status >= 500)
      this.logger.error('request failed', exception, workOf(host.switchToHttp().getRequest<object>()));
    // A refusal that says when to come back (rate limits, lock-outs) says it in Retry-After too.
    const retryAfter = body.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number' && retryAfter > 0)
      res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
    res.status(status).json(body);
  }

  toAnswer(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof AppError) {
      return { status: exception.status, body: exception.toJSON() };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const r = exception.getResponse();
      const message =
        typeof r === 'string'
          ? r
          : Array.isArray((r as { message?: unknown }).message)
            ? (r as { message: string[] }).message.join('; ')
            : String((r as { message?: unknown }).message ?? exception.message);
      const code =
        exception instanceof BadRequestException
          ? 'BAD_REQUEST'
          : (HttpStatus[status] ?? `HTTP_${status}`).toString();
      return { status, body: { code, message } };
    }
    const e = exception as {
      type?: string;
      status?: number;
      statusCode?: number;
      message?: string;
      expose?: boolean;
    };
    // body-parser errors (too large, malformed JSON) carry a status and are safe to expose.
    if (e && typeof e === 'object' && (e.status ?? e.statusCode) && e.expose !== false) {
      const status = (e.status ?? e.statusCode) as number;
      if (status >= 400 && status < 500) {
        const code =
          e.type === 'entity.too.large'
            ? 'PAYLOAD_TOO_LARGE'
            : e.type === 'entity.parse.failed'
              ? 'MALFORMED_BODY'
              : 'BAD_REQUEST';
        return { status, body: { code, message: e.message ?? 'Bad request' } };
      }
    }
    // Postgres or Redis down, restarting or refusing connections (the errors a consumer retries):
    // the caller's system should retry, not report a bug.
    if (isRetriable(exception)) {
      return {
        status: 503,
        body: {
          code: 'UNAVAILABLE',
          message:
            'A service this API depends on is briefly unavailable; retry shortly (a change with the same Idempotency-Key)',
          details: { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
        },
      };
    }
    return {
      status: 500,
      body: { code: 'INTERNAL', message: 'Internal error; the request was not applied' },
    };
  }
}
