import { Injectable } from '@nestjs/common';
import { DomainError, NotFoundError } from '@app/contracts';
import { DeliveryWorker } from '../delivery-worker';
import { DeliveriesRepository, DeliveryQuery, DeliveryRow } from './deliveries.repository';
import { DeliveryPage, DeliveryStatsView, DeliveryView, toDeliveryView } from './deliveries.dto';

/** Reads of the delivery log, dead letters and their replay. */
@Injectable()
export class DeliveriesHandler {
  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  async list(q: DeliveryQuery): Promise<DeliveryPage> {
    const rows = await this.repo.list({ ...q, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return {
      items: await this.views(page),
      nextCursor: rows.length > q.limit ? page[page.length - 1].seq : null,
    };
  }

  async get(id: string): Promise<DeliveryView> {
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundError('Delivery', 'NOTIFICATION.DELIVERY_NOT_FOUND');
    return (await this.views([row]))[0];
  }

  async replay(id: string): Promise<DeliveryView> {
    const row = await this.repo.replay(id);
    if (!row) {
      const existing = await this.repo.get(id);
      if (!existing) throw new NotFoundError('Delivery', 'NOTIFICATION.DELIVERY_NOT_FOUND');
      if (existing.channel === 'none') {
        throw new DomainError(
          'NOTIFICATION.UNREACHABLE_RECIPIENT',
          'This entry records a recipient with no channel at the time of the event; add contacts and the next event reaches them',
          { recipient: existing.recipient },
          409,
        );
      }
      throw new DomainError(
        'NOTIFICATION.NOT_DEAD',
        `Only dead deliveries can be replayed; this one is ${existing.status}`,
        { status: existing.status },
        409,
      );
    }
    this.worker.wake();
    return (await this.views([row]))[0];
  }

  async stats(sinceHours: number): Promise<DeliveryStatsView> {
    const rows = await this.repo.stats(sinceHours);
    return {
      sinceHours,
      channels: rows.map((r) => ({
        channel: r.channel,
        delivered: r.delivered,
        dead: r.dead,
        open: r.open,
        attempts: r.attempts,
        failedAttempts: r.failed_attempts,
        successRate: r.delivered + r.dead > 0 ? r.delivered / (r.delivered + r.dead) : null,
        p50Seconds: r.p50_seconds === null ? null : Number(r.p50_seconds),
        p95Seconds: r.p95_seconds === null ? null : Number(r.p95_seconds),
      })),
    };
  }

  private async views(rows: DeliveryRow[]): Promise<DeliveryView[]> {
    const attempts = await this.repo.attemptsOf(rows.map((r) => r.id));
    return rows.map((r) => toDeliveryView(r, attempts.get(r.id) ?? []));
  }
}
