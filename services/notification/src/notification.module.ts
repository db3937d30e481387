import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { AdminTokenGuard } from './auth';
import { CaseEventsHandler, CaseEventsKafkaConsumer } from './case-events';
import { DeliveriesHandler, DeliveriesHttpController, DeliveriesRepository } from './deliveries';
import { DeliveryWorker, ProviderRegistry } from './delivery-worker';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import { loadNotificationConfig } from './notification.config';
import { NOTIFICATION_CONFIG } from './notification.di-tokens';
import { RecipientsHttpController, RecipientsRepository, RoleSeed } from './recipients';
import { UnitDirectoryKafkaConsumer } from './unit-directory';

export const NOTIFICATION_DEFAULT_PORT = 3004;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'notification',
      defaultPort: NOTIFICATION_DEFAULT_PORT,
      entities: [],
      migrations: NOTIFICATION_MIGRATIONS,
      // It writes no outbox rows: its relay idles on the main thread, no thread's memory for it.
      relayThread: false,
    }),
  ],
  controllers: [DeliveriesHttpController, RecipientsHttpController],
  providers: [
    { provide: NOTIFICATION_CONFIG, useFactory: () => loadNotificationConfig() },
    AdminTokenGuard,
    RecipientsRepository,
    RoleSeed,
    DeliveriesRepository,
    DeliveriesHandler,
    ProviderRegistry,
    DeliveryWorker,
    CaseEventsHandler,
    CaseEventsKafkaConsumer,
    UnitDirectoryKafkaConsumer,
  ],
})
export class NotificationModule {}
