import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { CategoryReferenceKafkaConsumer } from './category-reference';
import { INTAKE_CONFIG, loadIntakeConfig } from './intake.config';
import { MediaUploadHandler, MediaUploadHttpController } from './media-upload';
import { INTAKE_MIGRATIONS } from './migrations';
import { Open311ApiKeyGuard, Open311ClientsService, Open311Handler, Open311HttpController } from './open311';
import { ReportIntakeHandler, ReportIntakeHttpController } from './report-intake';
import { ReportTrackingHandler, ReportTrackingHttpController } from './report-tracking';
import { ResidentReadModelHandler, ResidentReadModelKafkaConsumer } from './resident-read-model';
import { CategoriesRepository } from './shared/categories.repository';
import { IntakeRateLimits } from './shared/rate-limits';
import { ReportsRepository } from './shared/reports.repository';

export const INTAKE_DEFAULT_PORT = 3001;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'intake',
      defaultPort: INTAKE_DEFAULT_PORT,
      entities: [],
      migrations: INTAKE_MIGRATIONS,
    }),
  ],
  controllers: [
    ReportIntakeHttpController,
    ReportTrackingHttpController,
    MediaUploadHttpController,
    Open311HttpController,
  ],
  providers: [
    { provide: INTAKE_CONFIG, useFactory: () => loadIntakeConfig() },
    ReportsRepository,
    CategoriesRepository,
    IntakeRateLimits,
    ReportIntakeHandler,
    ReportTrackingHandler,
    ResidentReadModelHandler,
    ResidentReadModelKafkaConsumer,
    CategoryReferenceKafkaConsumer,
    MediaUploadHandler,
    Open311ClientsService,
    Open311ApiKeyGuard,
    Open311Handler,
  ],
})
export class IntakeModule {}
