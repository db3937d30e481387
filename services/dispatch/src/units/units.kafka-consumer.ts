import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topic, UnitReferencePayload } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { LOGGER, MessagingService } from '@app/platform';
import { UnitsRepository } from './units.repository';

/** reference.units.v1 → the local units table (highest version wins; older versions are ignored). */
@Injectable()
export class UnitsKafkaConsumer implements OnModuleInit {
  private readonly log: JsonLogger;

  constructor(
    private readonly messaging: MessagingService,
    private readonly units: UnitsRepository,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('units');
  }

  onModuleInit(): void {
    this.messaging.consume({
      name: 'reference-units',
      topics: [Topic.ReferenceUnits],
      handle: async (event, manager) => {
        const unit = event.payload as UnitReferencePayload;
        const applied = await this.units.upsert(manager, unit);
        if (!applied)
          this.log.info('ignored a unit version not newer than the stored one', {
            unitId: unit.unitId,
            version: unit.version,
          });
      },
    });
  }
}
