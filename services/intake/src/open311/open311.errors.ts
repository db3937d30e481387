import { AppError } from '@app/contracts';
import { INTAKE_ERRORS } from '../shared/intake-errors';

/** 403 of Open311: missing or invalid api_key. */
export class Open311ForbiddenError extends AppError {
  readonly code = INTAKE_ERRORS.Open311Forbidden;
  override readonly status = 403;
}
