import type { EntityManager } from 'typeorm';
import { ENVELOPE_HEADERS, Topic } from '@app/contracts';
import { bindWork, JsonLogger } from '@app/observability';
import { NewEvent, OutboxWriter } from './outbox';
import { OutboxRelay, RelayConnection } from './relay';

const event: NewEvent = {
  topic: Topic.CaseReported,
  type: 'case.reported',
  key: '6f1c1b8e-7a3f-4c36-9a55-1d0c4b3f2a10',
  caseId: '6f1c1b8e-7a3f-4c36-9a55-1d0c4b3f2a10',
  payload: {
    caseId: '6f1c1b8e-7a3f-4c36-9a55-1d0c4b3f2a10',
    reference: 'WL-20261123-000001',
    channel: 'app',
    description: '楼下下水道堵了',
    location: { buildingCode: 'B-0417' },
    reporter: { anonymous: true, confidential: false },
    media: [],
    reportedAt: '2026-11-23T08:00:00.000Z',
  },
};

describe('OutboxWriter', () => {
  const writer = new OutboxWriter('intake', 'intake');

  it('gives the INSERT append runs, placeholders after the caller’s own, for embedding in a CTE', async () => {
    const ran: { sql: string; params: unknown[] }[] = [];
    const m = {
      query: (sql: string, params: unknown[]) => {
        ran.push({ sql, params });
        return Promise.resolve([]);
      },
    } as unknown as EntityManager;
    await writer.append(bindWork(m, { correlationId: 'corr-1' }), [event, event]);
    const st = writer.insertStatement([event, event], { correlationId: 'corr-1' }, 24);
    expect(st.sql).toBe(ran[0].sql.replace(/\$(\d+)/g, (_x, n: string) => `$${Number(n) + 24}`));
    expect(st.sql).toMatch(/VALUES \(\$25, \$26, \$27, \$28, \$29::jsonb\), \(\$30, .* \$34::jsonb\)$/);
    expect(st.params).toHaveLength(10);
    const envelope = JSON.parse(st.params[4] as string) as Record<string, unknown>;
    expect(envelope).toMatchObject({ type: 'case.reported', correlationId: 'corr-1', producer: 'intake' });
    expect(envelope.eventId).toBe(st.envelopes[0].eventId);
    expect(st.params[0]).toBe(st.envelopes[0].eventId);
  });

  it('refuses an invalid payload outside production (the consumer checks it again in any case)', () => {
    const bad = { ...event, payload: { ...(event.payload as object), caseId: 'not-a-uuid' } } as NewEvent;
    expect(() => writer.insertStatement([bad], { correlationId: 'corr-1' })).toThrow(
      /refusing to publish invalid case.reported: .*caseId/,
    );
  });

  it('needs at least one event', () => {
    expect(() => writer.insertStatement([], { correlationId: 'corr-1' })).toThrow(/at least one event/);
  });

  it('stamps the work it is given: its correlation, and its causation unless the event names its own', () => {
    const work = { correlationId: 'corr-2', causationId: '0b7e5c9a-3f1d-4e2b-9c8a-5d6f7e8a9b0c' };
    const own = { ...event, causationId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f' };
    const st = writer.insertStatement([event, own], work);
    expect(st.envelopes.map((e) => [e.correlationId, e.causationId])).toEqual([
      ['corr-2', work.causationId],
      ['corr-2', own.causationId],
    ]);
  });

  it('refuses to append in a transaction nobody bound a work context to (a bug; tests catch it)', async () => {
    const m = { query: () => Promise.resolve([]) } as unknown as EntityManager;
    await expect(writer.append(m, [event])).rejects.toThrow(/no bound work/);
  });
});

describe('OutboxRelay wake-ups', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /**
   * A relay on a fake connection: `reads` counts its outbox reads; `onRead` runs during each one;
   * `running(body)` starts it, runs `body` and stops it whatever happens.
   */
  function relayWith(
    onRead: (n: number) => void,
    timing: { lingerMs: number; loneAfterMs?: number; onCycle?: () => void } = { lingerMs: 1 },
  ) {
    let reads = 0;
    const conn: RelayConnection = {
      query: async (sql: string) => {
        if (sql.includes('pg_try_advisory_lock')) return { rows: [{ locked: true }] };
        if (sql.includes('SELECT o.id')) {
          reads++;
          onRead(reads);
        }
        return { rows: [] };
      },
      on: () => undefined,
      end: async () => undefined,
    };
    // Housekeeping (backlog gauge, purge) goes through the DataSource.
    const dataSource = { query: async () => [{ n: 0, age: 0 }] };
    const relay = new OutboxRelay(
      dataSource as never,
      {} as never,
      { topicPrefix: '' },
      // A poll far longer than the test: only a nudge can start another cycle in time.
      {
        schema: 'intake',
        databaseUrl: 'unused',
        headers: ENVELOPE_HEADERS,
        pollMs: 60_000,
        ...timing,
        connect: async () => conn,
      },
      new JsonLogger('test', undefined, 'error'),
    );
    const running = async (body: () => Promise<void>) => {
      await relay.start();
      try {
        await body();
      } finally {
        await relay.stop();
      }
    };
    return { relay, reads: () => reads, running };
  }

  it('goes round again for a nudge that came mid-cycle, instead of sleeping until the poll', async () => {
    // A commit lands (and nudges) while the first read is in flight: its row may be past that read.
    const r = relayWith((n) => {
      if (n === 1) r.relay.nudge();
    });
    await r.running(async () => {
      await jest.advanceTimersByTimeAsync(10);
      expect(r.reads()).toBe(2);
      // Then it sleeps: no nudge, no third read before the poll.
      await jest.advanceTimersByTimeAsync(30_000);
      expect(r.reads()).toBe(2);
    });
  });

  it('publishes a lone commit after a quiet spell at once, without the linger', async () => {
    const r = relayWith(() => undefined, { lingerMs: 50 });
    await r.running(async () => {
      await jest.advanceTimersByTimeAsync(30_000);
      expect(r.reads()).toBe(1);
      r.relay.nudge();
      await jest.advanceTimersByTimeAsync(1);
      expect(r.reads()).toBe(2);
    });
  });

  it('lingers for a nudge that comes soon after the last cycle (commits streaming in)', async () => {
    const r = relayWith(() => undefined, { lingerMs: 50, loneAfterMs: 200 });
    await r.running(async () => {
      await jest.advanceTimersByTimeAsync(100);
      expect(r.reads()).toBe(1);
      r.relay.nudge();
      await jest.advanceTimersByTimeAsync(40);
      expect(r.reads()).toBe(1);
      await jest.advanceTimersByTimeAsync(20);
      expect(r.reads()).toBe(2);
    });
  });

  it('tells onCycle as each cycle begins, before that cycle reads (a relay thread clears its nudge flag there)', async () => {
    let cycles = 0;
    const cyclesAtRead: number[] = [];
    const r = relayWith(() => cyclesAtRead.push(cycles), { lingerMs: 1, onCycle: () => cycles++ });
    await r.running(async () => {
      await jest.advanceTimersByTimeAsync(10);
      r.relay.nudge();
      await jest.advanceTimersByTimeAsync(10);
      expect(cyclesAtRead).toEqual([1, 2]);
    });
  });

  it('wakes from its sleep on a nudge', async () => {
    const r = relayWith(() => undefined);
    await r.running(async () => {
      await jest.advanceTimersByTimeAsync(30_000);
      expect(r.reads()).toBe(1);
      r.relay.nudge();
      await jest.advanceTimersByTimeAsync(10);
      expect(r.reads()).toBe(2);
    });
  });
});
