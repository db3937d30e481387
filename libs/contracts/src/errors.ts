/**
 * Errors with a stable string code and a message a person can act on.
 * Domain code throws or returns these; HTTP maps `status` to the response code with `code` in the
 * body, and the consumer runner dead-letters them (they are not retriable).
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  /** HTTP status this error maps to when it reaches an HTTP boundary. */
  readonly status: number = 400;
  readonly retriable: boolean = false;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** A rule of the domain refused the request (invalid transition, no route, ...). */
export class DomainError extends AppError {
  constructor(
    readonly code: string,
    message: string,
    details?: Record<string, unknown>,
    override readonly status: number = 409,
  ) {
    super(message, details);
  }
}

export class NotFoundError extends AppError {
  readonly code: string;
  override readonly status = 404;
  constructor(what: string, code = 'NOT_FOUND') {
    super(`${what} was not found`);
    this.code = code;
  }
}

export class ValidationFailedError extends AppError {
  readonly code = 'VALIDATION_FAILED';
  override readonly status = 400;
  constructor(
    message: string,
    readonly fields: { field: string; problems: string[] }[],
  ) {
    super(message, { fields });
  }
}

/** Infrastructure trouble that is expected to pass (broker/DB unavailable, lock busy): retry. */
export class RetriableError extends Error {
  readonly retriable = true;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RetriableError';
  }
}
