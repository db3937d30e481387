import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  CaseLifecyclePayload,
  CaseReportedPayload,
  CaseResidentPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  PayloadOf,
  Topic,
} from '@app/contracts';
import type { MessageMeta } from '@app/messaging';
import { MessagingService } from '@app/platform';
import { DeliveryWorker } from '../delivery-worker';
import { CaseEventCommand, CaseEventsHandler } from './case-events.handler';

/** Events handled but not yet committed that queued due deliveries; bounded in case some never commit. */
const MAX_PENDING_WAKES = 10_000;

/**
 * Consumes the case topics notification reacts to; wakes the delivery worker after a commit
 * that queued deliveries due now (not for events that queued nothing, or only held messages).
 */
@Injectable()
export class CaseEventsKafkaConsumer implements OnModuleInit {
  private readonly dueAfterCommit = new Set<string>();

  constructor(
    private readonly messaging: MessagingService,
    private readonly handler: CaseEventsHandler,
    private readonly worker: DeliveryWorker,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'case-events',
      topics: [Topic.CaseReported, Topic.CaseResident, Topic.CaseLifecycle, Topic.CaseTriageRequired],
      // The handler's first statement (the case record) writes the event's inbox row.
      inbox: 'first-statement',
      handle: async (event, manager, meta) => {
        const cmd = commandOf(event, meta);
        if (cmd && (await this.handler.handle(cmd, manager, meta.inbox)))
          this.dueAfterCommitOf(event.eventId);
      },
      // A chunk: each event's case record in turn, every delivery row in one statement.
      handleChunk: async (items, manager) => {
        const cmds = items.flatMap(({ event, meta }) => commandOf(event, meta) ?? []);
        for (const id of await this.handler.handleChunk(cmds, manager)) this.dueAfterCommitOf(id);
      },
      afterCommit: (event) => {
        if (this.dueAfterCommit.delete(event.eventId)) this.worker.wake();
      },
    });
  }

  /** The event queued deliveries due now: wake the worker once its transaction commits. */
  private dueAfterCommitOf(eventId: string): void {
    // An event whose transaction rolled back and is never committed (dead-lettered) leaves
    // its id here: drop them all now and then, and look once (a wake too many is harmless).
    if (this.dueAfterCommit.size >= MAX_PENDING_WAKES) {
      this.dueAfterCommit.clear();
      this.worker.wake();
    }
    this.dueAfterCommit.add(eventId);
  }
}

/** The handler's command for an event of a topic notification reacts to; undefined to ignore it. */
function commandOf(event: EventEnvelope<PayloadOf[Topic]>, meta: MessageMeta): CaseEventCommand | undefined {
  switch (meta.topic) {
    case Topic.CaseReported:
      return { kind: 'reported', event: event as EventEnvelope<CaseReportedPayload> };
    case Topic.CaseResident:
      // Feedback and added information are dispatch's business; only co-reports add a recipient.
      return event.type === 'case.co-reported'
        ? { kind: 'co-reported', event: event as EventEnvelope<CaseResidentPayload> }
        : undefined;
    case Topic.CaseLifecycle:
      return { kind: 'lifecycle', event: event as EventEnvelope<CaseLifecyclePayload> };
    case Topic.CaseTriageRequired:
      return { kind: 'triage', event: event as EventEnvelope<CaseTriageRequiredPayload> };
    default:
      return undefined;
  }
}
