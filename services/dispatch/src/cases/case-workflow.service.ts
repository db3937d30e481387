import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CaseReturnedPayload, EventEnvelope, SlaPolicyDto, Topic } from '@app/contracts';
import type { InboxClaim, NewEvent } from '@app/messaging';
import {
  CaseCommand,
  CaseDomainEvent,
  CaseState,
  dueTimers,
  grantExtension,
  markAccepted,
  markResolved,
  pauseSla,
  reassignSla,
  resumeSla,
  SlaState,
  startSla,
  transition,
} from '../domain';
import { DISPATCH_CONFIG, DispatchConfig, S } from '../dispatch.config';
import { settledBreaches } from '../sla/sla-records';
import { SlaWake } from '../sla/sla-wake';
import { decodeSlaState } from './case-codec';
import { CaseEventsPublisher } from './case-events.publisher';
import {
  CASE_WRITE_PARAMS,
  CaseInit,
  CaseRepository,
  CREATED,
  INSERT_ASSIGNED_PARAMS,
  CaseWriteParts,
  LoadedCase,
  SlaRowWrite,
  TimelineRowWrite,
  WriteReadBack,
  WRITTEN,
} from './case.repository';
import { DEFAULT_SLA_POLICY } from './default-sla-policy';
import { casesAssigned, casesClosed, tasksReturned } from './dispatch.metrics';
import { toLifecyclePayload, visibilityOf } from './lifecycle.mapper';

export interface ApplyOptions {
  now?: Date;
  /** Policy for tasks created by this change (routing's snapshot); default: the case's, then DEFAULT_SLA_POLICY. */
  slaPolicy?: SlaPolicyDto;
  routingAttempt?: number;
  triageReason?: string;
  /** A final SELECT for the transition's statement (CaseRepository.write); its row is `answer`. */
  readBack?: WriteReadBack;
}

export interface ApplyResult {
  state: CaseState;
  events: CaseDomainEvent[];
  /** The row of `options.readBack`. */
  answer?: Record<string, unknown>;
}

/** A transition ready to write (`CaseWorkflow.prepare`). */
interface PreparedWrite {
  loaded: LoadedCase;
  state: CaseState;
  events: CaseDomainEvent[];
  published: NewEvent[];
  parts: CaseWriteParts;
  extra: Parameters<CaseRepository['write']>[3];
  outbox?: { sql: string; params: unknown[]; envelopes: EventEnvelope[] };
  inline?: { cteSql: string; params: unknown[] };
  readBack?: WriteReadBack;
}

const OPEN = new Set(['assigned', 'accepted', 'in_progress']);
const ENDED = new Set(['resolved', 'returned', 'released', 'cancelled']);

/**
 * The one path by which a case changes: the caller holds the case row FOR UPDATE in its
 * transaction (`apply`), or read it without a lock and lets the write check its version
 * (`applyUnlocked`); this runs the domain transition, writes the case, its tasks and their SLA
 * clocks, appends the timeline, and publishes the lifecycle events through the outbox — all in
 * one statement (or, for several lifecycle events, one transaction).
 */
@Injectable()
export class CaseWorkflow {
  constructor(
    private readonly cases: CaseRepository,
    private readonly events: CaseEventsPublisher,
    @Inject(DISPATCH_CONFIG) private readonly config: DispatchConfig,
    @Optional() private readonly slaWake?: SlaWake,
  ) {}

  async apply(
    manager: EntityManager,
    loaded: LoadedCase,
    command: CaseCommand,
    options: ApplyOptions = {},
  ): Promise<ApplyResult> {
    const result = await this.store(manager, await this.prepare(manager, loaded, command, options));
    // Every writer of a case holds its row: under that lock its version cannot move.
    if (!result) throw new Error(`case ${loaded.caseId} changed under its lock (version ${loaded.version})`);
    return result;
  }

  /**
   * `apply` to a case read without a lock (`CaseRepository.readByTask`), with `manager` outside
   * any transaction: no transaction is held across round trips. The write is one statement that
   * checks the case is still the version read (`CaseRepository.write`); a transition whose ops
   * projection needs statements of its own (more than one lifecycle event) is written with them
   * in a short transaction (`transaction`). Undefined when the case changed since it was read:
   * nothing was written; read it again and retry.
   */
  async applyUnlocked(
    manager: EntityManager,
    transaction: <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>,
    loaded: LoadedCase,
    command: CaseCommand,
    options: ApplyOptions = {},
  ): Promise<ApplyResult | undefined> {
    const prepared = await this.prepare(manager, loaded, command, options);
    return prepared.inline || !prepared.outbox
      ? this.store(manager, prepared)
      : transaction((m) => this.store(m, prepared));
  }

  /** The transition and everything its write needs, written by `store`. */
  private async prepare(
    manager: EntityManager,
    loaded: LoadedCase,
    command: CaseCommand,
    options: ApplyOptions,
  ): Promise<PreparedWrite> {
    const now = options.now ?? new Date();
    const { state, events } = transition(loaded.state, command, now);
    const policy = options.slaPolicy ?? loaded.slaPolicy ?? DEFAULT_SLA_POLICY;
    const before = await this.loadSlas(manager, loaded, state);
    const { slas, parts } = this.plan(loaded, state, events, policy, before, now);
    const published = this.outboxEvents(loaded, state, events, slas);
    const outbox = published.length
      ? this.events.statement(manager, published, CASE_WRITE_PARAMS, WRITTEN)
      : undefined;
    // A single lifecycle event is projected into the ops model by the same statement.
    const inline = outbox
      ? this.events.inlineProjection(
          published,
          outbox.envelopes,
          CASE_WRITE_PARAMS + outbox.params.length,
          WRITTEN,
        )
      : undefined;
    return {
      loaded,
      state,
      events,
      published,
      parts,
      extra: {
        slaPolicy: options.slaPolicy ?? (loaded.slaPolicy ? undefined : policy),
        routingAttempt: options.routingAttempt,
        triageReason: options.triageReason,
        autoCloseAfterSeconds: this.config.autoCloseAfterSeconds,
        now,
      },
      ...(outbox ? { outbox } : {}),
      ...(inline ? { inline } : {}),
      ...(options.readBack ? { readBack: options.readBack } : {}),
    };
  }

  /** Writes a prepared transition; undefined when the case was no longer the version it was read at. */
  private async store(manager: EntityManager, p: PreparedWrite): Promise<ApplyResult | undefined> {
    const { written, answer } = await this.cases.write(
      manager,
      p.loaded,
      p.state,
      p.extra,
      p.parts,
      p.outbox,
      p.inline,
      p.readBack,
    );
    if (!written) return undefined;
    if (p.inline) this.events.projectedInline();
    else if (p.outbox) await this.events.project(manager, p.published, p.outbox.envelopes);
    this.wrote(p.parts, p.events);
    return { state: p.state, events: p.events, ...(answer ? { answer } : {}) };
  }

  /**
   * A new case's first transition, and the case with it, in one statement (`insertAssigned`):
   * `fresh` is the case as `createOrLock` would insert it, not stored. For a transition with
   * exactly one lifecycle event, whose ops projection `projection` gives (guarded by `CREATED`).
   * Undefined when the case exists: nothing was written but `inbox` (nothing at all with
   * `inboxWhen` 'created'), and the caller takes the path of an existing case (lock, then `apply`).
   */
  async createWith(
    manager: EntityManager,
    fresh: LoadedCase,
    init: CaseInit,
    command: CaseCommand,
    options: ApplyOptions & { routingAttempt: number },
    projection: (
      lifecycle: EventEnvelope,
      offset: number,
      guard: string,
    ) => { cteSql: string; params: unknown[] },
    inbox?: InboxClaim,
    /** Where the inbox row goes (CaseRepository.insertAssigned): 'created' for a statement run alone. */
    inboxWhen: 'always' | 'created' = 'always',
  ): Promise<ApplyResult | undefined> {
    const now = options.now ?? new Date();
    const { state, events } = transition(fresh.state, command, now);
    const policy = options.slaPolicy ?? DEFAULT_SLA_POLICY;
    const { slas, parts } = this.plan(fresh, state, events, policy, new Map(), now);
    const published = this.outboxEvents(fresh, state, events, slas);
    const lifecycle = published.flatMap((e, i) => (e.topic === Topic.CaseLifecycle ? [i] : []));
    if (lifecycle.length !== 1)
      throw new Error(`CaseWorkflow.createWith: ${lifecycle.length} lifecycle events, one projection`);
    const outbox = this.events.statement(manager, published, INSERT_ASSIGNED_PARAMS, CREATED);
    const inline = projection(
      outbox.envelopes[lifecycle[0]],
      INSERT_ASSIGNED_PARAMS + outbox.params.length,
      CREATED,
    );
    const created = await this.cases.insertAssigned(
      manager,
      fresh,
      init,
      state,
      { slaPolicy: policy, routingAttempt: options.routingAttempt, now },
      parts,
      outbox,
      inline,
      inbox,
      inboxWhen,
    );
    if (!created) return undefined;
    this.events.projectedInline();
    this.wrote(parts, events);
    return { state, events };
  }

  /** A timeline entry that is not a state change (co-report, merge received, ...). */
  async note(
    manager: EntityManager,
    entry: {
      caseId: string;
      at: Date;
      actorKind: CaseDomainEvent['actorKind'];
      actorId?: string;
      eventType: string;
      visibility: ('center' | 'partner' | 'resident')[];
      note?: string;
      data?: Record<string, unknown>;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO ${S}.timeline (case_id, at, actor_kind, actor_id, event_type, visibility, note, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        entry.caseId,
        entry.at,
        entry.actorKind,
        entry.actorId ?? null,
        entry.eventType,
        entry.visibility,
        entry.note ?? null,
        JSON.stringify(entry.data ?? {}),
      ],
    );
  }

  // ---------------------------------------------------------------- tasks and SLA clocks

  /**
   * The clocks of the tasks the case keeps: those the lock statement read (locked, so current),
   * the others read now (after the case lock, so never stale).
   */
  private async loadSlas(
    manager: EntityManager,
    loaded: LoadedCase,
    next: CaseState,
  ): Promise<Map<string, SlaState>> {
    const { read, missing: ids } = clocksOf(loaded, next);
    const slas = new Map<string, SlaState>();
    for (const [taskId, clock] of read) slas.set(taskId, decodeSlaState(clock));
    if (!ids.length) return slas;
    const rows = (await manager.query(
      `SELECT task_id, sla FROM ${S}.task_sla WHERE task_id = ANY($1::uuid[])`,
      [ids],
    )) as { task_id: string; sla: unknown }[];
    for (const r of rows) slas.set(r.task_id, decodeSlaState(r.sla));
    return slas;
  }

  /** What the transition writes besides the case row: tasks, their clocks, settled breaches, timeline. */
  private plan(
    loaded: LoadedCase,
    next: CaseState,
    events: CaseDomainEvent[],
    policy: SlaPolicyDto,
    before: Map<string, SlaState>,
    now: Date,
  ): { slas: Map<string, SlaState>; parts: CaseWriteParts } {
    const prevTasks = new Map(loaded.state.tasks.map((t) => [t.taskId, t]));
    const slas = new Map(before);
    const touched = new Set<string>();
    const set = (taskId: string, sla: SlaState) => {
      slas.set(taskId, sla);
      touched.add(taskId);
    };

    for (const t of next.tasks) {
      const prev = prevTasks.get(t.taskId);
      if (!prev) {
        const assigned = events.find((e) => e.type === 'case.assigned' && e.taskId === t.taskId);
        const previousSla = assigned?.previousTaskId ? slas.get(assigned.previousTaskId) : undefined;
        set(
          t.taskId,
          previousSla && t.role === 'lead' ? reassignSla(previousSla, now) : startSla(t.assignedAt, policy),
        );
        continue;
      }
      const sla = slas.get(t.taskId);
      if (!sla || prev.status === t.status) continue;
      if (ENDED.has(t.status)) set(t.taskId, markResolved(sla, now));
      else if (prev.status === 'assigned' && OPEN.has(t.status)) set(t.taskId, markAccepted(sla, now));
    }
    for (const e of events) {
      if (e.type === 'case.extension-granted' && e.taskId && e.dueAt) {
        const sla = slas.get(e.taskId);
        if (sla) set(e.taskId, grantExtension(sla, e.dueAt, now));
      }
      if (e.type === 'case.info-requested' || e.type === 'case.info-provided') {
        for (const t of next.tasks.filter((x) => OPEN.has(x.status))) {
          const sla = slas.get(t.taskId);
          if (sla) set(t.taskId, e.type === 'case.info-requested' ? pauseSla(sla, now) : resumeSla(sla, now));
        }
      }
    }

    const parts: CaseWriteParts = {
      newTasks: [],
      changedTasks: [],
      newSlas: [],
      changedSlas: [],
      settledBreaches: [],
      timeline: events.map(timelineRow),
    };
    for (const t of next.tasks) {
      const prev = prevTasks.get(t.taskId);
      const sla = touched.has(t.taskId) ? slas.get(t.taskId) : undefined;
      if (!prev) {
        parts.newTasks.push({
          task_id: t.taskId,
          case_id: loaded.caseId,
          unit_id: t.unitId,
          unit_type: t.unitType,
          unit_name: t.unitName ?? null,
          role: t.role,
          status: t.status,
          assigned_at: t.assignedAt,
          accepted_at: t.acceptedAt ?? null,
          ended_at: t.endedAt ?? null,
          accept_by: sla?.accept.dueAt ?? null,
          resolve_by: sla?.resolve.dueAt ?? null,
          updated_at: now,
        });
      } else {
        const statusChanged = prev.status !== t.status || prev.acceptedAt !== t.acceptedAt;
        if (statusChanged || sla) {
          parts.changedTasks.push({
            task_id: t.taskId,
            status: t.status,
            accepted_at: t.acceptedAt ?? null,
            ended_at: t.endedAt ?? null,
            updated_at: now,
            status_changed: statusChanged,
            accept_by: sla?.accept.dueAt ?? null,
            resolve_by: sla?.resolve.dueAt ?? null,
          });
        }
      }
      if (!sla) continue;
      const row = slaRow(loaded.caseId, t.taskId, sla, now);
      if (!prev) parts.newSlas.push(row);
      else {
        parts.changedSlas.push(row);
        // SLA engine: open breaches close when their deadline is met or restarts.
        parts.settledBreaches.push(...settledBreaches(t.taskId, before.get(t.taskId), sla, now));
      }
    }
    return { slas, parts };
  }

  // ---------------------------------------------------------------- timeline and events

  private outboxEvents(
    loaded: LoadedCase,
    state: CaseState,
    events: CaseDomainEvent[],
    slas: Map<string, SlaState>,
  ): NewEvent[] {
    const out: NewEvent[] = [];
    for (const e of events) {
      const sla = e.taskId ? slas.get(e.taskId) : undefined;
      out.push({
        topic: Topic.CaseLifecycle,
        type: e.type,
        key: e.caseId,
        caseId: e.caseId,
        payload: toLifecyclePayload(
          e,
          loaded.report,
          sla ? { acceptBy: sla.accept.dueAt, resolveBy: sla.resolve.dueAt } : undefined,
        ),
      });
      if (e.type === 'case.returned' && e.awaitingReroute && e.taskId && e.unitId) {
        const payload: CaseReturnedPayload = {
          report: loaded.report,
          taskId: e.taskId,
          unitId: e.unitId,
          reason: (e.reason ?? 'returned').slice(0, 2000),
          excludedUnitIds: e.excludedUnitIds ?? state.returnedUnitIds,
          returnCount: e.returnCount ?? state.returnCount,
          ...(state.categoryCode ? { categoryCode: state.categoryCode } : {}),
        };
        out.push({
          topic: Topic.CaseReturned,
          type: 'case.returned',
          key: e.caseId,
          caseId: e.caseId,
          payload,
        });
      }
    }
    return out;
  }

  /** After a transition is written: the SLA scanner wakes for the clocks' next timers; counters. */
  private wrote(parts: CaseWriteParts, events: CaseDomainEvent[]): void {
    for (const sla of parts.newSlas.concat(parts.changedSlas)) {
      if (sla.next_timer_at) this.slaWake?.timerAt(sla.next_timer_at);
    }
    for (const e of events) {
      if ((e.type === 'case.assigned' || e.type === 'case.reopened') && e.taskRole === 'lead')
        casesAssigned.inc();
      if (e.type === 'case.closed' && e.closedHow) casesClosed.inc({ how: e.closedHow });
      if (e.type === 'case.returned') tasksReturned.inc({ role: e.taskRole ?? 'lead' });
    }
  }
}

/**
 * The clocks a transition needs (those of the tasks the case already had), split into those the
 * lock statement brought (`LoadedCase.clocks`) and the task ids still to read.
 */
export function clocksOf(
  loaded: Pick<LoadedCase, 'state' | 'clocks'>,
  next: Pick<CaseState, 'tasks'>,
): { read: Map<string, unknown>; missing: string[] } {
  const known = new Set(loaded.state.tasks.map((t) => t.taskId));
  const read = new Map<string, unknown>();
  const missing: string[] = [];
  for (const t of next.tasks) {
    if (!known.has(t.taskId)) continue;
    const clock = loaded.clocks?.get(t.taskId);
    if (clock !== undefined) read.set(t.taskId, clock);
    else missing.push(t.taskId);
  }
  return { read, missing };
}

function slaRow(caseId: string, taskId: string, sla: SlaState, now: Date): SlaRowWrite {
  const next = dueTimers(sla)[0];
  return {
    task_id: taskId,
    case_id: caseId,
    policy_id: sla.policy.policyId,
    sla,
    accept_by: sla.accept.dueAt,
    accept_warn_at: sla.accept.warnAt,
    resolve_by: sla.resolve.dueAt,
    resolve_warn_at: sla.resolve.warnAt,
    next_timer_at: next?.dueAt ?? null,
    next_timer: next ?? null,
    updated_at: now,
  };
}

function timelineRow(e: CaseDomainEvent): TimelineRowWrite {
  const {
    caseId,
    at,
    actorKind,
    actorId,
    type,
    taskId,
    unitId,
    note,
    reason,
    comment,
    residentNote,
    ...rest
  } = e;
  return {
    case_id: caseId,
    at,
    actor_kind: actorKind,
    actor_id: actorId ?? null,
    event_type: type,
    visibility: visibilityOf(e),
    task_id: taskId ?? null,
    unit_id: unitId ?? null,
    note: note ?? reason ?? comment ?? null,
    resident_note: residentNote ?? null,
    data: { ...rest, ...(reason ? { reason } : {}), ...(comment ? { comment } : {}) },
  };
}
