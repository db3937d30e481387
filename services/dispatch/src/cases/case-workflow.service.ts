import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CaseReturnedPayload, SlaPolicyDto, Topic } from '@app/contracts';
import type { NewEvent } from '@app/messaging';
import { MessagingService } from '@app/platform';
import {
  CaseCommand,
  CaseDomainEvent,
  CaseState,
  CaseTask,
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
import { settleSlaBreaches } from '../sla/sla-records';
import { SlaWake } from '../sla/sla-wake';
import { decodeSlaState, encodeJson } from './case-codec';
import { CaseRepository, LoadedCase } from './case.repository';
import { DEFAULT_SLA_POLICY } from './default-sla-policy';
import { casesAssigned, casesClosed, tasksReturned } from './dispatch.metrics';
import { toLifecyclePayload, visibilityOf } from './lifecycle.mapper';

export interface ApplyOptions {
  now?: Date;
  /** Policy for tasks created by this change (routing's snapshot); default: the case's, then DEFAULT_SLA_POLICY. */
  slaPolicy?: SlaPolicyDto;
  routingAttempt?: number;
  triageReason?: string;
}

export interface ApplyResult {
  state: CaseState;
  events: CaseDomainEvent[];
}

const OPEN = new Set(['assigned', 'accepted', 'in_progress']);
const ENDED = new Set(['resolved', 'returned', 'released', 'cancelled']);

/**
 * The one path by which a case changes: the caller holds the case row FOR UPDATE in its
 * transaction; this runs the domain transition, writes the case, its tasks and their SLA
 * clocks, appends the timeline, and publishes the lifecycle events through the outbox —
 * all in that same transaction.
 */
@Injectable()
export class CaseWorkflow {
  constructor(
    private readonly cases: CaseRepository,
    private readonly messaging: MessagingService,
    @Inject(DISPATCH_CONFIG) private readonly config: DispatchConfig,
    @Optional() private readonly slaWake?: SlaWake,
  ) {}

  async apply(
    manager: EntityManager,
    loaded: LoadedCase,
    command: CaseCommand,
    options: ApplyOptions = {},
  ): Promise<ApplyResult> {
    const now = options.now ?? new Date();
    const { state, events } = transition(loaded.state, command, now);
    const policy = options.slaPolicy ?? loaded.slaPolicy ?? DEFAULT_SLA_POLICY;
    await this.cases.save(manager, loaded, state, {
      slaPolicy: options.slaPolicy ?? (loaded.slaPolicy ? undefined : policy),
      routingAttempt: options.routingAttempt,
      triageReason: options.triageReason,
      autoCloseAfterSeconds: this.config.autoCloseAfterSeconds,
      now,
    });
    const slas = await this.syncTasks(manager, loaded, state, events, policy, now);
    await this.appendTimeline(manager, events);
    await this.messaging.publish(manager, this.outboxEvents(loaded, state, events, slas));
    this.count(events);
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

  private async syncTasks(
    manager: EntityManager,
    loaded: LoadedCase,
    next: CaseState,
    events: CaseDomainEvent[],
    policy: SlaPolicyDto,
    now: Date,
  ): Promise<Map<string, SlaState>> {
    const before = new Map(loaded.state.tasks.map((t) => [t.taskId, t]));
    const existingIds = next.tasks.filter((t) => before.has(t.taskId)).map((t) => t.taskId);
    const slas = new Map<string, SlaState>();
    if (existingIds.length) {
      const rows = (await manager.query(
        `SELECT task_id, sla FROM ${S}.task_sla WHERE task_id = ANY($1::uuid[])`,
        [existingIds],
      )) as { task_id: string; sla: unknown }[];
      for (const r of rows) slas.set(r.task_id, decodeSlaState(r.sla));
    }
    const touched = new Set<string>();
    const set = (taskId: string, sla: SlaState) => {
      slas.set(taskId, sla);
      touched.add(taskId);
    };

    for (const t of next.tasks) {
      const prev = before.get(t.taskId);
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

    for (const t of next.tasks) {
      const prev = before.get(t.taskId);
      const sla = slas.get(t.taskId);
      if (!prev) await this.insertTask(manager, loaded.caseId, t, now);
      else if (prev.status !== t.status || prev.acceptedAt !== t.acceptedAt)
        await this.updateTask(manager, t, now);
      if (sla && touched.has(t.taskId))
        await this.writeSla(manager, loaded.caseId, t.taskId, sla, !prev, now);
    }
    return slas;
  }

  private async insertTask(manager: EntityManager, caseId: string, t: CaseTask, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${S}.tasks (task_id, case_id, unit_id, unit_type, unit_name, role, status, assigned_at, accepted_at, ended_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        t.taskId,
        caseId,
        t.unitId,
        t.unitType,
        t.unitName ?? null,
        t.role,
        t.status,
        t.assignedAt,
        t.acceptedAt ?? null,
        t.endedAt ?? null,
        now,
      ],
    );
  }

  private async updateTask(manager: EntityManager, t: CaseTask, now: Date): Promise<void> {
    await manager.query(
      `UPDATE ${S}.tasks SET status = $2, accepted_at = $3, ended_at = $4, updated_at = $5 WHERE task_id = $1`,
      [t.taskId, t.status, t.acceptedAt ?? null, t.endedAt ?? null, now],
    );
  }

  private async writeSla(
    manager: EntityManager,
    caseId: string,
    taskId: string,
    sla: SlaState,
    fresh: boolean,
    now: Date,
  ): Promise<void> {
    const next = dueTimers(sla)[0];
    const params = [
      taskId,
      caseId,
      sla.policy.policyId,
      encodeJson(sla),
      sla.accept.dueAt,
      sla.accept.warnAt,
      sla.resolve.dueAt,
      sla.resolve.warnAt,
      next?.dueAt ?? null,
      next ? JSON.stringify(next) : null,
      now,
    ];
    if (fresh) {
      await manager.query(
        `INSERT INTO ${S}.task_sla (task_id, case_id, policy_id, sla, accept_by, accept_warn_at, resolve_by, resolve_warn_at,
           next_timer_at, next_timer, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
        params,
      );
    } else {
      await manager.query(
        `UPDATE ${S}.task_sla SET case_id = $2, policy_id = $3, sla = $4::jsonb, accept_by = $5, accept_warn_at = $6, resolve_by = $7,
           resolve_warn_at = $8, next_timer_at = $9, next_timer = $10::jsonb, updated_at = $11 WHERE task_id = $1`,
        params,
      );
    }
    await manager.query(`UPDATE ${S}.tasks SET accept_by = $2, resolve_by = $3 WHERE task_id = $1`, [
      taskId,
      sla.accept.dueAt,
      sla.resolve.dueAt,
    ]);
    // SLA engine: open breaches close when their deadline is met or restarts; the scanner wakes for a nearer timer.
    if (!fresh) await settleSlaBreaches(manager, taskId, sla, now);
    if (next) this.slaWake?.timerAt(next.dueAt);
  }

  // ---------------------------------------------------------------- timeline and events

  private async appendTimeline(manager: EntityManager, events: CaseDomainEvent[]): Promise<void> {
    for (const e of events) {
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
      await manager.query(
        `INSERT INTO ${S}.timeline (case_id, at, actor_kind, actor_id, event_type, visibility, task_id, unit_id, note, resident_note, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)`,
        [
          caseId,
          at,
          actorKind,
          actorId ?? null,
          type,
          visibilityOf(e),
          taskId ?? null,
          unitId ?? null,
          note ?? reason ?? comment ?? null,
          residentNote ?? null,
          JSON.stringify({ ...rest, ...(reason ? { reason } : {}), ...(comment ? { comment } : {}) }),
        ],
      );
    }
  }

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

  private count(events: CaseDomainEvent[]): void {
    for (const e of events) {
      if ((e.type === 'case.assigned' || e.type === 'case.reopened') && e.taskRole === 'lead')
        casesAssigned.inc();
      if (e.type === 'case.closed' && e.closedHow) casesClosed.inc({ how: e.closedHow });
      if (e.type === 'case.returned') tasksReturned.inc({ role: e.taskRole ?? 'lead' });
    }
  }
}
