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
      // A new case with a lead unit only (nearly all): one statement, no transaction, and a
      // chunk's cases side by side (the runner's key lanes); anything else goes to `handle`.
      alone: (event, manager, meta) =>
        meta.topic === Topic.CaseRouted
          ? this.handler.routedAlone(manager, event as EventEnvelope<CaseRoutedPayload>, meta.inbox!)
          : Promise.resolve(false),
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
