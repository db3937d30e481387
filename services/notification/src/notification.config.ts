import { ConfigError, intEnv } from '@app/platform';
import { parseQuietHours, QuietHours, RetryPolicy } from './domain';

/** Everything notification reads from its environment, once, at boot. */
export interface NotificationConfig {
  trackingBaseUrl: string;
  quietHours: QuietHours | null;
  retry: RetryPolicy;
  webhookTimeoutMs: number;
  /** How often the delivery worker looks for due rows when nothing woke it. */
  pollMs: number;
  /** Deliveries sent at once by one process (at most one per case and endpoint). */
  concurrency: number;
  /** How long a claimed delivery belongs to its worker; a crashed worker's claim expires after it. */
  leaseMs: number;
  /** `dev`: SMS, email and WeChat only go to the delivery log. `live`: the configured providers. */
  providerMode: 'dev' | 'live';
  smtpUrl?: string;
  smtpFrom: string;
  sms?: { url: string; apiKey: string };
  wechat?: { url: string; apiKey: string };
  adminToken: string;
  seed: { supervisorEmail: string; supervisorPhone: string; dispatchEmail: string };
}

export function loadNotificationConfig(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  const mode = (env.NOTIFY_PROVIDER_MODE ?? 'dev').trim();
  if (mode !== 'dev' && mode !== 'live')
    throw new ConfigError(`NOTIFY_PROVIDER_MODE must be dev or live, got "${mode}"`);
  let quietHours: QuietHours | null;
  try {
    quietHours = parseQuietHours(env.QUIET_HOURS ?? '22:00-07:00');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const adminToken = env.NOTIFICATION_ADMIN_TOKEN ?? 'notification-dev-token';
  if (adminToken.length < 12)
    throw new ConfigError('NOTIFICATION_ADMIN_TOKEN must be at least 12 characters');
  const webhookTimeoutMs = intEnv(env, 'WEBHOOK_TIMEOUT_MS', 5000);
  const positive = (name: string, v: number) => {
    if (!(v > 0)) throw new ConfigError(`${name} must be a positive number`);
    return v;
  };
  const httpProvider = (prefix: 'SMS' | 'WECHAT') => {
    const url = env[`${prefix}_PROVIDER_URL`];
    if (!url) return undefined;
    return { url, apiKey: env[`${prefix}_PROVIDER_KEY`] ?? '' };
  };
  return {
    trackingBaseUrl: env.TRACKING_BASE_URL ?? 'http://localhost:3001',
    quietHours,
    retry: {
      baseMs: positive('WEBHOOK_RETRY_BASE_MS', intEnv(env, 'WEBHOOK_RETRY_BASE_MS', 500)),
      capMs: positive('WEBHOOK_RETRY_MAX_MS', intEnv(env, 'WEBHOOK_RETRY_MAX_MS', 60_000)),
      maxAttempts: positive('WEBHOOK_MAX_ATTEMPTS', intEnv(env, 'WEBHOOK_MAX_ATTEMPTS', 8)),
    },
    webhookTimeoutMs: positive('WEBHOOK_TIMEOUT_MS', webhookTimeoutMs),
    pollMs: positive('DELIVERY_POLL_MS', intEnv(env, 'DELIVERY_POLL_MS', 200)),
    concurrency: positive('DELIVERY_CONCURRENCY', intEnv(env, 'DELIVERY_CONCURRENCY', 32)),
    leaseMs: positive('DELIVERY_LEASE_MS', intEnv(env, 'DELIVERY_LEASE_MS', webhookTimeoutMs * 2 + 1000)),
    providerMode: mode,
    smtpUrl: env.SMTP_URL || undefined,
    smtpFrom: env.SMTP_FROM ?? '综治中心 <noreply@community.example>',
    sms: httpProvider('SMS'),
    wechat: httpProvider('WECHAT'),
    adminToken,
    seed: {
      supervisorEmail: env.CENTER_SUPERVISOR_EMAIL ?? 'supervisor@center.example',
      supervisorPhone: env.CENTER_SUPERVISOR_PHONE ?? '+8613800000001',
      dispatchEmail: env.CENTER_DISPATCH_EMAIL ?? 'dispatch@center.example',
    },
  };
}
