import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { counter, histogram, JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { afterAttempt } from '../domain';
import { ClaimedDelivery, claimSize, DeliveriesRepository } from '../deliveries/deliveries.repository';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';
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
 * (case, endpoint) lane, up to `concurrency` in flight per process. Claims only when there can
 * be something to claim: after a consumer commit that queued due work (several wakes in one
 * turn of the event loop make one claim), after a send whose lane has more waiting, after a
 * send while the last claim left due work behind (all slots were full), after a replay; and a
 * poll `pollMs` after the last claim catches what came due with time (retries, quiet hours'
 * end, expired leases).
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private inFlight = 0;
  private ticking = false;
  private again = false;
  private scheduled = false;
  /** The last claim filled every free slot: more may be due. */
  private backlog = false;
  private stopped = true;
  private poll?: NodeJS.Timeout;
  private readonly sends = new Set<Promise<void>>();

  constructor(
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
    private readonly deliveries: DeliveriesRepository,
    private readonly providers: ProviderRegistry,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('delivery-worker');
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearTimeout(this.poll);
    // Sends in hand finish (each is bounded by the provider timeout) and record their attempt.
    await Promise.allSettled([...this.sends]);
  }

  /** Look for due deliveries (in this turn of the event loop's wake-ups, once). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      if (this.ticking) this.again = true;
      else void this.tick();
    });
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    if (this.poll) clearTimeout(this.poll);
    try {
      do {
        this.again = false;
        const free = this.config.concurrency - this.inFlight;
        if (free <= 0) break;
        const ask = claimSize(free);
        const rows = await this.deliveries.claim(ask, this.config.leaseMs);
        this.backlog = rows.length === ask;
        for (const row of rows) this.launch(row);
        if (this.backlog) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.warn('claiming deliveries failed; the poll loop will try again', err);
    } finally {
      this.ticking = false;
      if (!this.stopped) {
        this.poll = setTimeout(() => this.wake(), this.config.pollMs);
        this.poll.unref();
      }
    }
  }

  private launch(row: ClaimedDelivery): void {
    this.inFlight++;
    const p: Promise<void> = this.deliver(row)
      .catch((err: unknown) => {
        this.log.error(`delivery ${row.id} failed to record; its lease will expire and it is retried`, err);
        return true;
      })
      .then((laneHasMore) => {
        this.inFlight--;
        this.sends.delete(p);
        if (laneHasMore || this.backlog) this.wake();
      });
    this.sends.add(p);
  }

  /** Sends one claimed delivery and records the attempt; true when its lane has more waiting. */
  private async deliver(row: ClaimedDelivery): Promise<boolean> {
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
      message.secret = unitId ? row.webhook_secret : null;
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
    const { recorded, laneHasMore } = await this.deliveries.complete(
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
      return false;
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
    // A row waiting for its retry still holds its lane; one that is done lets the next go.
    return verdict.next !== 'retry' && laneHasMore;
  }
}
