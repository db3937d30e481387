import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { OPS_CONFIG, OpsConfig } from './ops.config';
import { OpsQueries } from './ops.queries';

export interface BoardUpdate {
  type: 'board';
  data: unknown;
}

/**
 * The live board pushed over SSE. One shared refresh for every watcher: while someone watches,
 * the board's fingerprint is checked every OPS_STREAM_REFRESH_MS (so replicas see breaches that
 * another replica consumed) and at once after this replica's consumer commits; the board is sent
 * only when it changed.
 */
@Injectable()
export class OpsStream implements OnModuleDestroy {
  private readonly updates = new Subject<BoardUpdate>();
  private watchers = 0;
  private timer?: NodeJS.Timeout;
  private lastVersion = '';
  private last?: BoardUpdate;
  private refreshing = false;
  private again = false;
  private readonly log: JsonLogger;

  constructor(
    private readonly queries: OpsQueries,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('ops-stream');
  }

  /** The board now, then every change, for one watcher. */
  watch(): Observable<BoardUpdate> {
    return new Observable<BoardUpdate>((sub) => {
      this.watchers += 1;
      if (this.last) sub.next(this.last);
      const s = this.updates.subscribe(sub);
      this.start();
      if (!this.last) this.nudge();
      return () => {
        s.unsubscribe();
        this.watchers -= 1;
        if (this.watchers === 0) this.stop();
      };
    });
  }

  /** Something changed here: refresh now (coalesced). */
  nudge(): void {
    if (this.watchers === 0) return;
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    void this.refresh()
      .catch((err: unknown) => this.log.warn('board refresh failed', { error: (err as Error).message }))
      .finally(() => {
        this.refreshing = false;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  private async refresh(): Promise<void> {
    const version = await this.queries.boardVersion();
    if (version === this.lastVersion && this.last) return;
    const [breaches, triage] = await Promise.all([
      this.queries.breachBoard(100),
      this.queries.triageQueue(100),
    ]);
    this.lastVersion = version;
    this.last = { type: 'board', data: { breaches, triage } };
    this.updates.next(this.last);
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.nudge(), this.config.streamRefreshMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
    this.lastVersion = '';
  }

  onModuleDestroy(): void {
    this.stop();
    this.updates.complete();
  }
}
