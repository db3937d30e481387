import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CaseLifecyclePayload,
  CaseReportedPayload,
  CaseResidentPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  LifecycleEventType,
  ReportSnapshot,
} from '@app/contracts';
import type { InboxClaim } from '@app/messaging';
import { counter, JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import {
  coReporterKey,
  NotificationPlan,
  PlanInput,
  planNeeds,
  planNotifications,
  residentFromReporter,
  summarize,
} from '../domain';
import { DeliveriesRepository, EventFacts } from '../deliveries/deliveries.repository';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';
import { CaseRecord, RecipientsRepository } from '../recipients/recipients.repository';

const planned = counter('notifications_planned_total', 'Deliveries queued from case events', ['channel']);
const unreachable = counter(
  'notifications_unreachable_total',
  'Recipients an event should reach but who have no usable channel',
);

/** An event's plan with what its delivery rows are written with. */
interface Planned {
  facts: EventFacts;
  plan: NotificationPlan;
  correlationId: string;
}

export type CaseEventCommand =
  | { kind: 'reported'; event: EventEnvelope<CaseReportedPayload> }
  | { kind: 'co-reported'; event: EventEnvelope<CaseResidentPayload> }
  | { kind: 'lifecycle'; event: EventEnvelope<CaseLifecyclePayload> }
  | { kind: 'triage'; event: EventEnvelope<CaseTriageRequiredPayload> };

/**
 * Turns a case event into delivery rows, inside the consumer transaction: remember what the
 * event tells about the case and its residents, run the pure plan, insert one row per
 * (event, recipient, channel). No network here; the worker sends after commit.
 */
@Injectable()
export class CaseEventsHandler {
  private readonly log: JsonLogger;

  constructor(
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
    private readonly recipients: RecipientsRepository,
    private readonly deliveries: DeliveriesRepository,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('case-events');
  }

  /**
   * Handles one event in the consumer transaction: one statement records the case (and the
   * event's resident, and `inbox`: the consumed event) and reads what the plan needs, one inserts
   * every delivery row. Returns true when it queued deliveries that are due now (the worker
   * should look).
   */
  async handle(cmd: CaseEventCommand, m: EntityManager, inbox?: InboxClaim): Promise<boolean> {
    const one = await this.plan(cmd, m, inbox);
    await this.deliveries.insertEventDeliveries(m, one.facts, one.plan.deliveries, one.plan.unreachable);
    return this.queued(one);
  }

  /**
   * Handles a chunk's events (one partition's, in order; their inbox rows written by the runner):
   * each event's case record and plan in turn, as `handle` would (each plan reads the case as the
   * events before it left it), then every event's delivery rows in ONE statement. Returns the ids
   * of the events that queued deliveries due now.
   */
  async handleChunk(cmds: CaseEventCommand[], m: EntityManager): Promise<Set<string>> {
    const plans: Planned[] = [];
    for (const cmd of cmds) plans.push(await this.plan(cmd, m));
    await this.deliveries.insertDeliveries(
      m,
      plans.map((p) => ({ facts: p.facts, planned: p.plan.deliveries, unreachable: p.plan.unreachable })),
    );
    return new Set(plans.filter((p) => this.queued(p)).map((p) => p.facts.eventId));
  }

  /** Records what the event tells about the case (one statement) and plans its deliveries. */
  private async plan(cmd: CaseEventCommand, m: EntityManager, inbox?: InboxClaim): Promise<Planned> {
    const { event } = cmd;
    let input: PlanInput;
    let record: Omit<CaseRecord, 'residents' | 'unitId' | 'roles'>;
    switch (cmd.kind) {
      case 'reported': {
        const p = cmd.event.payload;
        record = this.reportRecord(p);
        input = { kind: 'reported', payload: p };
        break;
      }
      case 'co-reported': {
        const p = cmd.event.payload;
        const key = coReporterKey(p, cmd.event.eventId);
        record = {
          upsert: { caseId: p.caseId, reference: p.reference },
          addResident: residentFromReporter(p.reporter, key),
        };
        input = { kind: 'co-reported', payload: p, residentKey: key };
        break;
      }
      case 'triage': {
        const p = cmd.event.payload;
        record = this.reportRecord(p.report, p.priority);
        input = { kind: 'triage', payload: p };
        break;
      }
      case 'lifecycle': {
        const p = cmd.event.payload;
        record = {
          upsert: {
            caseId: p.caseId,
            reference: p.reference,
            summary: p.task ? summarize(p.task.description, 200) : null,
            priority: p.priority ?? p.task?.priority ?? null,
            reporterConfidential: p.task?.reporterConfidential,
          },
        };
        input = { kind: 'lifecycle', type: cmd.event.type as LifecycleEventType, payload: p };
        break;
      }
    }
    const needs = planNeeds(input);
    const unitId = cmd.kind === 'lifecycle' ? cmd.event.payload.unitId : undefined;
    const loaded = await this.recipients.recordCase(
      m,
      {
        ...record,
        residents: needs.residents,
        unitId: needs.unit && unitId ? unitId : null,
        roles: needs.roles,
      },
      inbox,
    );
    const caseInfo = loaded.caseInfo;
    const plan: NotificationPlan = planNotifications(input, {
      caseInfo,
      residents: loaded.residents,
      unit: loaded.unit,
      roles: loaded.roles,
      now: new Date(),
      quietHours: this.config.quietHours,
      trackingBaseUrl: this.config.trackingBaseUrl,
    });
    const facts: EventFacts = {
      eventId: event.eventId,
      eventType: event.type,
      caseId: caseInfo.caseId,
      reference: caseInfo.reference,
      occurredAt: event.occurredAt,
    };
    return { facts, plan, correlationId: event.correlationId };
  }

  /** Counts and logs what an event's rows (now written) queued; true when some are due now. */
  private queued({ facts, plan, correlationId }: Planned): boolean {
    for (const d of plan.deliveries) planned.inc({ channel: d.channel });
    for (const u of plan.unreachable) {
      unreachable.inc();
      this.log.warn(`event ${facts.eventId} (${facts.eventType}): ${u.reason}`, { correlationId });
    }
    const now = Date.now();
    return plan.deliveries.some((d) => !d.notBefore || d.notBefore.getTime() <= now);
  }

  private reportRecord(
    r: ReportSnapshot,
    priority?: CaseLifecyclePayload['priority'],
  ): Omit<CaseRecord, 'residents' | 'unitId' | 'roles'> {
    return {
      upsert: {
        caseId: r.caseId,
        reference: r.reference,
        summary: summarize(r.description, 200),
        priority: priority ?? null,
        reporterConfidential: r.reporter.confidential,
      },
      addResident: residentFromReporter(r.reporter, 'reporter'),
    };
  }
}
