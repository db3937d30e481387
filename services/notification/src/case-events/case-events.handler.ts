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
import { counter, JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import {
  coReporterKey,
  NotificationPlan,
  PlanInput,
  planNotifications,
  residentFromReporter,
  summarize,
} from '../domain';
import { DeliveriesRepository, EventFacts } from '../deliveries/deliveries.repository';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';
import { RecipientsRepository } from '../recipients/recipients.repository';

const planned = counter('notifications_planned_total', 'Deliveries queued from case events', ['channel']);
const unreachable = counter(
  'notifications_unreachable_total',
  'Recipients an event should reach but who have no usable channel',
);

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

  async handle(cmd: CaseEventCommand, m: EntityManager): Promise<void> {
    const { event } = cmd;
    let input: PlanInput;
    let caseId: string;
    switch (cmd.kind) {
      case 'reported': {
        const p = cmd.event.payload;
        await this.rememberReport(m, p);
        input = { kind: 'reported', payload: p };
        caseId = p.caseId;
        break;
      }
      case 'co-reported': {
        const p = cmd.event.payload;
        await this.recipients.upsertCase(m, { caseId: p.caseId, reference: p.reference });
        const key = coReporterKey(p, cmd.event.eventId);
        const resident = residentFromReporter(p.reporter, key);
        if (resident) await this.recipients.addResident(m, p.caseId, resident);
        input = { kind: 'co-reported', payload: p, residentKey: key };
        caseId = p.caseId;
        break;
      }
      case 'triage': {
        const p = cmd.event.payload;
        await this.rememberReport(m, p.report, p.priority);
        input = { kind: 'triage', payload: p };
        caseId = p.report.caseId;
        break;
      }
      case 'lifecycle': {
        const p = cmd.event.payload;
        await this.recipients.upsertCase(m, {
          caseId: p.caseId,
          reference: p.reference,
          summary: p.task ? summarize(p.task.description, 200) : null,
          priority: p.priority ?? p.task?.priority ?? null,
          reporterConfidential: p.task?.reporterConfidential,
        });
        input = { kind: 'lifecycle', type: cmd.event.type as LifecycleEventType, payload: p };
        caseId = p.caseId;
        break;
      }
    }
    const caseInfo = await this.recipients.findCase(m, caseId);
    if (!caseInfo) return;
    const unitId = cmd.kind === 'lifecycle' ? cmd.event.payload.unitId : undefined;
    const plan: NotificationPlan = planNotifications(input, {
      caseInfo,
      residents: await this.recipients.residents(m, caseInfo.caseId),
      unit: unitId ? await this.recipients.findUnit(m, unitId) : null,
      roles: await this.recipients.roles(m),
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
    await this.deliveries.insertPlanned(m, facts, plan.deliveries);
    for (const d of plan.deliveries) planned.inc({ channel: d.channel });
    for (const u of plan.unreachable) {
      unreachable.inc();
      this.log.warn(`event ${event.eventId} (${event.type}): ${u.reason}`);
      await this.deliveries.insertUnreachable(m, facts, u.recipient, u.reason);
    }
  }

  private async rememberReport(
    m: EntityManager,
    r: ReportSnapshot,
    priority?: CaseLifecyclePayload['priority'],
  ): Promise<void> {
    await this.recipients.upsertCase(m, {
      caseId: r.caseId,
      reference: r.reference,
      summary: summarize(r.description, 200),
      priority: priority ?? null,
      reporterConfidential: r.reporter.confidential,
    });
    const resident = residentFromReporter(r.reporter, 'reporter');
    if (resident) await this.recipients.addResident(m, r.caseId, resident);
  }
}
