import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { EventEnvelope, PAYLOAD_CLASSES, PayloadOf, Topic, validatePayload } from '@app/contracts';
import { counter, startedWork, workOf, WorkContext } from '@app/observability';

export interface NewEvent<T extends Topic = Topic> {
  topic: T;
  type: string;
  /** Kafka key: the caseId for case topics, the entity id for reference topics. */
  key: string;
  caseId?: string;
  payload: PayloadOf[T];
  /** Overrides the causation taken from the work context. */
  causationId?: string;
}

const unbound = counter(
  'outbox_unbound_work_total',
  'Events appended in a transaction with no work context bound to it (a bug: they got a fresh correlation id)',
);

/**
 * The work bound to a transaction's manager (for the outbox). Whoever opens a transaction that
 * may publish binds it (`bindWork`; the consumer runner does for handlers); one that did not is a
 * bug: tests fail on it, production publishes with a fresh correlation id (the event is not lost)
 * and counts it.
 */
export function workBoundTo(manager: EntityManager): WorkContext {
  const work = workOf(manager);
  if (work) return work;
  if (process.env.NODE_ENV === 'test')
    throw new Error('outbox append in a transaction with no bound work (bindWork)');
  unbound.inc();
  return startedWork('unbound');
}

/**
 * Writes events to the service's outbox inside the caller's transaction. Nothing reaches Kafka
 * unless that transaction commits; the relay publishes what it committed.
 */
export class OutboxWriter {
  /**
   * Validate each payload against its contract before it is written (OUTBOX_VALIDATE; default on
   * except under NODE_ENV=production). Every consumer validates what it receives at its own
   * boundary (and dead-letters what fails), so in production this second check only costs CPU;
   * tests and development keep it to catch a producer breaking the contract where it happens.
   */
  private readonly validate =
    (process.env.OUTBOX_VALIDATE ?? (process.env.NODE_ENV === 'production' ? 'false' : 'true')) === 'true';

  /** Outbox statements built so far (append included): a change means a handler wrote events. */
  prepared = 0;

  constructor(
    private readonly schema: string,
    private readonly producer: string,
  ) {}

  /** Appends `events` in the transaction of `manager`, with the work bound to it (`bindWork`). */
  async append(manager: EntityManager, events: NewEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const { sql, params, envelopes } = this.insertStatement(events, workBoundTo(manager));
    await manager.query(sql, params);
    return envelopes;
  }

  /**
   * The outbox INSERT for `events` without running it, its placeholders numbered from
   * `$<offset + 1>`: for a caller that makes it one more data-modifying CTE of the statement
   * that writes the state change (one round trip; a single statement is atomic without
   * BEGIN/COMMIT). `events` must not be empty.
   */
  insertStatement(
    events: NewEvent[],
    /** The work these events come from: their correlation id and (unless an event names its own) causation. */
    work: WorkContext,
    offset = 0,
    /** A condition (SQL over the statement's other CTEs) without which no row is written. */
    onlyIf?: string,
  ): { sql: string; params: unknown[]; envelopes: EventEnvelope[] } {
    if (events.length === 0) throw new Error('insertStatement needs at least one event');
    this.prepared++;
    const now = new Date().toISOString();
    const envelopes: EventEnvelope[] = events.map((e) => {
      const problems = this.validate ? validatePayload(e.topic, e.payload) : [];
      if (problems.length) throw new Error(`refusing to publish invalid ${e.type}: ${problems.join('; ')}`);
      return {
        eventId: randomUUID(),
        type: e.type,
        schemaVersion: PAYLOAD_CLASSES[e.topic].schemaVersion,
        key: e.key,
        ...(e.caseId ? { caseId: e.caseId } : {}),
        correlationId: work.correlationId,
        ...((e.causationId ?? work.causationId) ? { causationId: e.causationId ?? work.causationId } : {}),
        occurredAt: now,
        producer: this.producer,
        payload: e.payload as unknown as Record<string, unknown>,
      };
    });
    const params: unknown[] = [];
    const rows = envelopes.map((env, i) => {
      params.push(env.eventId, events[i].topic, env.key, env.type, JSON.stringify(env));
      const b = offset + i * 5;
      return onlyIf
        ? `($${b + 1}::uuid, $${b + 2}::text, $${b + 3}::text, $${b + 4}::text, $${b + 5}::jsonb)`
        : `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb)`;
    });
    const into = `INSERT INTO "${this.schema}".outbox (event_id, topic, message_key, event_type, envelope)`;
    return {
      sql: onlyIf
        ? `${into} SELECT * FROM (VALUES ${rows.join(', ')}) AS v WHERE ${onlyIf}`
        : `${into} VALUES ${rows.join(', ')}`,
      params,
      envelopes,
    };
  }
}
