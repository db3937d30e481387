import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ValidationFailedError } from '@app/contracts';
import { bindWork, WorkContext } from '@app/observability';
import { hashRequest, IDEMPOTENCY_KEY_PATTERN, IdempotencyService, MessagingService } from '@app/platform';
import { writeConflicts } from './dispatch.metrics';

/** Whether a request names an Idempotency-Key (an empty header names none). */
export function hasIdempotencyKey(key: string | undefined): key is string {
  return key !== undefined && key !== '';
}

/**
 * Runs an HTTP mutation in one transaction. With an `Idempotency-Key` (optional, honoured when
 * present) the first answer is stored with the effect and replayed for a repeat of the same
 * request; the same key with another request is refused (422).
 */
@Injectable()
export class MutationRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyService,
    private readonly messaging: MessagingService,
  ) {}

  async run<T>(
    /** The request's work, bound to the transaction (the events it publishes carry it). */
    work: WorkContext,
    scope: string,
    key: string | undefined,
    request: unknown,
    effect: (manager: EntityManager) => Promise<T>,
  ): Promise<{ body: T; replayed: boolean }> {
    if (!hasIdempotencyKey(key)) {
      const body = await this.dataSource.transaction((manager) => effect(bindWork(manager, work)));
      this.messaging.nudge();
      return { body, replayed: false };
    }
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new ValidationFailedError('Invalid request: check Idempotency-Key', [
        { field: 'Idempotency-Key', problems: ['must be 8-128 characters of A-Z a-z 0-9 . _ : -'] },
      ]);
    }
    const r = await this.idempotency.execute(
      scope,
      key,
      hashRequest(request),
      async (manager) => ({ status: 200, body: await effect(bindWork(manager, work)) }),
      () => this.messaging.nudge(),
    );
    return { body: r.body as T, replayed: r.replayed };
  }

  /**
   * Runs a mutation without a transaction held across its round trips: `attempt` reads without
   * locking and writes in one statement that checks nothing changed since (or in a short
   * transaction of its own, `transaction`), answering undefined when something had and nothing was
   * written; it is read and tried again, `attempts` times in all. Undefined when every attempt
   * conflicted: the caller then goes through `run`, whose lock cannot conflict. For requests
   * without an Idempotency-Key (whose record must commit with the effect).
   */
  async optimistic<T>(
    work: WorkContext,
    attempt: (
      manager: EntityManager,
      transaction: <R>(effect: (manager: EntityManager) => Promise<R>) => Promise<R>,
    ) => Promise<T | undefined>,
    attempts = 3,
  ): Promise<T | undefined> {
    const transaction = <R>(effect: (manager: EntityManager) => Promise<R>) =>
      this.dataSource.transaction((manager) => effect(bindWork(manager, work)));
    for (let i = 1; i <= attempts; i++) {
      // A manager of its own: the work is bound to it, its queries autocommit.
      const body = await attempt(bindWork(this.dataSource.createEntityManager(), work), transaction);
      if (body !== undefined) {
        this.messaging.nudge();
        return body;
      }
      writeConflicts.inc({ then: i < attempts ? 'retried' : 'locked' });
    }
    return undefined;
  }
}
