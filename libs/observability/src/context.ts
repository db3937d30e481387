import { randomUUID } from 'node:crypto';

/**
 * What travels with a unit of work (an HTTP request or one consumed event): the correlation id
 * from the `x-correlation-id` header or the event envelope, and the id of the event being
 * handled (the causation of whatever this work publishes).
 *
 * It is passed, not ambient: the HTTP middleware binds it to the request (`requestWork(req)`), the
 * consumer runner derives it from the event, and whoever opens a transaction
 * binds it to that transaction's manager (`bindWork`), where the outbox finds it. Node 20's
 * AsyncLocalStorage would carry it implicitly, but its promise hook runs on every promise in the
 * process once it is enabled: 3–7 % of the services' CPU per case at saturation (BENCHMARKS.md,
 * session 7).
 */
export interface WorkContext {
  correlationId: string;
  causationId?: string;
}

/** Work that started on its own (a timer, a scan, a boot step): a correlation id of its own. */
export function startedWork(prefix?: string): WorkContext {
  return { correlationId: prefix ? `${prefix}-${randomUUID()}` : randomUUID() };
}

const bound = new WeakMap<object, WorkContext>();

/** Attaches `work` to a carrier (a transaction's EntityManager) for code that is handed only the carrier. */
export function bindWork<T extends object>(carrier: T, work: WorkContext): T {
  bound.set(carrier, work);
  return carrier;
}

/** The work bound to `carrier`, if any. */
export function workOf(carrier: object): WorkContext | undefined {
  return bound.get(carrier);
}
