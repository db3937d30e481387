import type { DeliveryChannel } from '../../domain';

/** One message to one address (or partner endpoint), as the worker hands it to a provider. */
export interface OutgoingMessage {
  deliveryId: string;
  channel: DeliveryChannel;
  /** Webhook URL, phone number, email address or WeChat openid. */
  endpoint: string;
  subject: string;
  text: string;
  templateKey: string;
  locale: string;
  /** The JSON body of a webhook. */
  webhookBody?: Record<string, unknown>;
  /** The partner's HMAC secret (webhooks). */
  secret?: string | null;
}

export interface SendResult {
  ok: boolean;
  /** HTTP status or SMTP response code, when there was an answer. */
  status?: number;
  error?: string;
  /** Whether trying again later may succeed (5xx, 429, timeouts, network) or not (4xx, bad address). */
  retriable: boolean;
  timedOut?: boolean;
}

/** SMS, email, WeChat template messages and webhooks all go through this. */
export interface NotificationProvider {
  readonly channel: DeliveryChannel;
  /** Shown in the attempt log (`webhook`, `smtp`, `sms-http`, `wechat-http`, `dev`). */
  readonly name: string;
  send(message: OutgoingMessage): Promise<SendResult>;
}
