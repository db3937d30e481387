import { Injectable, OnModuleInit } from '@nestjs/common';
import { CaseResidentPayload, ResidentEventType, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { ResidentFeedbackHandler } from './resident-feedback.handler';

/** case.resident.v1 (from intake) → the resident feedback handler, in the inbox transaction. */
@Injectable()
export class ResidentFeedbackKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly handler: ResidentFeedbackHandler,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'case-resident',
      topics: [Topic.CaseResident],
      handle: async (event, manager) => {
        await this.handler.handle(
          manager,
          event.type as ResidentEventType,
          event.payload as CaseResidentPayload,
        );
      },
    });
  }
}
