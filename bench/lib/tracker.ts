import type { CaseTimes } from './stats';

type Stage = 'routed' | 'assigned' | 'notified';

/**
 * Every case of the run by caseId, with the instant it passed each stage. Stage events that
 * arrive before the client has read its 201 (possible under load) are kept until it does.
 */
export class CaseTracker {
  readonly cases = new Map<string, CaseTimes>();
  private readonly early = new Map<string, Partial<Record<Stage, number>>>();
  readonly triaged = new Set<string>();
  /** Reports whose answer was not 201 (status → count), per step. */
  readonly failures = new Map<number, Map<string, number>>();
  /** Counters of stage events per step (completions in time windows are computed from times). */
  notifiedTimes: number[] = [];

  accepted(caseId: string, sent: number, at: number, step: number): void {
    const c: CaseTimes = { sent, accepted: at, status: 201, step };
    const e = this.early.get(caseId);
    if (e) {
      Object.assign(c, e);
      this.early.delete(caseId);
      if (e.notified !== undefined) this.notifiedTimes.push(e.notified);
    }
    this.cases.set(caseId, c);
  }

  failed(step: number, why: string): void {
    const m = this.failures.get(step) ?? new Map<string, number>();
    m.set(why, (m.get(why) ?? 0) + 1);
    this.failures.set(step, m);
  }

  stage(caseId: string, stage: Stage, at: number): void {
    const c = this.cases.get(caseId);
    if (!c) {
      const e = this.early.get(caseId) ?? {};
      if (e[stage] === undefined) e[stage] = at;
      this.early.set(caseId, e);
      return;
    }
    if (c[stage] !== undefined) return;
    c[stage] = at;
    if (stage === 'notified') this.notifiedTimes.push(at);
  }

  triage(caseId: string): void {
    this.triaged.add(caseId);
  }

  ofStep(step: number): CaseTimes[] {
    return [...this.cases.values()].filter((c) => c.step === step);
  }

  /** Cases of a step not yet at the unit (and not sent to manual triage). */
  outstanding(step: number): number {
    let n = 0;
    for (const [id, c] of this.cases)
      if (c.step === step && c.notified === undefined && !this.triaged.has(id)) n++;
    return n;
  }

  notifiedBetween(from: number, to: number): number {
    let n = 0;
    for (const t of this.notifiedTimes) if (t >= from && t < to) n++;
    return n;
  }
}
