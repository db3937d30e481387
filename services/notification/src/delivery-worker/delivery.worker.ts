import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { counter, histogram, JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { afterAttempt } from '../domain';
import { DeliveriesRepository, DeliveryRow } from '../deliveries/deliveries.repository';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';
import { RecipientsRepository } from '../recipients/recipients.repository';
import { ProviderRegistry } from './provider-registry';
import type { OutgoingMessage, SendResult } from './providers';

const delivered = counter('notifications_delivered_total', 'Notifications that reached a final state', [
  'channel',
  'outcome',
]);
const deliverySeconds = histogram(
  'notification_delivery_seconds',
  'From the event (occurredAt) to the delivery being accepted by the provider or partner',
  ['channel'],
  [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
);
const webhookAttempts = counter('webhook_attempts_total', 'Webhook POSTs to partner systems', ['outcome']);
const attempts = counter('notification_attempts_total', 'Send attempts per channel', ['channel', 'outcome']);

/**
 * Sends due deliveries. Claims rows with FOR UPDATE SKIP LOCKED and a lease (so replicas share
 * the work and a crashed worker's rows come back after the lease), at most one in flight per
 * (case, endpoint) lane, up to `concurrency` in flight per process. Woken right after a consumer
 * commit and after every finished send; a poll loop catches retries that came due.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private inFlight = 0;
  private ticking = false;
  private again = false;
  private stopped = true;
  private poll?: NodeJS.Timeout;
  private readonly sends = new Set<Promise<void>>();

  constructor(
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
    private readonly deliveries: DeliveriesRepository,
    private readonly recipients: RecipientsRepository,
    private readonly providers: ProviderRegistry,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('delivery-worker');
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.poll = setInterval(() => this.wake(), this.config.pollMs);
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    // Sends in hand finish (each is bounded by the provider timeout) and record their attempt.
    await Promise.allSettled([...this.sends]);
  }

  /** Look for due deliveries now. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    void this.tick();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.again = false;
        const free = this.config.concurrency - this.inFlight;
        if (free <= 0) break;
        const rows = await this.deliveries.claim(free, this.config.leaseMs);
        for (const row of rows) this.launch(row);
        if (rows.length === free) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.warn('claiming deliveries failed; the poll loop will try again', err);
    } finally {
      this.ticking = false;
    }
  }

  private launch(row: DeliveryRow): void {
    this.inFlight++;
    const p: Promise<void> = this.deliver(row)
      .catch((err: unknown) =>
        this.log.error(`delivery ${row.id} failed to record; its lease will expire and it is retried`, err),
      )
      .finally(() => {
        this.inFlight--;
        this.sends.delete(p);
        this.wake();
      });
    this.sends.add(p);
  }

  private async deliver(row: DeliveryRow): Promise<void> {
    const channel = row.channel;
    if (channel === 'none') throw new Error(`delivery ${row.id} has no channel (claim filters these out)`);
    const provider = this.providers.for(channel);
    const message: OutgoingMessage = {
      deliveryId: row.id,
      channel,
      endpoint: row.endpoint,
      subject: row.subject,
      text: row.body,
      templateKey: row.template_key,
      locale: row.locale,
    };
    if (row.channel === 'webhook') {
      message.webhookBody = {
        deliveryId: row.id,
        eventId: row.event_id,
        eventType: row.event_type,
        caseId: row.case_id,
        reference: row.reference,
        occurredAt: new Date(row.occurred_at).toISOString(),
        sequence: Number(row.seq),
        data: row.data,
      };
      const unitId = row.recipient.startsWith('unit:') ? row.recipient.slice('unit:'.length) : null;
      message.secret = unitId ? await this.recipients.webhookSecret(unitId) : null;
    }
    const startedAt = new Date();
    let result: SendResult;
    try {
      result = await provider.send(message);
    } catch (err) {
      result = { ok: false, retriable: true, error: (err as Error).message };
    }
    const latencyMs = Date.now() - startedAt.getTime();
    const outcome = result.ok ? 'ok' : result.timedOut ? 'timeout' : 'failed';
    attempts.inc({ channel: row.channel, outcome });
    if (row.channel === 'webhook') webhookAttempts.inc({ outcome });
    const verdict = afterAttempt(result, row.attempts, this.config.retry);
    const next =
      verdict.next === 'retry'
        ? { status: 'pending' as const, delayMs: verdict.delayMs }
        : { status: verdict.next };
    const recorded = await this.deliveries.complete(
      row,
      {
        attemptNo: row.total_attempts,
        provider: provider.name,
        outcome,
        httpStatus: result.status,
        latencyMs,
        error: result.error,
        startedAt,
      },
      next,
    );
    if (!recorded) {
      this.log.warn(
        `delivery ${row.id}: claim lost before the attempt was recorded (lease expired); the attempt is logged`,
      );
      return;
    }
    if (verdict.next === 'delivered') {
      delivered.inc({ channel: row.channel, outcome: 'delivered' });
      deliverySeconds.observe(
        { channel: row.channel },
        Math.max(0, (Date.now() - new Date(row.occurred_at).getTime()) / 1000),
      );
    } else if (verdict.next === 'dead') {
      delivered.inc({ channel: row.channel, outcome: 'dead' });
      this.log.warn(
        `delivery ${row.id} (${row.channel} to ${row.recipient}) dead after ${row.attempts} attempt(s): ${result.error ?? 'failed'}`,
      );
    }
  }
}
