import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { NOTIFICATION_MIGRATIONS } from './migrations';

export const NOTIFICATION_DEFAULT_PORT = 3004;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'notification',
      defaultPort: NOTIFICATION_DEFAULT_PORT,
      entities: [],
      migrations: NOTIFICATION_MIGRATIONS,
    }),
  ],
})
export class NotificationModule {}
