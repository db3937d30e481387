import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  CaseLifecyclePayload,
  CaseReportedPayload,
  CaseResidentPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  Topic,
} from '@app/contracts';
import { MessagingService } from '@app/platform';
import { DeliveryWorker } from '../delivery-worker';
import { CaseEventsHandler } from './case-events.handler';

/** Consumes the case topics notification reacts to; wakes the delivery worker after each commit. */
@Injectable()
export class CaseEventsKafkaConsumer implements OnModuleInit {
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
      handle: async (event, manager, meta) => {
        switch (meta.topic) {
          case Topic.CaseReported:
            return this.handler.handle(
              { kind: 'reported', event: event as EventEnvelope<CaseReportedPayload> },
              manager,
            );
          case Topic.CaseResident:
            // Feedback and added information are dispatch's business; only co-reports add a recipient.
            if (event.type !== 'case.co-reported') return;
            return this.handler.handle(
              { kind: 'co-reported', event: event as EventEnvelope<CaseResidentPayload> },
              manager,
            );
          case Topic.CaseLifecycle:
            return this.handler.handle(
              { kind: 'lifecycle', event: event as EventEnvelope<CaseLifecyclePayload> },
              manager,
            );
          case Topic.CaseTriageRequired:
            return this.handler.handle(
              { kind: 'triage', event: event as EventEnvelope<CaseTriageRequiredPayload> },
              manager,
            );
          default:
            return;
        }
      },
      afterCommit: () => this.worker.wake(),
    });
  }
}
