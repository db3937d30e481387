import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { AuthModule } from './auth';
import { AutoCloseWorker } from './auto-close';
import { CaseRoutingHandler, CaseRoutingKafkaConsumer } from './case-routing';
import { CaseEventsPublisher, CaseRepository, CaseViews, CaseWorkflow, MutationRunner } from './cases';
import { CenterCasesHandler, CenterCasesHttpController } from './center-cases';
import { DISPATCH_MIGRATIONS } from './migrations';
import { OpsModule } from './ops';
import { PartnerTasksHandler, PartnerTasksHttpController } from './partner-tasks';
import { ResidentFeedbackHandler, ResidentFeedbackKafkaConsumer } from './resident-feedback';
import {
  loadSlaConfig,
  SLA_CONFIG,
  SlaCenterHandler,
  SlaCenterHttpController,
  SlaScanner,
  SlaWake,
} from './sla';
import { PartnerAuthGuard, UnitsKafkaConsumer, UnitsRepository } from './units';

export const DISPATCH_DEFAULT_PORT = 3003;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'dispatch',
      defaultPort: DISPATCH_DEFAULT_PORT,
      entities: [],
      migrations: DISPATCH_MIGRATIONS,
    }),
    AuthModule,
    OpsModule,
  ],
  controllers: [PartnerTasksHttpController, CenterCasesHttpController, SlaCenterHttpController],
  providers: [
    CaseEventsPublisher,
    CaseRepository,
    CaseWorkflow,
    CaseViews,
    MutationRunner,
    UnitsRepository,
    UnitsKafkaConsumer,
    PartnerAuthGuard,
    CaseRoutingHandler,
    CaseRoutingKafkaConsumer,
    ResidentFeedbackHandler,
    ResidentFeedbackKafkaConsumer,
    PartnerTasksHandler,
    CenterCasesHandler,
    AutoCloseWorker,
    { provide: SLA_CONFIG, useFactory: () => loadSlaConfig() },
    SlaWake,
    SlaScanner,
    SlaCenterHandler,
  ],
})
export class DispatchModule {}
