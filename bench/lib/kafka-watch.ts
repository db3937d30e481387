import type { Admin, Consumer, Kafka } from 'kafkajs';

/** How long the watch may trail the pipeline (a triaged case is seen by then), and its batch. */
export const WATCH_FETCH_WAIT_MS = 500;
const WATCH_FETCH_MIN_BYTES = 256 * 1024;

export type WatchHandler = (value: Record<string, unknown>, timestampMs: number, key: string | null) => void;

/**
 * Reads pipeline topics as an outside observer (its own group, from the beginning) and reports
 * each message with its Kafka timestamp (set by the producing relay when it sent the message):
 * the instant a stage's event existed, not when this reader got round to it.
 */
export class KafkaWatch {
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly handlers: Record<string, WatchHandler>,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      // Stage times are the messages' own timestamps, so this reader may read late: the broker
      // answers a fetch once WATCH_FETCH_MIN_BYTES have gathered or after WATCH_FETCH_WAIT_MS, and
      // the observer's fetches (and their decoding) stay off the machine it measures.
      minBytes: WATCH_FETCH_MIN_BYTES,
      maxWaitTimeInMs: WATCH_FETCH_WAIT_MS,
      sessionTimeout: 30000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(this.handlers), fromBeginning: true });
    // Wait until the group owns its partitions. kafkajs joins inside run() and emits GROUP_JOIN
    // before run() returns: a listener added after it heard nothing and every start waited out the
    // timeout (15 s per pipeline).
    const joined = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 15_000);
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(t);
        off();
        resolve();
      });
    });
    await consumer.run({
      // A one-off reader of its own namespace: it keeps no position, so it commits none (kafkajs's
      // autoCommit would add an OffsetCommit per batch to the broker's load under measurement).
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const handle = this.handlers[batch.topic];
        for (const m of batch.messages) {
          if (!m.value) continue;
          try {
            handle(
              JSON.parse(m.value.toString('utf8')) as Record<string, unknown>,
              Number(m.timestamp),
              m.key ? m.key.toString('utf8') : null,
            );
          } catch {
            // not JSON: not a stage event
          }
        }
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** Consumer lag per group of the namespace, sampled every 2 s over one admin connection. */
export class LagSampler {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private admin?: Admin;
  readonly samples: { t: number; byGroup: Record<string, number> }[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly groupPrefix: string,
    private readonly ignore: (groupId: string) => boolean = () => false,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.drop();
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const admin = this.admin;
      const { groups } = await admin.listGroups();
      const ends = new Map<string, Map<number, number>>();
      const byGroup: Record<string, number> = {};
      for (const g of groups) {
        if (!g.groupId.startsWith(this.groupPrefix) || this.ignore(g.groupId)) continue;
        const offsets = await admin.fetchOffsets({ groupId: g.groupId });
        let total = 0;
        for (const t of offsets) {
          let end = ends.get(t.topic);
          if (!end) {
            end = new Map((await admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, Number(o.high)]));
            ends.set(t.topic, end);
          }
          for (const p of t.partitions) {
            const high = end.get(p.partition) ?? 0;
            const at = Number(p.offset);
            total += at < 0 ? high : Math.max(0, high - at);
          }
        }
        byGroup[g.groupId.slice(this.groupPrefix.length)] = total;
      }
      this.samples.push({ t: Date.now(), byGroup });
    } catch {
      // A failed sample is skipped; the next one connects afresh.
      await this.drop();
    } finally {
      this.busy = false;
    }
  }

  private async drop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  /** Highest total lag (all groups) and the group holding most of it, between two instants. */
  maxIn(from: number, to: number): { total: number; worstGroup?: string; worst: number } {
    let best = { total: 0, worstGroup: undefined as string | undefined, worst: 0 };
    for (const s of this.samples) {
      if (s.t < from || s.t > to + 2500) continue;
      const total = Object.values(s.byGroup).reduce((a, b) => a + b, 0);
      if (total >= best.total) {
        const [wg, w] = Object.entries(s.byGroup).sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0];
        best = { total, worstGroup: wg, worst: w };
      }
    }
    return best;
  }
}
