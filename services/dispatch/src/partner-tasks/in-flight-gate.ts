import { DomainError } from '@app/contracts';
import { gauge } from '@app/observability';

const waitingGauge = gauge(
  'partner_actions_waiting',
  'Partner task actions waiting for a turn (PARTNER_ACTIONS_IN_FLIGHT)',
);

/**
 * At most `limit` partner task actions at once; the next wait their turn in arrival order, up to
 * `maxWaiting`, after which the partner is told to come back (503 with Retry-After). Under
 * overload, partner systems working through their backlog would otherwise take the CPU that new
 * cases need to reach their units (BENCHMARKS.md, session 14); a lock held per action used to cap
 * them by the size of the connection pool, and an action that holds no transaction does not.
 */
export class InFlightGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting: number,
  ) {
    if (limit < 1) throw new Error('InFlightGate: limit must be at least 1');
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxWaiting)
        throw new DomainError(
          'PARTNER.BUSY',
          'Dispatch is busy with other units’ actions; retry shortly',
          { retryAfterSeconds: 1 },
          503,
        );
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    waitingGauge.set(this.waiting.length);
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line (`active` unchanged), or is freed.
      if (next) next();
      else this.active--;
      waitingGauge.set(this.waiting.length);
    }
  }

  /** Actions running and waiting (tests, metrics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
