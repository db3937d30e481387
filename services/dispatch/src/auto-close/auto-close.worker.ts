import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { bindWork, JsonLogger } from '@app/observability';
import { LOGGER, MessagingService } from '@app/platform';
import { CaseRepository, CaseWorkflow } from '../cases';
import { DISPATCH_CONFIG, DispatchConfig, S } from '../dispatch.config';

const BATCH = 50;

/**
 * Closes resolved cases the resident did not answer within AUTO_CLOSE_AFTER_SECONDS
 * (closedHow auto_closed). Every AUTO_CLOSE_SWEEP_MS it claims due rows with
 * FOR UPDATE SKIP LOCKED, so replicas share the work and never close a case twice.
 */
@Injectable()
export class AutoCloseWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly log: JsonLogger;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CaseRepository,
    private readonly workflow: CaseWorkflow,
    private readonly messaging: MessagingService,
    @Inject(DISPATCH_CONFIG) private readonly config: DispatchConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('auto-close');
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweepAll()
        .catch((err: unknown) => this.log.warn('auto-close sweep failed; retrying next round', err))
        .finally(() => this.schedule());
    }, this.config.autoCloseSweepMs);
  }

  private async sweepAll(): Promise<void> {
    while (!this.stopped && (await this.sweepOnce()) === BATCH) {
      // a full batch: there may be more due right now
    }
  }

  /** Closes up to one batch of due cases in one transaction; returns how many. */
  async sweepOnce(now = new Date()): Promise<number> {
    const work = { correlationId: `auto-close-${now.getTime()}` };
    const closed = await this.dataSource.transaction(async (tx) => {
      const manager = bindWork(tx, work);
      const due = (await manager.query(
        `SELECT case_id FROM ${S}.cases WHERE auto_close_at <= $1 AND status = 'resolved'
          ORDER BY auto_close_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, BATCH],
      )) as { case_id: string }[];
      for (const { case_id } of due) {
        const loaded = await this.cases.lock(manager, case_id);
        if (!loaded) continue;
        await this.workflow.apply(manager, loaded, { type: 'auto_close', actorId: 'auto-close' }, { now });
      }
      return due.length;
    });
    if (closed) {
      this.messaging.nudge();
      this.log.info(`auto-closed ${closed} case(s) without resident feedback`);
    }
    return closed;
  }
}
