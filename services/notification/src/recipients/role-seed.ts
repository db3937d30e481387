import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';
import { RecipientsRepository } from './recipients.repository';

/**
 * Seeds the role contacts from env (CENTER_SUPERVISOR_EMAIL / _PHONE, CENTER_DISPATCH_EMAIL) on
 * first boot; what an admin set later through the API wins. Runs after the platform's
 * migrations (the platform module's init hooks run first) and before consumers start.
 */
@Injectable()
export class RoleSeed implements OnModuleInit {
  constructor(
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
    private readonly recipients: RecipientsRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.recipients.seedRoles(this.config.seed);
  }
}
