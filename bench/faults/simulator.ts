import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consumer, Kafka } from 'kafkajs';
import { REPO_ROOT, sleep } from '../lib/procs';
import { call, str } from './http';
import type { Accepted } from './load';

interface SeedUnit {
  unitId: string;
  unitType: string;
}
interface SeedCategory {
  code: string;
  defaultUnitType: string;
}
export interface DemoSeed {
  units: SeedUnit[];
  categories: SeedCategory[];
}

export function readSeed(): DemoSeed {
  return JSON.parse(
    readFileSync(join(REPO_ROOT, 'services/routing/seed/demo-district.json'), 'utf8'),
  ) as DemoSeed;
}

/** The seed's demo partner key of a unit (services/routing/src/demo-seed: U-PM-GHY → demo-key-pm-ghy). */
export const demoApiKey = (unitId: string): string => `demo-key-${unitId.toLowerCase().replace(/^u-/, '')}`;

export interface SimStats {
  accepted: number;
  resolved: number;
  delayedAccepts: number;
  triageAssigned: number;
  feedbackSent: number;
  errors: Map<string, number>;
}

/**
 * Everyone who works a case to closure, over the public APIs only:
 * - partner units poll `GET /partner/v1/tasks` with their API keys, sign for and resolve each task
 *   (Idempotency-Keys, retried on errors); a fixed share of tasks is signed for late on purpose so
 *   the short SLA policy breaches and escalates while services and infrastructure fail;
 * - a dispatcher signed in at the center assigns what routing sent to manual triage;
 * - residents confirm resolved cases with their tracking token (they learn of it as from the
 *   "resolved" message: here by watching case.lifecycle, and in the final sweep from the
 *   dispatch database, as a resident who read the SMS late).
 */
export class Simulator {
  readonly stats: SimStats = {
    accepted: 0,
    resolved: 0,
    delayedAccepts: 0,
    triageAssigned: 0,
    feedbackSent: 0,
    errors: new Map(),
  };
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly busyTasks = new Set<string>();
  private readonly firstSeen = new Map<string, number>();
  private readonly feedbackDone = new Set<string>();
  private readonly feedbackQueue = new Map<string, number>(); // caseId → not before (ms)
  private readonly closedSeen = new Set<string>();
  private readonly feedbackTries = new Map<string, number>();
  private staffToken?: string;
  private watch?: Consumer;

  constructor(
    private readonly dispatchUrl: string,
    private readonly intakeUrl: string,
    private readonly seed: DemoSeed,
    private readonly byCase: Map<string, Accepted>,
    private readonly opts: { pollMs: number; slowShare: number; slowAcceptMs: number },
  ) {}

  private err(what: string): void {
    this.stats.errors.set(what, (this.stats.errors.get(what) ?? 0) + 1);
  }

  start(kafka: Kafka, lifecycleTopic: string, groupId: string): void {
    for (const u of this.seed.units) this.loops.push(this.partnerLoop(u.unitId, demoApiKey(u.unitId)));
    this.loops.push(this.triageLoop());
    this.loops.push(this.feedbackLoop());
    void this.startWatch(kafka, lifecycleTopic, groupId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await this.watch?.disconnect().catch(() => undefined);
  }

  /** A resident who learns late that the case is resolved (final sweep). */
  remindResident(caseId: string): void {
    if (!this.feedbackDone.has(caseId) && !this.feedbackQueue.has(caseId)) this.feedbackQueue.set(caseId, 0);
  }

  // ------------------------------------------------------------------ partners

  private slow(taskId: string): boolean {
    // Deterministic share of tasks signed for late (taskIds are random uuids).
    return parseInt(taskId.slice(-2), 16) / 256 < this.opts.slowShare;
  }

  private async partnerLoop(unitId: string, key: string): Promise<void> {
    const h = { authorization: `Bearer ${key}` };
    while (!this.stopped) {
      const r = await call(
        'GET',
        `${this.dispatchUrl}/partner/v1/tasks?status=assigned,accepted,in_progress&limit=100`,
        undefined,
        h,
      );
      if (r.status !== 200) {
        this.err(`partner list ${r.status || r.error}`);
        await sleep(this.opts.pollMs * 2);
        continue;
      }
      const items = ((r.body as { items?: { taskId: string; status: string }[] }).items ?? []).filter(
        (t) => !this.busyTasks.has(t.taskId),
      );
      const work = items.map((t) => this.work(unitId, h, t.taskId, t.status));
      // A few tasks at a time per unit, like a small duty desk.
      for (let i = 0; i < work.length; i += 8) await Promise.all(work.slice(i, i + 8).map((f) => f()));
      await sleep(this.opts.pollMs);
    }
  }

  private work(
    unitId: string,
    h: Record<string, string>,
    taskId: string,
    status: string,
  ): () => Promise<void> {
    return async () => {
      if (this.busyTasks.has(taskId)) return;
      this.busyTasks.add(taskId);
      try {
        if (status === 'assigned') {
          const first = this.firstSeen.get(taskId) ?? Date.now();
          this.firstSeen.set(taskId, first);
          if (this.slow(taskId) && Date.now() - first < this.opts.slowAcceptMs) return;
          if (this.slow(taskId) && !this.firstSeen.has(`d:${taskId}`)) {
            this.firstSeen.set(`d:${taskId}`, 1);
            this.stats.delayedAccepts++;
          }
          const a = await call(
            'POST',
            `${this.dispatchUrl}/partner/v1/tasks/${taskId}/accept`,
            {},
            {
              ...h,
              'idempotency-key': `faults-accept-${taskId}`,
            },
          );
          if (a.status !== 200) {
            this.err(
              `accept ${a.status || a.error} ${a.status ? str((a.body as { code?: string })?.code) : ''}`,
            );
            return;
          }
          this.stats.accepted++;
        }
        const r = await call(
          'POST',
          `${this.dispatchUrl}/partner/v1/tasks/${taskId}/resolve`,
          { note: `已派人到场处理，问题已解决 (fault test, ${unitId})` },
          { ...h, 'idempotency-key': `faults-resolve-${taskId}` },
        );
        if (r.status !== 200) {
          this.err(
            `resolve ${r.status || r.error} ${r.status ? str((r.body as { code?: string })?.code) : ''}`,
          );
          return;
        }
        this.stats.resolved++;
      } finally {
        this.busyTasks.delete(taskId);
      }
    };
  }

  // ------------------------------------------------------------------ the center's dispatcher

  private async login(): Promise<boolean> {
    const r = await call('POST', `${this.dispatchUrl}/center/v1/auth/login`, {
      username: 'admin',
      password: 'admin-demo-2026',
    });
    if (r.status === 200) {
      this.staffToken = (r.body as { token: string }).token;
      return true;
    }
    this.err(`login ${r.status || r.error}`);
    return false;
  }

  private unitFor(categoryCode: string | undefined): string {
    const type = this.seed.categories.find((c) => c.code === categoryCode)?.defaultUnitType;
    const unit = this.seed.units.find((u) => u.unitType === type);
    return unit?.unitId ?? 'U-CENTER-WL';
  }

  private async triageLoop(): Promise<void> {
    while (!this.stopped) {
      await sleep(1000);
      if (!this.staffToken && !(await this.login())) continue;
      const h = { authorization: `Bearer ${this.staffToken}` };
      const r = await call('GET', `${this.dispatchUrl}/center/v1/triage?limit=200`, undefined, h);
      if (r.status === 401) {
        this.staffToken = undefined;
        continue;
      }
      if (r.status !== 200) {
        this.err(`triage list ${r.status || r.error}`);
        continue;
      }
      const items =
        (r.body as { items?: { caseId: string; categoryCode?: string; routingAttempt: number }[] }).items ??
        [];
      for (const c of items) {
        if (this.stopped) break;
        const a = await call(
          'POST',
          `${this.dispatchUrl}/center/v1/cases/${c.caseId}/assign`,
          { leadUnitId: this.unitFor(c.categoryCode), reason: 'fault test dispatcher' },
          { ...h, 'idempotency-key': `faults-assign-${c.caseId}-${c.routingAttempt}` },
        );
        if (a.status === 200) this.stats.triageAssigned++;
        else
          this.err(
            `assign ${a.status || a.error} ${a.status ? str((a.body as { code?: string })?.code) : ''}`,
          );
      }
    }
  }

  // ------------------------------------------------------------------ residents

  private async startWatch(kafka: Kafka, topic: string, groupId: string): Promise<void> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 30_000 });
    this.watch = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (!message.value) return;
          try {
            const e = JSON.parse(message.value.toString('utf8')) as {
              type?: string;
              payload?: { caseId?: string; status?: string };
            };
            const caseId = e.payload?.caseId;
            if (!caseId) return;
            if (e.payload?.status === 'closed') this.closedSeen.add(caseId);
            if (e.type === 'case.resolved' || e.payload?.status === 'resolved') this.remindResident(caseId);
          } catch {
            // not JSON
          }
        },
      });
    } catch (err) {
      this.err(`lifecycle watch: ${(err as Error).message}`);
    }
  }

  private async feedbackLoop(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      const due = [...this.feedbackQueue]
        .filter(([, t]) => t <= now)
        .map(([c]) => c)
        .slice(0, 16);
      if (!due.length) {
        await sleep(200);
        continue;
      }
      await Promise.all(due.map((caseId) => this.feedback(caseId)));
    }
  }

  private async feedback(caseId: string): Promise<void> {
    const acc = this.byCase.get(caseId);
    if (!acc || this.closedSeen.has(caseId)) {
      this.feedbackQueue.delete(caseId);
      return;
    }
    const r = await call(
      'POST',
      `${this.intakeUrl}/v1/reports/${encodeURIComponent(acc.reference)}/feedback`,
      { confirmed: true, satisfaction: 'satisfied', comment: '已解决，谢谢 (fault test)' },
      { 'x-tracking-token': acc.trackingToken },
    );
    if (r.status === 202) {
      this.stats.feedbackSent++;
      this.feedbackDone.add(caseId);
      this.feedbackQueue.delete(caseId);
      return;
    }
    // 409: intake's resident view has not seen "resolved" yet (or already closed): try again soon,
    // for a while (the final sweep asks again for cases dispatch still has as resolved).
    const tries = (this.feedbackTries.get(caseId) ?? 0) + 1;
    this.feedbackTries.set(caseId, tries);
    if (tries > 60) {
      this.feedbackQueue.delete(caseId);
      this.feedbackTries.delete(caseId);
      return;
    }
    if (r.status !== 409)
      this.err(`feedback ${r.status || r.error} ${r.status ? str((r.body as { code?: string })?.code) : ''}`);
    this.feedbackQueue.set(caseId, Date.now() + (r.status === 409 ? 1000 : 2000));
  }
}
