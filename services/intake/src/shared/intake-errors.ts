import { DomainError, NotFoundError, ValidationFailedError } from '@app/contracts';

/** Stable error codes of the intake service. */
export const INTAKE_ERRORS = {
  NotFound: 'INTAKE.NOT_FOUND',
  RateLimited: 'INTAKE.RATE_LIMITED',
  NotAwaitingFeedback: 'INTAKE.NOT_AWAITING_FEEDBACK',
  InfoNotRequested: 'INTAKE.INFO_NOT_REQUESTED',
  MediaTooLarge: 'INTAKE.MEDIA_TOO_LARGE',
  MediaTypeNotAllowed: 'INTAKE.MEDIA_TYPE_NOT_ALLOWED',
  Open311Forbidden: 'INTAKE.OPEN311_FORBIDDEN',
} as const;

export const reportNotFound = (): NotFoundError => new NotFoundError('Report', INTAKE_ERRORS.NotFound);

export const invalidField = (field: string, problem: string): ValidationFailedError =>
  new ValidationFailedError(`Invalid request: check ${field}`, [{ field, problems: [problem] }]);

export class RateLimitedError extends DomainError {
  constructor(
    readonly limit: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      INTAKE_ERRORS.RateLimited,
      `Too many requests (${limit}); retry after ${retryAfterSeconds} s`,
      { limit, retryAfterSeconds },
      429,
    );
  }
}
