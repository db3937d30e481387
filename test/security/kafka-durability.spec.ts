/**
 * Kafka durability settings, asserted on the real code with fakes in place of the broker and the
 * database: the producer every service gets is idempotent with one request in flight; the outbox
 * relay sends with acks=all (-1) and marks rows published only after the broker acknowledged; the consumer resolves (commits) an offset only after the
 * effect and its inbox row committed, and never for an event still failing with a retriable error.
 */
import { randomUUID } from 'node:crypto';
import type { FactoryProvider } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ENVELOPE_HEADERS, RetriableError, Topic, UnitReferencePayload } from '@app/contracts';
import { EventConsumerRunner, OutboxRelay } from '@app/messaging';
import { JsonLogger } from '@app/observability';
import { KAFKA_PRODUCER, PlatformModule } from '@app/platform';

const logger = new JsonLogger('test', undefined, 'error');
const settings = { brokers: ['unused:9092'], clientId: 'test', topicPrefix: 'p.', partitions: 1 };

describe('producer settings (PlatformModule)', () => {
  it('creates the idempotent producer with one request in flight and no topic auto-creation', () => {
    const mod = PlatformModule.forRoot({ service: 'test', defaultPort: 0, entities: [], migrations: [] });
    const provider = (mod.providers ?? []).find(
      (p) => typeof p === 'object' && 'provide' in p && p.provide === KAFKA_PRODUCER,
    ) as FactoryProvider;
    const seen: unknown[] = [];
    const producer = { on: () => undefined, events: { REQUEST: 'producer.network.request' } };
    expect(provider.useFactory({ producer: (opts: unknown) => (seen.push(opts), producer) })).toBe(producer);
    expect(seen).toEqual([{ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }]);
  });
});

describe('outbox relay', () => {
  const row = () => ({
    id: '1',
    topic: Topic.CaseReported,
    message_key: 'case-1',
    created_at: new Date(),
    envelope: { eventId: randomUUID(), type: 'case.reported', correlationId: 'c', producer: 'intake' },
  });

  /** A fake of the relay's own connection: the lock is granted; the first read returns `first`. */
  function connection(steps: string[], first: unknown[]) {
    let reads = 0;
    return {
      on: () => undefined,
      end: async () => undefined,
      query: async (sql: string, params: unknown[] = []) => {
        if (/pg_try_advisory_lock/.test(sql)) {
          steps.push('lock');
          return { rows: [{ locked: true }] };
        }
        if (/UPDATE .*published_at[\s\S]*SELECT .*outbox/.test(sql)) {
          const marking = params[0] as string[];
          steps.push(marking.length ? `mark-published(${marking.join(',')})+read` : 'read');
          return { rows: reads++ === 0 ? first : [] };
        }
        steps.push(`unexpected: ${sql}`);
        return { rows: [] };
      },
    };
  }

  function relayWith(conn: ReturnType<typeof connection>, producer: unknown): OutboxRelay {
    return new OutboxRelay(
      { query: async () => [] } as unknown as DataSource,
      producer as never,
      settings,
      {
        schema: 'test',
        databaseUrl: 'postgres://unused',
        headers: ENVELOPE_HEADERS,
        connect: async () => conn,
      },
      logger,
    );
  }

  it('sends with acks=-1 and marks rows published only after the broker acknowledged them', async () => {
    const steps: string[] = [];
    const sent: { acks?: number; topicMessages: { topic: string }[] }[] = [];
    const relay = relayWith(connection(steps, [row()]), {
      sendBatch: async (batch: { acks?: number; topicMessages: { topic: string }[] }) => {
        steps.push('send');
        sent.push(batch);
      },
    });
    expect(await relay.publishOnce()).toBe(1);
    expect(sent[0].acks).toBe(-1);
    expect(sent[0].topicMessages[0].topic).toBe(`p.${Topic.CaseReported}`);
    // The next statement marks the acknowledged row (and reads the next batch, here empty).
    expect(await relay.publishOnce()).toBe(0);
    expect(steps).toEqual(['lock', 'read', 'send', 'mark-published(1)+read']);
  });

  it('leaves rows unpublished when the broker does not acknowledge', async () => {
    const steps: string[] = [];
    const relay = relayWith(connection(steps, [row()]), {
      sendBatch: async () => Promise.reject(new Error('NOT_ENOUGH_REPLICAS')),
    });
    await expect(relay.publishOnce()).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    expect(await relay.publishOnce()).toBe(0);
    expect(steps).toEqual(['lock', 'read', 'read']);
  });
});

describe('consumer', () => {
  type EachBatch = (args: Record<string, unknown>) => Promise<void>;

  function unitMessage(offset: string) {
    const eventId = randomUUID();
    const payload: UnitReferencePayload = {
      unitId: 'U-1',
      name: 'Unit',
      unitType: 'police',
      areaCodes: ['G-1'],
      contact: { phone: '110' },
      apiKeyHashes: [],
      active: true,
      version: 1,
    };
    const value = JSON.stringify({
      eventId,
      type: 'reference.unit',
      schemaVersion: 1,
      key: 'U-1',
      correlationId: 'c',
      occurredAt: new Date().toISOString(),
      producer: 'routing',
      payload,
    });
    return {
      offset,
      key: Buffer.from('U-1'),
      value: Buffer.from(value),
      headers: { [ENVELOPE_HEADERS.eventId]: eventId },
      timestamp: '0',
      attributes: 0,
    };
  }

  async function runner(handle: () => Promise<void>, steps: string[], running: () => boolean) {
    let runConfig: Record<string, unknown> = {};
    const consumer = {
      events: { REQUEST: 'consumer.network.request', GROUP_JOIN: 'consumer.group_join' },
      on: () => undefined,
      connect: async () => undefined,
      subscribe: async () => undefined,
      disconnect: async () => undefined,
      run: async (cfg: Record<string, unknown>) => {
        runConfig = cfg;
      },
      commitOffsets: async (offsets: { topic: string; partition: number; offset: string }[]) =>
        void steps.push(`commit-offsets ${offsets.map((o) => `${o.partition}:${o.offset}`).join(',')}`),
    };
    const dataSource = {
      transaction: async (fn: (m: EntityManager) => Promise<void>) => {
        steps.push('begin');
        await fn({
          query: async (sql: string) => {
            if (/INSERT INTO .*inbox/.test(sql)) steps.push('inbox');
            return [{ event_id: 'x' }];
          },
        } as unknown as EntityManager);
        steps.push('commit');
      },
    } as unknown as DataSource;
    const r = new EventConsumerRunner(
      { consumer: () => consumer } as never,
      settings,
      'test',
      'test',
      dataSource,
      { send: async () => void steps.push('dlq') } as never,
      { name: 'units', topics: [Topic.ReferenceUnits], handle },
      logger,
    );
    process.env.CONSUMER_LAG_INTERVAL_MS = '0';
    await r.start();
    const eachBatch = runConfig.eachBatch as EachBatch;
    const drive = (offset: string) =>
      eachBatch({
        batch: { topic: `p.${Topic.ReferenceUnits}`, partition: 0, messages: [unitMessage(offset)] },
        resolveOffset: (o: string) => void steps.push(`resolve ${o}`),
        heartbeat: async () => undefined,
        isRunning: running,
        isStale: () => false,
        commitOffsetsIfNecessary: async () => void steps.push('commit-offsets'),
      });
    return { runConfig, drive, stop: () => r.stop() };
  }

  it('resolves the offset only after the effect and its inbox row committed', async () => {
    const steps: string[] = [];
    const { runConfig, drive, stop } = await runner(
      async () => void steps.push('effect'),
      steps,
      () => true,
    );
    expect(runConfig.eachBatchAutoResolve).toBe(false);
    expect(runConfig.autoCommit).toBe(false);
    await drive('7');
    expect(steps).toEqual(['begin', 'inbox', 'effect', 'commit', 'resolve 7']);
    // Committed by the runner's interval or, here, on stop: the next offset to read.
    await stop();
    expect(steps.slice(5)).toEqual(['commit-offsets 0:8']);
  });

  it('does not resolve the offset of an event that still fails with a retriable error', async () => {
    const steps: string[] = [];
    let calls = 0;
    const { drive, stop } = await runner(
      async () => {
        steps.push('effect-failed');
        throw new RetriableError('database unavailable');
      },
      steps,
      // Running when the batch starts, stopping by the time the handler failed: the event must
      // stay uncommitted for the next owner of the partition.
      () => (calls++ === 0 ? true : false),
    );
    await expect(drive('8')).rejects.toThrow('database unavailable');
    expect(steps.filter((s) => s.startsWith('resolve'))).toEqual([]);
    await stop();
    expect(steps.filter((s) => s.startsWith('commit-offsets'))).toEqual([]);
  });
});
