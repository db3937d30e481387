import { DomainError, type CaseStatus, type TaskStatus } from '@app/contracts';
import type { CaseCommandType } from './case-machine.types';

export const DISPATCH_ERRORS = {
  /** 409: the command is not allowed in the case's state; details list what is. */
  InvalidTransition: 'DISPATCH.INVALID_TRANSITION',
  /** 404: no such task, not the acting unit's, or no longer open. */
  TaskNotFound: 'DISPATCH.TASK_NOT_FOUND',
  /** 409: the task is open but not in a status the command applies to. */
  InvalidTaskStatus: 'DISPATCH.INVALID_TASK_STATUS',
  /** 409: routing chose a unit that already returned this case. */
  UnitExcluded: 'DISPATCH.UNIT_EXCLUDED',
  /** 400: the command itself is inconsistent (duplicate task id, due date in the past, ...). */
  InvalidCommand: 'DISPATCH.INVALID_COMMAND',
} as const;

export function invalidTransition(
  from: CaseStatus,
  command: CaseCommandType,
  allowed: string[],
): DomainError {
  return new DomainError(
    DISPATCH_ERRORS.InvalidTransition,
    `A case in status "${from}" cannot take "${command}"` +
      (allowed.length ? `; allowed now: ${allowed.join(', ')}` : '; it takes no command in this status'),
    { from, command, allowed },
    409,
  );
}

export function taskNotFound(taskId: string, unitId?: string): DomainError {
  return new DomainError(
    DISPATCH_ERRORS.TaskNotFound,
    unitId
      ? `Task ${taskId} is not an open task of unit ${unitId}`
      : `Task ${taskId} is not an open task of this case`,
    { taskId, ...(unitId ? { unitId } : {}) },
    404,
  );
}

export function invalidTaskStatus(
  taskId: string,
  taskStatus: TaskStatus,
  command: CaseCommandType,
  expected: TaskStatus[],
): DomainError {
  return new DomainError(
    DISPATCH_ERRORS.InvalidTaskStatus,
    `Task ${taskId} is ${taskStatus}; "${command}" needs it ${expected.join(' or ')}`,
    { taskId, taskStatus, command, expected },
    409,
  );
}

export function unitExcluded(unitIds: string[]): DomainError {
  return new DomainError(
    DISPATCH_ERRORS.UnitExcluded,
    `Unit(s) ${unitIds.join(', ')} already returned this case and cannot be routed to again`,
    { unitIds },
    409,
  );
}

export function invalidCommand(command: CaseCommandType, field: string, problem: string): DomainError {
  return new DomainError(
    DISPATCH_ERRORS.InvalidCommand,
    `"${command}": ${field} ${problem}`,
    { command, field, problem },
    400,
  );
}
