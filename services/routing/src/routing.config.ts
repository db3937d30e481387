import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, intEnv } from '@app/platform';

/** Routing's own settings, read once at boot (a bad value stops the process with its name). */
export interface RoutingConfig {
  /** Static bearer token of the admin API (constant-time compared). */
  adminToken: string;
  /** Classifier confidence below which a case goes to triage. */
  confidenceThreshold: number;
  /** returnCount ≥ maxReturns → triage. */
  maxReturns: number;
  /** Load the demo district at boot when the reference tables are empty. */
  seedDemo: boolean;
  seedPath: string;
  /** How old the cached reference-data version may get before a decision re-checks it. */
  refCheckIntervalMs: number;
}

export const ROUTING_CONFIG = Symbol('ROUTING_CONFIG');

/** services/routing/seed/demo-district.json, from the sources or from dist/services/routing/src. */
function defaultSeedPath(): string {
  const candidates = [
    join(__dirname, '..', 'seed', 'demo-district.json'),
    join(__dirname, '..', '..', '..', '..', 'services', 'routing', 'seed', 'demo-district.json'),
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

export function loadRoutingConfig(env: NodeJS.ProcessEnv = process.env): RoutingConfig {
  const adminToken = env.ROUTING_ADMIN_TOKEN ?? 'routing-dev-token';
  if (adminToken.length < 8) throw new ConfigError('ROUTING_ADMIN_TOKEN must be at least 8 characters');
  const threshold = intEnv(env, 'ROUTING_CONFIDENCE_THRESHOLD', 0.3);
  if (!(threshold >= 0 && threshold <= 1))
    throw new ConfigError('ROUTING_CONFIDENCE_THRESHOLD must be within [0, 1]');
  const maxReturns = intEnv(env, 'ROUTING_MAX_RETURNS', 3);
  if (!Number.isInteger(maxReturns) || maxReturns < 1)
    throw new ConfigError('ROUTING_MAX_RETURNS must be a positive integer');
  const refCheckIntervalMs = intEnv(env, 'ROUTING_REF_CHECK_MS', 2000);
  if (!(refCheckIntervalMs >= 100)) throw new ConfigError('ROUTING_REF_CHECK_MS must be ≥ 100');
  return {
    adminToken,
    confidenceThreshold: threshold,
    maxReturns,
    seedDemo: (env.SEED_DEMO ?? 'false') === 'true',
    seedPath: env.ROUTING_SEED_PATH ?? defaultSeedPath(),
    refCheckIntervalMs,
  };
}
