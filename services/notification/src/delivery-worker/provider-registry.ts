import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import type { DeliveryChannel } from '../domain';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';
import {
  DevProvider,
  EmailProvider,
  HttpMessageProvider,
  NotificationProvider,
  WebhookProvider,
} from './providers';

/**
 * Picks the provider per channel. Webhooks to units are always real HTTP (a unit only has a
 * webhookUrl when its system takes tasks by API, and local partners are testable that way).
 * SMS, email and WeChat use their configured provider in `live` mode, and the dev provider (the
 * delivery log only) in `dev` mode or when that channel is not configured.
 */
@Injectable()
export class ProviderRegistry implements OnApplicationShutdown {
  private readonly providers: Record<DeliveryChannel, NotificationProvider>;
  private readonly email?: EmailProvider;

  constructor(@Inject(NOTIFICATION_CONFIG) config: NotificationConfig, @Inject(LOGGER) logger: JsonLogger) {
    const log = logger.child('providers');
    const live = config.providerMode === 'live';
    this.email =
      live && config.smtpUrl
        ? new EmailProvider(config.smtpUrl, config.smtpFrom, config.webhookTimeoutMs)
        : undefined;
    this.providers = {
      webhook: new WebhookProvider(config.webhookTimeoutMs),
      email: this.email ?? new DevProvider('email', log),
      sms:
        live && config.sms
          ? new HttpMessageProvider('sms', config.sms.url, config.sms.apiKey, config.webhookTimeoutMs)
          : new DevProvider('sms', log),
      wechat:
        live && config.wechat
          ? new HttpMessageProvider(
              'wechat',
              config.wechat.url,
              config.wechat.apiKey,
              config.webhookTimeoutMs,
            )
          : new DevProvider('wechat', log),
    };
    const summary = Object.values(this.providers)
      .map((p) => `${p.channel}=${p.name}`)
      .join(', ');
    log.info(`notification providers (${config.providerMode} mode): ${summary}`);
    if (live) {
      for (const ch of ['email', 'sms', 'wechat'] as const) {
        if (this.providers[ch].name === 'dev')
          log.warn(
            `live mode but no provider configured for ${ch}: its messages only reach the delivery log`,
          );
      }
    }
  }

  for(channel: DeliveryChannel): NotificationProvider {
    return this.providers[channel];
  }

  onApplicationShutdown(): void {
    this.email?.close();
  }
}
