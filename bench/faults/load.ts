import type { Agent } from 'node:http';
import type { Corpus } from '../lib/corpus';
import { postJson } from '../lib/load';
import { sleep } from '../lib/procs';

export interface Accepted {
  i: number;
  key: string;
  caseId: string;
  reference: string;
  trackingToken: string;
  duplicateOf?: string;
  attempts: number;
  at: number;
}

/**
 * Residents reporting at a steady rate, each report with its own Idempotency-Key. A request that
 * fails at the network level, times out, or gets 5xx/429 is sent again with the SAME key and body
 * (what a phone app does), so a report is accepted exactly once across an intake SIGKILL. Every
 * 201 is recorded; two 201s for one key must name the same case.
 */
export class ReportLoad {
  readonly accepted = new Map<string, Accepted>();
  readonly rejected: { i: number; status: number; body: string }[] = [];
  readonly gaveUp: { i: number; last: string }[] = [];
  readonly conflicts: string[] = [];
  sent = 0;
  retries = 0;
  replays = 0;
  private stopped = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly agent: Agent,
    private readonly url: () => string,
    private readonly corpus: Corpus,
    private readonly runId: string,
    private readonly giveUpAfterMs = 120_000,
  ) {}

  get pending(): number {
    return this.inflight.size;
  }

  /** Sends at `ratePerSec` until stop() (open loop: never waits for answers). */
  async run(ratePerSec: number): Promise<void> {
    const interval = 1000 / ratePerSec;
    const t0 = Date.now();
    while (!this.stopped) {
      const due = Math.floor((Date.now() - t0) / interval) + 1;
      while (this.sent < due && !this.stopped) {
        const i = this.sent++;
        const p: Promise<void> = this.one(i).finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      }
      await sleep(Math.max(1, Math.min(20, t0 + this.sent * interval - Date.now())));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  private async one(i: number): Promise<void> {
    const key = `faults-${this.runId}-${i}`;
    const body = this.corpus.report(i);
    const started = Date.now();
    let attempts = 0;
    let backoff = 500;
    let last = '';
    for (;;) {
      attempts++;
      if (attempts > 1) this.retries++;
      try {
        const r = await postJson(this.agent, `${this.url()}/v1/reports`, body, { 'idempotency-key': key });
        if (r.status === 201) {
          const b = r.body as Record<string, unknown>;
          const dup = b.duplicateOf as Record<string, unknown> | undefined;
          const rec: Accepted = {
            i,
            key,
            caseId: String(b.caseId),
            reference: String(b.reference),
            trackingToken: String(b.trackingToken),
            ...(dup && typeof dup.caseId === 'string' ? { duplicateOf: dup.caseId } : {}),
            attempts,
            at: Date.now(),
          };
          const prev = this.accepted.get(key);
          if (prev && prev.caseId !== rec.caseId)
            this.conflicts.push(`${key}: 201 named ${prev.caseId} then ${rec.caseId}`);
          if (attempts > 1) this.replays++;
          this.accepted.set(key, rec);
          return;
        }
        last = `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
        if (r.status < 500 && r.status !== 429 && r.status !== 408) {
          this.rejected.push({ i, status: r.status, body: last });
          return;
        }
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() - started > this.giveUpAfterMs) {
        this.gaveUp.push({ i, last });
        return;
      }
      // Back off with jitter: a crowd of phones retrying in step would keep a recovering intake down.
      await sleep(backoff / 2 + Math.random() * backoff);
      backoff = Math.min(5000, backoff * 2);
    }
  }
}
