import { Injectable, OnModuleInit } from '@nestjs/common';
import { CaseRoutedPayload, CaseTriageRequiredPayload, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { CaseEventsPublisher } from '../cases';
import { CaseRoutingHandler } from './case-routing.handler';

/** case.routed.v1 and case.triage-required.v1 → the routing handler, in the inbox transaction. */
@Injectable()
export class CaseRoutingKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly handler: CaseRoutingHandler,
    private readonly events: CaseEventsPublisher,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'case-routing',
      topics: [Topic.CaseRouted, Topic.CaseTriageRequired],
      handle: async (event, manager, meta) => {
        if (meta.topic === Topic.CaseRouted)
          await this.handler.routed(manager, event.payload as CaseRoutedPayload);
        else await this.handler.triageRequired(manager, event.payload as CaseTriageRequiredPayload);
        // The ops read model learns routing's answer in the same transaction.
        await this.events.projectRouting(manager, meta.topic as Topic, event);
      },
    });
  }
}
