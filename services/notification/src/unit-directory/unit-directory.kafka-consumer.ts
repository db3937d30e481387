import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { EventEnvelope, Topic, UnitReferencePayload } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { LOGGER, MessagingService } from '@app/platform';
import { RecipientsRepository } from '../recipients/recipients.repository';

/** Keeps the local unit directory (webhook, contacts, supervisor contacts) from reference.units.v1. */
@Injectable()
export class UnitDirectoryKafkaConsumer implements OnModuleInit {
  private readonly log: JsonLogger;

  constructor(
    private readonly messaging: MessagingService,
    private readonly recipients: RecipientsRepository,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('unit-directory');
  }

  onModuleInit(): void {
    this.messaging.consume({
      name: 'unit-directory',
      topics: [Topic.ReferenceUnits],
      handle: async (event, manager) => {
        const unit = (event as EventEnvelope<UnitReferencePayload>).payload;
        const applied = await this.recipients.upsertUnit(manager, unit);
        if (!applied)
          this.log.debug(`unit ${unit.unitId} v${unit.version} is not newer than what we have; ignored`);
      },
    });
  }
}
