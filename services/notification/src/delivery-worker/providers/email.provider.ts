import { createTransport, Transporter } from 'nodemailer';
import type { NotificationProvider, OutgoingMessage, SendResult } from './notification-provider';

/** Email through a real SMTP server (SMTP_URL, e.g. smtp://user:pass@mail.example:587). */
export class EmailProvider implements NotificationProvider {
  readonly channel = 'email' as const;
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    const url = new URL(smtpUrl);
    this.transport = createTransport({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
      secure: url.protocol === 'smtps:',
      auth: url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : undefined,
      // A local relay without TLS is fine in development; production servers offer STARTTLS.
      ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    try {
      const info = (await this.transport.sendMail({
        from: this.from,
        to: m.endpoint,
        subject: m.subject,
        text: m.text,
        messageId: `<${m.deliveryId}@notification.community>`,
        headers: { 'X-Delivery-Id': m.deliveryId },
      })) as { response?: string };
      const code = Number(/^(\d{3})/.exec(info.response ?? '')?.[1] ?? 250);
      return { ok: true, status: code, retriable: false };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
      return {
        ok: false,
        status: e.responseCode,
        retriable: !permanent,
        timedOut: e.code === 'ETIMEDOUT',
        error: `${e.code ?? 'SMTP'}: ${e.message}`.slice(0, 500),
      };
    }
  }

  close(): void {
    this.transport.close();
  }
}
