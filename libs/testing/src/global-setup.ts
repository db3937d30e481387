import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * Integration tests run against real Kafka, Postgres and Redis. When KAFKA_BROKERS,
 * DATABASE_URL and REDIS_URL are all set they are used as they are; otherwise the project's own
 * deploy/local/infra.sh brings the three up (installing what is missing) and its env file is read.
 */
export default async function globalSetup(): Promise<void> {
  const have = ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL'].every((k) => !!process.env[k]);
  if (!have) {
    execFileSync('bash', [join(ROOT, 'deploy/local/infra.sh'), 'up'], { stdio: 'inherit' });
    const envFile = join(ROOT, '.local/env');
    if (!existsSync(envFile)) throw new Error(`deploy/local/infra.sh up did not write ${envFile}`);
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m && !process.env[m[1]]) process.env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
    }
  }
}
