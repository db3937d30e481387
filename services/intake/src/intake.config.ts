import { join } from 'node:path';
import { ConfigError, intEnv } from '@app/platform';

/** Intake's own settings, read once at boot (a bad value stops the process with its name). */
export interface IntakeConfig {
  referencePrefix: string;
  /**
   * Reference numbers a process reserves per counter update (see ReferenceAllocator). Numbers it
   * has not handed out when it stops are skipped: references stay unique, not dense.
   */
  referenceBlockSize: number;
  duplicateWindowMinutes: number;
  open311DemoApiKey: string;
  /** When set, Open311 requests naming another jurisdiction_id are refused. */
  open311JurisdictionId?: string;
  mediaDir: string;
  mediaMaxBytes: number;
  rateLimits: {
    clientPerMinute: number;
    phonePerHour: number;
    open311KeyPerMinute: number;
    uploadsPerMinute: number;
  };
  /** 32-byte key (base64) that encrypts tracking tokens inside stored idempotent answers. */
  answerKey: Buffer;
  answerKeyIsDefault: boolean;
}

export const INTAKE_CONFIG = Symbol('INTAKE_CONFIG');

const DEV_ANSWER_KEY = Buffer.from('intake-dev-answer-key-change-me!', 'utf8');

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = intEnv(env, name, fallback);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`Environment variable ${name} must be a positive integer`);
  return n;
}

export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env): IntakeConfig {
  const referencePrefix = env.REFERENCE_PREFIX ?? 'WL';
  if (!/^[A-Z]{1,8}$/.test(referencePrefix))
    throw new ConfigError('REFERENCE_PREFIX must be 1-8 capital letters');
  let answerKey = DEV_ANSWER_KEY;
  if (env.INTAKE_ANSWER_KEY) {
    answerKey = Buffer.from(env.INTAKE_ANSWER_KEY, 'base64');
    if (answerKey.length !== 32) throw new ConfigError('INTAKE_ANSWER_KEY must be 32 bytes, base64-encoded');
  }
  return {
    referencePrefix,
    referenceBlockSize: positive(env, 'REFERENCE_BLOCK_SIZE', 50),
    duplicateWindowMinutes: positive(env, 'DUPLICATE_WINDOW_MINUTES', 120),
    open311DemoApiKey: env.OPEN311_DEMO_API_KEY ?? 'open311-demo-key',
    open311JurisdictionId: env.OPEN311_JURISDICTION_ID || undefined,
    mediaDir: env.MEDIA_DIR ?? join(process.cwd(), '.local', 'media'),
    mediaMaxBytes: positive(env, 'MEDIA_MAX_BYTES', 10 * 1024 * 1024),
    rateLimits: {
      clientPerMinute: positive(env, 'RATE_LIMIT_CLIENT_PER_MINUTE', 60),
      phonePerHour: positive(env, 'RATE_LIMIT_PHONE_PER_HOUR', 20),
      open311KeyPerMinute: positive(env, 'RATE_LIMIT_OPEN311_KEY_PER_MINUTE', 300),
      uploadsPerMinute: positive(env, 'RATE_LIMIT_UPLOADS_PER_MINUTE', 30),
    },
    answerKey,
    answerKeyIsDefault: !env.INTAKE_ANSWER_KEY,
  };
}
