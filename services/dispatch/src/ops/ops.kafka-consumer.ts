import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { OPS_CONFIG, OpsConfig } from './ops.config';
import { OpsProjection } from './ops.projection';
import { OpsStream } from './ops.stream';

/**
 * The ops read model's own consumer group ('ops'): routing's answers and every lifecycle change,
 * applied in the inbox transaction. Only with OPS_FROM_KAFKA=true (rebuilds, or the ops API in a
 * process of its own); normally dispatch projects inline (CaseEventsPublisher).
 */
@Injectable()
export class OpsKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly projection: OpsProjection,
    private readonly stream: OpsStream,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.fromKafka) return;
    this.messaging.consume({
      name: 'ops',
      topics: [Topic.CaseRouted, Topic.CaseTriageRequired, Topic.CaseLifecycle],
      handle: (event, manager, meta) => this.projection.apply(manager, meta.topic as Topic, event),
      afterCommit: () => this.stream.nudge(),
    });
  }
}
