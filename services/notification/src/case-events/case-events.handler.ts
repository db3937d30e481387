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
import { CaseContext, CaseRecord, RecipientsRepository } from '../recipients/recipients.repository';

const planned = counter('notifications_planned_total', 'Deliveries queued from case events', ['channel']);
const unreachable = counter(
  'notifications_unreachable_total',
  'Recipients an event should reach but who have no usable channel',
);

/** An event ready to record: its case record (with what its plan reads) and the plan's input. */
interface Prepared {
  event: CaseEventCommand['event'];
  input: PlanInput;
  record: CaseRecord;
}

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
    return (await this.handleAll([cmd], m, inbox)).size > 0;
  }

  /**
   * Handles a chunk's events (one partition's, or a fetch's partitions' gathered: each case's in
   * order; their inbox rows written by the runner) with the effect of `handle` on each in turn.
   * Returns the ids of the events that queued deliveries due now.
   */
  handleChunk(cmds: CaseEventCommand[], m: EntityManager): Promise<Set<string>> {
    return this.handleAll(cmds, m);
  }

  /**
   * The cases are recorded in rounds, the first event of every case in one statement, then the
   * second of those with more, and so on (so each plan reads its case as the events before it
   * left it; nothing of one case is read for another), then every event's delivery rows go in
   * ONE statement, in event order. `inbox` rides on the first statement (one event alone).
   */
  private async handleAll(
    cmds: CaseEventCommand[],
    m: EntityManager,
    inbox?: InboxClaim,
  ): Promise<Set<string>> {
    const prepared = cmds.map((cmd) => this.prepare(cmd));
    const loaded: CaseContext[] = [];
    let pending = prepared.map((_, i) => i);
    for (let first = true; pending.length; first = false) {
      const cases = new Set<string>();
      const round: number[] = [];
      const later: number[] = [];
      for (const i of pending) {
        const caseId = prepared[i].record.upsert.caseId;
        if (cases.has(caseId)) later.push(i);
        else {
          cases.add(caseId);
          round.push(i);
        }
      }
      const contexts = await this.recipients.recordCases(
        m,
        round.map((i) => prepared[i].record),
        first ? inbox : undefined,
      );
      round.forEach((i, k) => (loaded[i] = contexts[k]));
      pending = later;
    }
    const plans = prepared.map((p, i) => this.plan(p, loaded[i]));
    await this.deliveries.insertDeliveries(
      m,
      plans.map((p) => ({ facts: p.facts, planned: p.plan.deliveries, unreachable: p.plan.unreachable })),
    );
    return new Set(plans.filter((p) => this.queued(p)).map((p) => p.facts.eventId));
  }

  /** What the event tells about its case, what its plan reads, and the plan's input. */
  private prepare(cmd: CaseEventCommand): Prepared {
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
    return {
      event: cmd.event,
      input,
      record: {
        ...record,
        residents: needs.residents,
        unitId: needs.unit && unitId ? unitId : null,
        roles: needs.roles,
      },
    };
  }

  /** The event's deliveries, planned on its case as recorded. */
  private plan({ event, input }: Prepared, loaded: CaseContext): Planned {
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
