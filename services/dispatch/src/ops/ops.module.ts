import { Module } from '@nestjs/common';
import { AuthModule } from '../auth';
import { loadOpsConfig, OPS_CONFIG } from './ops.config';
import { OpsHotspotRollup } from './ops.hotspot-rollup';
import { OpsHttpController } from './ops.http.controller';
import { OpsKafkaConsumer } from './ops.kafka-consumer';
import { OpsProjection } from './ops.projection';
import { OpsQueries } from './ops.queries';
import { OpsStream } from './ops.stream';
import { OpsWebController } from './ops.web.controller';

/**
 * Ops monitoring: the event-fed read model (projected inline by dispatch, or by consumer 'ops'), the /ops/v1 API and live stream
 * behind the staff login, and the /ops web page.
 */
@Module({
  imports: [AuthModule],
  controllers: [OpsHttpController, OpsWebController],
  providers: [
    { provide: OPS_CONFIG, useFactory: () => loadOpsConfig() },
    OpsProjection,
    OpsHotspotRollup,
    OpsQueries,
    OpsStream,
    OpsKafkaConsumer,
  ],
  exports: [OpsQueries, OpsProjection, OpsStream],
})
export class OpsModule {}
