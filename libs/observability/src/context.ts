import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What travels with a unit of work (an HTTP request or one consumed event): the correlation id
 * from the `x-correlation-id` header or the event envelope, and the id of the event being
 * handled (the causation of whatever this work publishes). Set by the HTTP middleware and by the
 * consumer runner; read by the logger and the outbox. Never read from a request object.
 */
export interface WorkContext {
  correlationId: string;
  causationId?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function runWithContext<T>(ctx: WorkContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): WorkContext | undefined {
  return storage.getStore();
}

/** The current correlation id, or a fresh one for work that started on its own (timers, scans). */
export function correlationId(): string {
  return storage.getStore()?.correlationId ?? randomUUID();
}
