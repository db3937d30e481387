import { randomBytes } from 'node:crypto';
import type { Consumer, IHeaders } from 'kafkajs';
import { dlqTopicOf, EventEnvelope, Topic } from '@app/contracts';
import type { TestNamespace } from './namespace';
import { waitFor } from './wait';

export interface ReadMessage<P = Record<string, unknown>> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  raw: string | null;
  /** The parsed value when it was JSON (no validation: tests see what is on the wire). */
  event?: EventEnvelope<P>;
}

/** Reads a topic of the namespace from the beginning into memory, for assertions. */
export class TopicReader<P = Record<string, unknown>> {
  readonly messages: ReadMessage<P>[] = [];
  private consumer?: Consumer;

  private constructor(
    private readonly ns: TestNamespace,
    private readonly topic: string,
  ) {}

  static async open<P = Record<string, unknown>>(
    ns: TestNamespace,
    topic: Topic | string,
    dlq = false,
  ): Promise<TopicReader<P>> {
    const name = dlq ? dlqTopicOf(topic) : topic;
    const reader = new TopicReader<P>(ns, name);
    await reader.start();
    return reader;
  }

  private async start(): Promise<void> {
    const consumer = this.ns.kafka.consumer({
      groupId: `${this.ns.topicPrefix}reader-${randomBytes(4).toString('hex')}`,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: `${this.ns.topicPrefix}${this.topic}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const raw = message.value ? message.value.toString('utf8') : null;
        let event: EventEnvelope<P> | undefined;
        try {
          event = raw ? (JSON.parse(raw) as EventEnvelope<P>) : undefined;
        } catch {
          event = undefined;
        }
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString('utf8') : null,
          headers: headersToStrings(message.headers),
          raw,
          event,
        });
      },
    });
  }

  events(predicate: (e: EventEnvelope<P>) => boolean = () => true): EventEnvelope<P>[] {
    return this.messages.map((m) => m.event).filter((e): e is EventEnvelope<P> => !!e && predicate(e));
  }

  async waitForEvent(
    predicate: (e: EventEnvelope<P>) => boolean,
    timeoutMs = 20_000,
    what?: string,
  ): Promise<EventEnvelope<P>> {
    return waitFor(() => this.events(predicate)[0], { timeoutMs, what: what ?? `an event on ${this.topic}` });
  }

  async waitForCount(
    predicate: (e: EventEnvelope<P>) => boolean,
    count: number,
    timeoutMs = 20_000,
  ): Promise<EventEnvelope<P>[]> {
    return waitFor(
      () => {
        const found = this.events(predicate);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs, what: `${count} events on ${this.topic}` },
    );
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}
