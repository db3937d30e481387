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
import type { EntityManager } from 'typeorm';
import type { MessageMeta } from '@app/messaging';
import { MessagingService } from '@app/platform';
import { DeliveryWorker } from '../delivery-worker';
import { CaseEventsHandler } from './case-events.handler';

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
      partitionsConcurrently: 6,
      // The handler's first statement (the case record) writes the event's inbox row.
      inbox: 'first-statement',
      handle: async (event, manager, meta) => {
        if (await this.route(event, manager, meta)) {
          // An event whose transaction rolled back and is never committed (dead-lettered) leaves
          // its id here: drop them all now and then, and look once (a wake too many is harmless).
          if (this.dueAfterCommit.size >= MAX_PENDING_WAKES) {
            this.dueAfterCommit.clear();
            this.worker.wake();
          }
          this.dueAfterCommit.add(event.eventId);
        }
      },
      afterCommit: (event) => {
        if (this.dueAfterCommit.delete(event.eventId)) this.worker.wake();
      },
    });
  }

  /** Decodes by topic and hands the event to the handler; true when it queued deliveries due now. */
  private route(
    event: EventEnvelope<PayloadOf[Topic]>,
    manager: EntityManager,
    meta: MessageMeta,
  ): Promise<boolean> {
    switch (meta.topic) {
      case Topic.CaseReported:
        return this.handler.handle(
          { kind: 'reported', event: event as EventEnvelope<CaseReportedPayload> },
          manager,
          meta.inbox,
        );
      case Topic.CaseResident:
        // Feedback and added information are dispatch's business; only co-reports add a recipient.
        if (event.type !== 'case.co-reported') return Promise.resolve(false);
        return this.handler.handle(
          { kind: 'co-reported', event: event as EventEnvelope<CaseResidentPayload> },
          manager,
          meta.inbox,
        );
      case Topic.CaseLifecycle:
        return this.handler.handle(
          { kind: 'lifecycle', event: event as EventEnvelope<CaseLifecyclePayload> },
          manager,
          meta.inbox,
        );
      case Topic.CaseTriageRequired:
        return this.handler.handle(
          { kind: 'triage', event: event as EventEnvelope<CaseTriageRequiredPayload> },
          manager,
          meta.inbox,
        );
      default:
        return Promise.resolve(false);
    }
  }
}
