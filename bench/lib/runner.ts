import type { Agent } from 'node:http';
import type { Kafka } from 'kafkajs';
import type { Corpus } from './corpus';
import { KafkaWatch, LagSampler } from './kafka-watch';
import { keepAliveAgent, openLoop } from './load';
import { StatementMeter, StatementRates, statementRates } from './pg-meter';
import { ProcSampler, sleep } from './procs';
import type { WebhookArrival } from './receiver';
import { keptUp, Percentiles, percentiles, stageLatencies, StageLatencies } from './stats';
import type { Target } from './target';
import { CaseTracker } from './tracker';

export interface StepPlan {
  rate: number;
  seconds: number;
  /**
   * Runs even after a saturated step and past the time budget: the fixed rates (20, 50 and
   * 100 cases/s) that the report's latency columns and targets are read at.
   */
  always?: boolean;
}

/**
 * Whether the plan goes on after step `i`: after a step that kept its rate, yes; after a saturated
 * one only to a fixed rate (`always`): a run saturated at 50/s by the units' side once left the
 * 100/s step, and its target, unmeasured.
 */
export function continuesAfter(plans: StepPlan[], i: number, rateKept: boolean): boolean {
  return rateKept || !!plans[i + 1]?.always;
}

export interface StepResult {
  target: string;
  offered: number;
  seconds: number;
  sent: number;
  accepted: number;
  failures: Record<string, number>;
  /** Webhooks received per second in the step's window (the pipeline's completion rate). */
  achieved: number;
  notified: number;
  triaged: number;
  incomplete: number;
  drainMs: number;
  latency: StageLatencies;
  maxLag: number;
  worstLagGroup?: string;
  procs: Record<string, { cpuPct: number; peakRssMb: number; hwmMb: number }>;
  partnerErrors: number;
  /**
   * Tasks the partner simulator accepted and resolved per second in the step's window: each
   * case.assigned webhook owes one (two partner API requests and the lifecycle events they publish).
   */
  partnerRate: number;
  /** Tasks notified but not yet accepted and resolved when the step's window ended. */
  partnerBacklog: number;
  /**
   * How long the partner simulator's accept and resolve of one task took together (two requests
   * one after the other), for the tasks done in the step's window: what a unit's system waits.
   * The simulator keeps 32 tasks in hand, so its rate is 32 over this while it has a backlog.
   */
  partnerMs: Percentiles;
  /** Postgres's statements over the step's load (all services and the partner work done meanwhile). */
  pg?: StatementRates;
  ok: boolean;
  why?: string;
  /** Delivered what it owed and drained (a p99 over the limit alone does not end the steps). */
  rateKept: boolean;
}

/**
 * Drives one target: the tracker, the Kafka watch, the lag and process samplers, the partner
 * simulator reacting to webhooks, and the open-loop steps (stopping at saturation).
 */
export class TargetRun {
  readonly tracker = new CaseTracker();
  private watch?: KafkaWatch;
  private lag?: LagSampler;
  private sampler?: ProcSampler;
  private readonly agent: Agent = keepAliveAgent(64);
  private partnerQueue: WebhookArrival[] = [];
  private partnerActive = 0;
  partnerErrors = 0;
  partnerDone = 0;
  /** When each task's resolve was answered and how long its accept and resolve took (ms). */
  private readonly partnerDoneAt: { at: number; ms: number }[] = [];
  private index = 0;
  readonly results: StepResult[] = [];

  constructor(
    readonly target: Target,
    private readonly kafka: Kafka,
    private readonly corpus: Corpus,
    private readonly log: (s: string) => void,
    private readonly meter?: StatementMeter,
  ) {}

  async start(extraPids: Map<string, number>): Promise<void> {
    const handlers: Record<string, (v: Record<string, unknown>, ts: number, key: string | null) => void> = {};
    for (const [topic, stage] of Object.entries(this.target.stageTopics)) {
      handlers[topic] = (v, ts, key) => {
        const caseId = typeof v.caseId === 'string' ? v.caseId : key;
        if (!caseId) return;
        if (stage === 'triaged') this.tracker.triage(caseId);
        else if (stage === 'routed') this.tracker.stage(caseId, 'routed', ts);
        else if (v.type === 'case.assigned') this.tracker.stage(caseId, 'assigned', ts);
      };
    }
    this.watch = new KafkaWatch(this.kafka, `${this.target.groupPrefix}bench-watch-${Date.now()}`, handlers);
    await this.watch.start();
    this.lag = new LagSampler(
      this.kafka,
      this.target.groupPrefix,
      (g) => g.includes('bench-watch') || (this.target.foreignGroup?.(g) ?? false),
    );
    this.lag.start();
    const pids = new Map(extraPids);
    for (const p of this.target.processes) if (p.proc.pid) pids.set(p.name, p.proc.pid);
    this.sampler = new ProcSampler(pids);
    this.sampler.start();
  }

  /** A webhook reached the receiver: record it, and let the unit's system act on the task. */
  onArrival(a: WebhookArrival): void {
    const parsed = this.target.parseArrival(a);
    if (!parsed || parsed.eventType !== 'case.assigned') return;
    this.tracker.stage(parsed.caseId, 'notified', a.at);
    this.partnerQueue.push(a);
    this.pumpPartner();
  }

  /** Tasks notified whose accept and resolve the partner simulator has not finished. */
  private get partnerInHand(): number {
    return this.partnerQueue.length + this.partnerActive;
  }

  private pumpPartner(): void {
    while (this.partnerActive < 32 && this.partnerQueue.length) {
      const a = this.partnerQueue.shift()!;
      this.partnerActive++;
      const started = performance.now();
      this.target
        .partnerAct(a)
        .then(() => {
          this.partnerDone++;
          this.partnerDoneAt.push({ at: Date.now(), ms: performance.now() - started });
        })
        .catch(() => this.partnerErrors++)
        .finally(() => {
          this.partnerActive--;
          this.pumpPartner();
        });
    }
  }

  /** Sends reports at `rate` for `durationMs` from the open loop, as step `step`. */
  private send(step: number, rate: number, durationMs: number, texts?: Map<string, string>) {
    return openLoop(
      this.agent,
      {
        url: this.target.reportUrl,
        headers: this.target.reportHeaders,
        ratePerSec: rate,
        durationMs,
        body: (i) => this.corpus.report(i),
        onAnswer: (sentAt, at, status, body, i) => this.answer(step, sentAt, at, status, body, i, texts),
        onError: (_s, err) => this.tracker.failed(step, err.message.slice(0, 80)),
      },
      this.index,
    );
  }

  /** Sends `count` reports slowly and waits for them: proves the path and warms the JITs and pools. */
  async warmup(
    count: number,
    rate: number,
    timeoutMs: number,
  ): Promise<{ notified: number; triaged: number; texts: Set<string> }> {
    const step = -1;
    const sentTexts = new Map<string, string>();
    await this.send(step, rate, (count / rate) * 1000, sentTexts);
    this.index += count;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.tracker.outstanding(step) > 0) await sleep(250);
    const texts = new Set<string>();
    let notified = 0;
    for (const [id, c] of this.tracker.cases) {
      if (c.step !== step) continue;
      if (c.notified !== undefined) {
        notified++;
        const t = sentTexts.get(id);
        if (t) texts.add(t);
      }
    }
    const triaged = [...this.tracker.cases.keys()].filter(
      (id) => this.tracker.cases.get(id)!.step === step && this.tracker.triaged.has(id),
    ).length;
    return { notified, triaged, texts };
  }

  /**
   * Unmeasured load before the steps, then a wait (up to `drainTimeoutMs`) for its cases to reach
   * their unit and for the partner simulator to finish their tasks. A freshly started service
   * spends its first minutes at load compiling: V8 optimizes each function once it is hot, and
   * the warm-up's few hundred reports at 20/s leave most of the path unoptimized (session 18:
   * 20 s into a 100/s step TurboFan took 8 % of the machine's CPU, 90 s later 1.6 %). Services
   * run for days in production; the steps measure them warm.
   */
  async soak(
    rate: number,
    seconds: number,
    drainTimeoutMs: number,
  ): Promise<{ sent: number; notified: number; partnerLeft: number; drainMs: number }> {
    const step = -2;
    const lr = await this.send(step, rate, seconds * 1000);
    this.index += lr.sent;
    const started = Date.now();
    const busy = () => this.tracker.outstanding(step) > 0 || this.partnerInHand > 0;
    while (Date.now() - started < drainTimeoutMs && busy()) await sleep(250);
    const notified = this.tracker.ofStep(step).filter((c) => c.notified !== undefined).length;
    return {
      sent: lr.sent,
      notified,
      partnerLeft: this.partnerInHand,
      drainMs: Date.now() - started,
    };
  }

  private answer(
    step: number,
    sentAt: number,
    at: number,
    status: number,
    body: unknown,
    i: number,
    texts?: Map<string, string>,
  ): void {
    const caseId = (body as { caseId?: unknown } | undefined)?.caseId;
    if (status === 201 && typeof caseId === 'string') {
      this.tracker.accepted(caseId, sentAt, at, step);
      texts?.set(caseId, this.corpus.report(i).description);
    } else {
      const code = (body as { code?: unknown } | undefined)?.code;
      this.tracker.failed(step, `${status}${typeof code === 'string' ? ` ${code}` : ''}`);
    }
  }

  async runStep(stepNo: number, plan: StepPlan, drainTimeoutMs: number): Promise<StepResult> {
    const pgBefore = await this.meter?.read();
    const pgFrom = Date.now();
    const lr = await this.send(stepNo, plan.rate, plan.seconds * 1000);
    this.index += lr.sent;
    const windowEnd = Date.now();
    const pgAfter = pgBefore && (await this.meter?.read());
    const pg = pgBefore && pgAfter && statementRates(pgBefore, pgAfter, windowEnd - pgFrom, lr.sent);
    const partnerBacklog = this.partnerInHand;
    const drainStart = Date.now();
    while (Date.now() - drainStart < drainTimeoutMs && this.tracker.outstanding(stepNo) > 0) await sleep(100);
    const drainMs = Date.now() - drainStart;
    const incomplete = this.tracker.outstanding(stepNo);
    const cases = this.tracker.ofStep(stepNo);
    const skip = Math.min(2000, (plan.seconds * 1000) / 5);
    const from = lr.startedAt + skip;
    const achieved = (this.tracker.notifiedBetween(from, windowEnd) / (windowEnd - from)) * 1000;
    const partnerInWindow = this.partnerDoneAt.filter((t) => t.at >= from && t.at < windowEnd);
    const partnerRate = (partnerInWindow.length / (windowEnd - from)) * 1000;
    const latency = stageLatencies(cases);
    const lag = this.lag!.maxIn(lr.startedAt, Date.now());
    await this.lag!.sample();
    const procs = this.sampler!.window(lr.startedAt, windowEnd);
    const failures = Object.fromEntries(this.tracker.failures.get(stepNo) ?? []);
    const failed = Object.values(failures).reduce((a, b) => a + b, 0);
    const triaged = [...this.tracker.triaged].filter(
      (id) => this.tracker.cases.get(id)?.step === stepNo,
    ).length;
    // Cases routed to manual triage never reach a unit: they are not owed a webhook.
    const owedRate = plan.rate * (cases.length ? (cases.length - triaged) / cases.length : 1);
    let verdict = keptUp(owedRate, achieved, latency.e2e.p99, incomplete === 0, {
      rate: partnerRate,
      backlog: partnerBacklog,
    });
    // Refusals end the steps like a rate not kept; a rate not kept stays the reason given.
    if (failed > 0.01 * lr.sent)
      verdict = {
        ok: false,
        why: verdict.rateKept ? `${failed} of ${lr.sent} reports refused or failed` : verdict.why,
        rateKept: false,
      };
    const r: StepResult = {
      target: this.target.name,
      offered: plan.rate,
      seconds: plan.seconds,
      sent: lr.sent,
      accepted: cases.length,
      failures,
      achieved: Math.round(achieved * 10) / 10,
      notified: cases.filter((c) => c.notified !== undefined).length,
      triaged,
      incomplete,
      drainMs,
      latency,
      maxLag: lag.total,
      worstLagGroup: lag.worstGroup,
      procs,
      partnerErrors: this.partnerErrors,
      partnerRate: Math.round(partnerRate * 10) / 10,
      partnerBacklog,
      partnerMs: percentiles(partnerInWindow.map((t) => t.ms)),
      ...(pg ? { pg } : {}),
      ok: verdict.ok,
      why: verdict.why,
      rateKept: verdict.rateKept,
    };
    this.results.push(r);
    this.log(
      `${this.target.name} ${plan.rate}/s × ${plan.seconds}s: achieved ${r.achieved}/s, e2e p50 ${latency.e2e.p50} p99 ${latency.e2e.p99} ms, ` +
        `incomplete ${incomplete}, lag ${lag.total}${pg ? `, Postgres ${pg.perSec} statements/s (${pg.perCase} per report)` : ''}, partner ${r.partnerRate}/s (backlog ${partnerBacklog}; accept+resolve p50 ${r.partnerMs.p50} p99 ${r.partnerMs.p99} ms)${verdict.ok ? '' : ` — saturated: ${verdict.why}`}`,
    );
    return r;
  }

  /** Runs the plan in order and stops at the first step that did not keep up. */
  async runPlan(plans: StepPlan[], drainTimeoutMs: number, deadline: number): Promise<StepResult[]> {
    for (let i = 0; i < plans.length; i++) {
      // The fixed rates always run (the 100 cases/s step carries the latency target).
      if (i > 0 && !plans[i].always && Date.now() + plans[i].seconds * 1000 > deadline) {
        this.log(`${this.target.name}: time budget reached, stopping before ${plans[i].rate}/s`);
        break;
      }
      const r = await this.runStep(i, plans[i], drainTimeoutMs);
      // A step that kept the rate but not the latency limit is saturated for latency; the next,
      // higher step still runs, so the highest rate delivered is measured on every run.
      if (!r.rateKept) {
        // Let the backlog clear so the next step, target or the 1M parts start from rest.
        const t0 = Date.now();
        while (Date.now() - t0 < 30_000 && this.tracker.outstanding(i) > 0) await sleep(250);
        if (!continuesAfter(plans, i, false)) break;
      }
    }
    return this.results;
  }

  procPeaks(): Record<string, number> {
    return this.sampler?.peaks() ?? {};
  }

  async stop(): Promise<void> {
    await this.lag?.stop();
    this.sampler?.stop();
    await this.watch?.stop();
    this.agent.destroy();
  }
}
