import type { DeliveryChannel } from '../../domain';
import { postJson } from './http-post';
import type { NotificationProvider, OutgoingMessage, SendResult } from './notification-provider';

/**
 * SMS and WeChat template messages through an HTTP gateway configured by URL and key: POST
 * `{ deliveryId, to, subject, text, templateKey, locale }` with `X-Api-Key` and
 * `Idempotency-Key: <deliveryId>` (a gateway that honours it never sends a retry twice).
 */
export class HttpMessageProvider implements NotificationProvider {
  readonly name: string;

  constructor(
    readonly channel: Extract<DeliveryChannel, 'sms' | 'wechat'>,
    private readonly url: string,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
  ) {
    this.name = `${channel}-http`;
  }

  send(m: OutgoingMessage): Promise<SendResult> {
    const body = JSON.stringify({
      deliveryId: m.deliveryId,
      to: m.endpoint,
      subject: m.subject,
      text: m.text,
      templateKey: m.templateKey,
      locale: m.locale,
    });
    return postJson(
      this.url,
      body,
      { 'x-api-key': this.apiKey, 'idempotency-key': m.deliveryId },
      this.timeoutMs,
    );
  }
}
