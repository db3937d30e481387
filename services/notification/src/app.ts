import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { NotificationModule } from './notification.module';

export function startNotification(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(NotificationModule, {
    title: 'Notification service',
    description:
      'Tells residents, units and supervisors what happened, through webhooks, SMS, email and WeChat, once. ' +
      'The admin API takes `Authorization: Bearer <NOTIFICATION_ADMIN_TOKEN>`. Webhook signatures: see WEBHOOKS.md.',
    port: options.port,
    decorateDocument: (doc) =>
      doc.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'NOTIFICATION_ADMIN_TOKEN' }),
  });
}
