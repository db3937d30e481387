import { signWebhook } from '../../domain';
import { postJson } from './http-post';
import type { NotificationProvider, OutgoingMessage, SendResult } from './notification-provider';

/**
 * Webhooks to partner systems: POST JSON, signed (see WEBHOOKS.md). A unit without a secret gets
 * nothing unsigned: the delivery is dead-lettered with a clear reason and can be replayed once
 * routing publishes the secret.
 */
export class WebhookProvider implements NotificationProvider {
  readonly channel = 'webhook' as const;
  readonly name = 'webhook';

  constructor(private readonly timeoutMs: number) {}

  async send(m: OutgoingMessage): Promise<SendResult> {
    if (!m.secret)
      return {
        ok: false,
        retriable: false,
        error: 'WEBHOOK_SECRET_MISSING: the unit has no webhook secret; nothing sent unsigned',
      };
    const raw = JSON.stringify(m.webhookBody ?? {});
    const timestamp = Math.floor(Date.now() / 1000);
    return postJson(
      m.endpoint,
      raw,
      {
        'x-webhook-id': m.deliveryId,
        'x-webhook-timestamp': String(timestamp),
        'x-webhook-signature': signWebhook(m.secret, timestamp, raw),
      },
      this.timeoutMs,
    );
  }
}
