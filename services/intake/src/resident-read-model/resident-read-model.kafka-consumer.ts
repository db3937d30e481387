import { Injectable, OnModuleInit } from '@nestjs/common';
import { CaseLifecyclePayload, EventEnvelope, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { ResidentReadModelHandler } from './resident-read-model.handler';

/** Consumes case.lifecycle (group intake.resident-read-model). */
@Injectable()
export class ResidentReadModelKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly handler: ResidentReadModelHandler,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'resident-read-model',
      topics: [Topic.CaseLifecycle],
      // The view's update is one statement: with the inbox row in it, no BEGIN/COMMIT per event.
      inbox: 'only-statement',
      handle: (event, manager, meta) =>
        this.handler.handle(event as EventEnvelope<CaseLifecyclePayload>, manager, meta.inbox),
      // A chunk (a fetch's events of one partition, or of its partitions gathered) in one statement
      // instead of one each, the chunk's inbox rows in it: no transaction.
      handleChunk: (items, manager, inbox) =>
        this.handler.handleChunk(
          items.map((i) => i.event as EventEnvelope<CaseLifecyclePayload>),
          manager,
          inbox,
        ),
    });
  }
}
