import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { NotificationModule } from './notification.module';

export function startNotification(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(NotificationModule, {
    title: 'Notification service',
    description: 'Tells residents, units and supervisors what happened, through webhooks, SMS, email and WeChat, once.',
    port: options.port,
  });
}
