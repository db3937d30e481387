import type { JsonLogger } from '@app/observability';
import type { DeliveryChannel } from '../../domain';
import type { NotificationProvider, OutgoingMessage, SendResult } from './notification-provider';

/** Development: the message goes to the delivery log (and a log line) only; nothing leaves the machine. */
export class DevProvider implements NotificationProvider {
  readonly name = 'dev';

  constructor(
    readonly channel: DeliveryChannel,
    private readonly logger: JsonLogger,
  ) {}

  send(m: OutgoingMessage): Promise<SendResult> {
    this.logger.info(`dev ${m.channel} message ${m.deliveryId}: ${m.subject}`, {
      templateKey: m.templateKey,
      locale: m.locale,
    });
    return Promise.resolve({ ok: true, retriable: false });
  }
}
