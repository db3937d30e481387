import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  CaseLifecyclePayload,
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  Topic,
} from '@app/contracts';
import { MessagingService } from '@app/platform';
import { OpsProjection } from './ops.projection';
import { OpsStream } from './ops.stream';

/**
 * The ops read model's own consumer group ('ops'), decoupled from the case tables: routing's
 * answers and every lifecycle change, applied in the inbox transaction.
 */
@Injectable()
export class OpsKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly projection: OpsProjection,
    private readonly stream: OpsStream,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'ops',
      topics: [Topic.CaseRouted, Topic.CaseTriageRequired, Topic.CaseLifecycle],
      handle: async (event, manager, meta) => {
        if (meta.topic === Topic.CaseRouted)
          await this.projection.routed(manager, event as EventEnvelope<CaseRoutedPayload>);
        else if (meta.topic === Topic.CaseTriageRequired)
          await this.projection.triageRequired(manager, event as EventEnvelope<CaseTriageRequiredPayload>);
        else await this.projection.lifecycle(manager, event as EventEnvelope<CaseLifecyclePayload>);
      },
      afterCommit: () => this.stream.nudge(),
    });
  }
}
