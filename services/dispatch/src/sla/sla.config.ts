import { intEnv } from '@app/platform';

/** The SLA scanner's settings, read once at boot. */
export interface SlaConfig {
  /** Run the scanner in this process (every replica may; SKIP LOCKED shares the work). */
  enabled: boolean;
  /** Due tasks claimed per scan transaction. */
  batchSize: number;
  /** Longest sleep between scans when nothing is due sooner. */
  maxSleepMs: number;
  /** Shortest pause when due rows were all held by other transactions (avoids a hot loop). */
  busyRetryMs: number;
  /** A task whose firing failed is retried after this long. */
  retryAfterMs: number;
}

export const SLA_CONFIG = Symbol('SLA_CONFIG');

export function loadSlaConfig(env: NodeJS.ProcessEnv = process.env): SlaConfig {
  return {
    enabled: (env.SLA_SCANNER_ENABLED ?? 'true') !== 'false',
    batchSize: Math.max(1, intEnv(env, 'SLA_SCAN_BATCH', 200)),
    maxSleepMs: Math.max(10, intEnv(env, 'SLA_SCAN_MAX_SLEEP_MS', 500)),
    busyRetryMs: Math.max(5, intEnv(env, 'SLA_SCAN_BUSY_RETRY_MS', 50)),
    retryAfterMs: Math.max(100, intEnv(env, 'SLA_FIRE_RETRY_MS', 5000)),
  };
}
