import { Injectable, OnModuleInit } from '@nestjs/common';
import { CaseRoutedPayload, CaseTriageRequiredPayload, EventEnvelope, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { CaseRoutingHandler } from './case-routing.handler';

/** case.routed.v1 and case.triage-required.v1 → the routing handler, in the inbox transaction. */
@Injectable()
export class CaseRoutingKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly handler: CaseRoutingHandler,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'case-routing',
      topics: [Topic.CaseRouted, Topic.CaseTriageRequired],
      // The ops read model learns routing's answer, and the inbox the event, in the statement
      // that creates the case.
      inbox: 'first-statement',
      handle: async (event, manager, meta) => {
        if (meta.topic === Topic.CaseRouted)
          await this.handler.routed(manager, event as EventEnvelope<CaseRoutedPayload>, meta.inbox);
        else
          await this.handler.triageRequired(
            manager,
            event as EventEnvelope<CaseTriageRequiredPayload>,
            meta.inbox,
          );
      },
    });
  }
}
