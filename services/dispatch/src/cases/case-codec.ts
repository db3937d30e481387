import type { CaseState, SlaState } from '../domain';

/** Fields of CaseState / SlaState (at any depth) that hold instants; JSON keeps them as ISO strings. */
const DATE_KEYS = new Set([
  'assignedAt',
  'acceptedAt',
  'resolvedAt',
  'endedAt',
  'requestedDueAt',
  'requestedAt',
  'awaitingResidentSince',
  'closedAt',
  'startedAt',
  'dueAt',
  'warnAt',
  'satisfiedAt',
  'warnedAt',
  'breachedAt',
  'pausedSince',
]);

function revive(value: unknown, key?: string): unknown {
  if (typeof value === 'string' && key && DATE_KEYS.has(key)) return new Date(value);
  if (Array.isArray(value)) return value.map((v) => revive(v));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revive(v, k);
    return out;
  }
  return value;
}

/** The domain state as stored in a jsonb column (Dates as ISO strings). */
export const encodeJson = (value: CaseState | SlaState | object): string => JSON.stringify(value);

export const decodeCaseState = (json: unknown): CaseState => revive(json) as CaseState;
export const decodeSlaState = (json: unknown): SlaState => revive(json) as SlaState;
