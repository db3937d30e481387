import { intEnv } from '@app/platform';

/** Dispatch's own settings, read once at boot (the platform config covers infrastructure). */
export interface DispatchConfig {
  /** A resolved case with no resident feedback for this long is closed (auto_closed). */
  autoCloseAfterSeconds: number;
  autoCloseSweepMs: number;
  staffTokenTtlMinutes: number;
  seedDemoStaff: boolean;
  /** Mark the center_token cookie Secure (set true behind HTTPS). */
  cookieSecure: boolean;
  /** Seconds an API-key → unit lookup is cached in memory. */
  unitCacheSeconds: number;
  /** Partner task actions worked on at once (the rest wait their turn: InFlightGate). */
  partnerActionsInFlight: number;
  /** Partner task actions that may wait for a turn; beyond them a 503 with Retry-After. */
  partnerActionsWaiting: number;
}

export const DISPATCH_CONFIG = Symbol('DISPATCH_CONFIG');

export function loadDispatchConfig(env: NodeJS.ProcessEnv = process.env): DispatchConfig {
  return {
    autoCloseAfterSeconds: intEnv(env, 'AUTO_CLOSE_AFTER_SECONDS', 7 * 24 * 3600),
    autoCloseSweepMs: intEnv(env, 'AUTO_CLOSE_SWEEP_MS', 1000),
    staffTokenTtlMinutes: intEnv(env, 'STAFF_TOKEN_TTL_MINUTES', 480),
    seedDemoStaff: (env.SEED_DEMO_STAFF ?? (env.NODE_ENV === 'production' ? 'false' : 'true')) === 'true',
    cookieSecure: env.COOKIE_SECURE === 'true',
    unitCacheSeconds: intEnv(env, 'UNIT_CACHE_SECONDS', 3),
    partnerActionsInFlight: intEnv(env, 'PARTNER_ACTIONS_IN_FLIGHT', 8),
    partnerActionsWaiting: intEnv(env, 'PARTNER_ACTIONS_WAITING', 2000),
  };
}

/** The dispatch schema (migrations create it under this fixed name). */
export const S = '"dispatch"';
