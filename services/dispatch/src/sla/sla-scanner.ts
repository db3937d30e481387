import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CaseLifecyclePayload, CaseStatus, Priority, TaskRole, Topic, UnitType } from '@app/contracts';
import type { NewEvent } from '@app/messaging';
import { bindWork, JsonLogger, startedWork } from '@app/observability';
import { LOGGER, MessagingService } from '@app/platform';
import { allowedCommands } from '../domain';
import { CaseEventsPublisher, CaseRepository, CaseWorkflow } from '../cases';
import { decodeSlaState, encodeJson } from '../cases/case-codec';
import { S } from '../dispatch.config';
import { SLA_CONFIG, SlaConfig } from './sla.config';
import { FiredTimer, firingNote, lifecycleTypeOf, planFiring } from './sla-firing';
import {
  slaBreaches,
  slaEscalations,
  slaFireErrors,
  slaFireLag,
  slaScanSeconds,
  slaWarnings,
} from './sla.metrics';
import { SlaWake } from './sla-wake';

interface LockedCase {
  case_id: string;
  reference: string;
  status: CaseStatus;
  priority: Priority;
  category_code: string | null;
}

interface DueTask {
  task_id: string;
  case_id: string;
  sla: unknown;
  unit_id: string;
  unit_type: UnitType;
  unit_name: string | null;
  role: TaskRole;
}

export interface ScanResult {
  /** Tasks examined under lock. */
  tasks: number;
  /** Timers fired (warnings, breaches, escalation steps). */
  fired: number;
  /** Due rows seen, before locking (a full batch means: scan again now). */
  candidates: number;
}

/**
 * Fires SLA warnings, breaches and escalation steps, each exactly once, close to their instant.
 *
 * Durable deadlines: every task's next timer is `task_sla.next_timer_at` (partial index), written
 * by the case workflow in the transaction of every case change. The loop claims what is due —
 * the CASE rows first, `FOR UPDATE SKIP LOCKED` (the lock order of the workflow, so no deadlock;
 * replicas skip each other's cases) — then, holding the case, re-reads the due clocks, fires every
 * due timer (`recordFired`), writes timeline, breach/escalation rows and outbox events, runs the
 * case machine's `flag_supervision` for that escalation step, and stores the next timer: one
 * transaction, so a crash before commit fires nothing and a second replica finds nothing left.
 * Work per scan is proportional to what is due, not to what is open. Between scans it sleeps
 * until the earliest next timer (capped), or until the workflow signals a nearer one.
 */
@Injectable()
export class SlaScanner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: JsonLogger;
  private stopped = false;
  private loop?: Promise<void>;
  private sleeping?: { until: number; timer: NodeJS.Timeout; resolve: () => void };

  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CaseRepository,
    private readonly workflow: CaseWorkflow,
    private readonly messaging: MessagingService,
    private readonly events: CaseEventsPublisher,
    private readonly wake: SlaWake,
    @Inject(SLA_CONFIG) private readonly config: SlaConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('sla-scanner');
  }

  onApplicationBootstrap(): void {
    if (!this.config.enabled) {
      this.log.info('SLA scanner disabled in this process (SLA_SCANNER_ENABLED=false)');
      return;
    }
    this.wake.onTimer((at) => this.wakeAt(at.getTime()));
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.interrupt();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let delay = this.config.maxSleepMs;
      try {
        const r = await this.scanOnce();
        if (r.candidates >= this.config.batchSize && r.tasks > 0) continue;
        const next = await this.nextTimerAt();
        const now = Date.now();
        if (next === undefined) delay = this.config.maxSleepMs;
        else if (next <= now) delay = r.tasks > 0 ? 0 : this.config.busyRetryMs;
        else delay = Math.min(this.config.maxSleepMs, next - now);
      } catch (err) {
        this.log.warn('SLA scan failed; retrying', err);
        delay = this.config.maxSleepMs;
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  /** The earliest pending timer (index-only: the partial index on next_timer_at). */
  async nextTimerAt(): Promise<number | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT next_timer_at FROM ${S}.task_sla WHERE next_timer_at IS NOT NULL ORDER BY next_timer_at LIMIT 1`,
    )) as { next_timer_at: Date }[];
    return row ? new Date(row.next_timer_at).getTime() : undefined;
  }

  /** One scan: claims up to a batch of due tasks (by their cases) and fires what is due. */
  async scanOnce(now = new Date()): Promise<ScanResult> {
    const stop = slaScanSeconds.startTimer();
    try {
      // Cheap check outside a transaction (index range, at most one batch).
      const [{ n }] = (await this.dataSource.query(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${S}.task_sla WHERE next_timer_at <= $1 LIMIT $2) d`,
        [now, this.config.batchSize],
      )) as { n: number }[];
      if (n === 0) return { tasks: 0, fired: 0, candidates: 0 };
      const work = startedWork('sla-scan');
      const result = await this.dataSource.transaction((manager) =>
        this.fireDue(bindWork(manager, work), now, n),
      );
      if (result.fired) this.messaging.nudge();
      return result;
    } finally {
      stop();
    }
  }

  private async fireDue(manager: EntityManager, now: Date, n: number): Promise<ScanResult> {
    // Case rows first (the workflow's lock order); a case another transaction holds is skipped now
    // and fired on a later scan, after that transaction committed its own clock changes. Their
    // version goes up: the clocks are about to change, and a partner action that read this case
    // without a lock must find its write refused and read the fired timers (CaseRepository.write).
    // A SELECT over the UPDATE's rows: TypeORM answers a top-level UPDATE with [rows, count].
    const locked = (await manager.query(
      `WITH held AS (
         SELECT c.case_id FROM ${S}.cases c
          WHERE c.case_id IN (SELECT s.case_id FROM ${S}.task_sla s WHERE s.next_timer_at <= $1
                               ORDER BY s.next_timer_at LIMIT $2)
          FOR UPDATE OF c SKIP LOCKED
       ), raised AS (
         UPDATE ${S}.cases c SET version = c.version + 1 FROM held WHERE c.case_id = held.case_id
         RETURNING c.case_id, c.reference, c.status, c.priority, c.category_code
       )
       SELECT * FROM raised`,
      [now, this.config.batchSize],
    )) as LockedCase[];
    if (!locked.length) return { tasks: 0, fired: 0, candidates: n };
    // Re-read under the case lock: what another replica fired meanwhile is no longer due.
    const due = (await manager.query(
      `SELECT s.task_id, s.case_id, s.sla, t.unit_id, t.unit_type, t.unit_name, t.role
         FROM ${S}.task_sla s JOIN ${S}.tasks t ON t.task_id = s.task_id
        WHERE s.case_id = ANY($1::uuid[]) AND s.next_timer_at <= $2
        ORDER BY s.case_id, s.next_timer_at
        FOR UPDATE OF s`,
      [locked.map((c) => c.case_id), now],
    )) as DueTask[];
    const byCase = new Map(locked.map((c) => [c.case_id, c]));
    let fired = 0;
    for (const task of due) {
      await manager.query(`SAVEPOINT sla_task`);
      try {
        fired += await this.fireTask(manager, byCase.get(task.case_id)!, task, now);
        await manager.query(`RELEASE SAVEPOINT sla_task`);
      } catch (err) {
        await manager.query(`ROLLBACK TO SAVEPOINT sla_task`);
        slaFireErrors.inc();
        this.log.error(
          `SLA firing failed for task ${task.task_id}; retrying in ${this.config.retryAfterMs} ms`,
          err,
        );
        await manager.query(`UPDATE ${S}.task_sla SET next_timer_at = $2 WHERE task_id = $1`, [
          task.task_id,
          new Date(now.getTime() + this.config.retryAfterMs),
        ]);
      }
    }
    return { tasks: due.length, fired, candidates: n };
  }

  private async fireTask(manager: EntityManager, c: LockedCase, task: DueTask, now: Date): Promise<number> {
    const plan = planFiring(decodeSlaState(task.sla), now);
    await manager.query(
      `UPDATE ${S}.task_sla SET sla = $2::jsonb, next_timer_at = $3, next_timer = $4::jsonb, updated_at = $5 WHERE task_id = $1`,
      [
        task.task_id,
        encodeJson(plan.state),
        plan.next?.dueAt ?? null,
        plan.next ? JSON.stringify(plan.next) : null,
        now,
      ],
    );
    let count = 0;
    for (const f of plan.fired) {
      if (await this.fireOne(manager, c, task, f, now)) count++;
    }
    return count;
  }

  /** Records one fired timer: its row (breach / escalation), timeline entry and lifecycle event. */
  private async fireOne(
    manager: EntityManager,
    c: LockedCase,
    task: DueTask,
    f: FiredTimer,
    now: Date,
  ): Promise<boolean> {
    const { timer } = f;
    const type = lifecycleTypeOf(timer);
    const data: Record<string, unknown> = {
      deadline: timer.deadline,
      dueAt: f.deadlineDueAt.toISOString(),
      timerAt: timer.dueAt.toISOString(),
      lateBySeconds: f.lateBySeconds,
    };
    if (timer.kind === 'breach') {
      const breachId = randomUUID();
      const inserted = (await manager.query(
        `INSERT INTO ${S}.sla_breaches (breach_id, case_id, task_id, unit_id, deadline, due_at, breached_at, late_by_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (task_id, deadline, due_at) DO NOTHING RETURNING breach_id`,
        [
          breachId,
          c.case_id,
          task.task_id,
          task.unit_id,
          timer.deadline,
          f.deadlineDueAt,
          now,
          f.lateBySeconds,
        ],
      )) as unknown[];
      if (!inserted.length) return this.alreadyFired(task, f);
      data.breachId = breachId;
    }
    if (timer.kind === 'escalation') {
      const escalationId = randomUUID();
      const inserted = (await manager.query(
        `INSERT INTO ${S}.sla_escalations (escalation_id, breach_id, case_id, task_id, unit_id, deadline, due_at, step, action,
           fired_at, late_by_seconds)
         VALUES ($1, (SELECT breach_id FROM ${S}.sla_breaches WHERE task_id = $3 AND deadline = $5 AND resolved_at IS NULL
                      ORDER BY breached_at DESC LIMIT 1), $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (task_id, deadline, due_at, step) DO NOTHING RETURNING escalation_id`,
        [
          escalationId,
          c.case_id,
          task.task_id,
          task.unit_id,
          timer.deadline,
          f.deadlineDueAt,
          timer.step ?? 0,
          timer.action ?? 'remind_unit',
          now,
          Math.max(0, f.lateBySeconds),
        ],
      )) as unknown[];
      if (!inserted.length) return this.alreadyFired(task, f);
      data.escalationId = escalationId;
      data.escalationStep = timer.step ?? 0;
      data.escalationAction = timer.action;
    }
    const note = firingNote(f);
    // The center and the unit concerned see it (partner timelines show entries of their own unit).
    await manager.query(
      `INSERT INTO ${S}.timeline (case_id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note, data)
       VALUES ($1, $2, 'system', 'sla', $3, $4, $5, $6, $7, $8::jsonb)`,
      [c.case_id, now, type, ['center', 'partner'], task.task_id, task.unit_id, note, JSON.stringify(data)],
    );
    const payload: CaseLifecyclePayload = {
      caseId: c.case_id,
      reference: c.reference,
      status: c.status,
      priority: c.priority,
      ...(c.category_code ? { categoryCode: c.category_code } : {}),
      taskId: task.task_id,
      taskRole: task.role,
      unitId: task.unit_id,
      unitType: task.unit_type,
      ...(task.unit_name ? { unitName: task.unit_name } : {}),
      actorKind: 'system',
      actorId: 'sla',
      note,
      residentVisible: false,
      deadline: timer.deadline,
      dueAt: f.deadlineDueAt.toISOString(),
      lateBySeconds: f.lateBySeconds,
      ...(timer.kind === 'escalation'
        ? { escalationAction: timer.action, escalationStep: timer.step ?? 0 }
        : {}),
      at: now.toISOString(),
    };
    const event: NewEvent = { topic: Topic.CaseLifecycle, type, key: c.case_id, caseId: c.case_id, payload };
    await this.events.publish(manager, [event]);

    slaFireLag.observe(f.lagSeconds);
    if (timer.kind === 'warning') slaWarnings.inc();
    else if (timer.kind === 'breach') slaBreaches.inc({ deadline: timer.deadline });
    else slaEscalations.inc({ action: timer.action ?? 'unknown' });

    if (timer.kind === 'escalation' && timer.action === 'flag_supervision')
      await this.flagSupervision(manager, c, task, f, now);
    return true;
  }

  /** 督办: the case machine's own command, through the workflow (its event, timeline and row). */
  private async flagSupervision(
    manager: EntityManager,
    c: LockedCase,
    task: DueTask,
    f: FiredTimer,
    now: Date,
  ): Promise<void> {
    const loaded = await this.cases.lock(manager, c.case_id);
    if (!loaded || !allowedCommands(loaded.state).includes('flag_supervision')) return;
    await this.workflow.apply(
      manager,
      loaded,
      {
        type: 'flag_supervision',
        source: 'escalation',
        actorId: 'sla',
        reason: `SLA escalation: ${f.timer.deadline} deadline of unit ${task.unit_id} passed ${f.lateBySeconds} s ago`,
      },
      { now },
    );
  }

  private alreadyFired(task: DueTask, f: FiredTimer): boolean {
    this.log.warn(
      `SLA ${f.timer.kind} of task ${task.task_id} (${f.timer.deadline}) was already recorded; not fired again`,
    );
    return false;
  }

  // ---------------------------------------------------------------- sleeping and waking

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { until: Date.now() + ms, timer, resolve };
    });
  }

  /** A timer nearer than the current sleep: wake at it (a few ms after, so it is due). */
  private wakeAt(at: number): void {
    const s = this.sleeping;
    if (!s || at >= s.until) return;
    clearTimeout(s.timer);
    const ms = Math.max(0, at - Date.now()) + 5;
    s.until = Date.now() + ms;
    s.timer = setTimeout(() => {
      this.sleeping = undefined;
      s.resolve();
    }, ms);
  }

  private interrupt(): void {
    const s = this.sleeping;
    if (!s) return;
    clearTimeout(s.timer);
    this.sleeping = undefined;
    s.resolve();
  }
}
