/**
 * Makes the infrastructure ready for the services: every topic (and its DLQ) with the configured
 * partition count, every service schema with its migrations. Idempotent. Run by `npm start`
 * (compiled) and usable by hand: `node -r @swc-node/register deploy/scripts/provision.ts`.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { JsonLogger } from '@app/observability';
import { createKafka, ensureTopics, kafkaSettingsFromEnv } from '@app/messaging';
import { createDataSource, requireEnv, runMigrationsLocked } from '@app/platform';
import { INTAKE_MIGRATIONS } from '../../services/intake/src/migrations';
import { ROUTING_MIGRATIONS } from '../../services/routing/src/migrations';
import { DISPATCH_MIGRATIONS } from '../../services/dispatch/src/migrations';
import { NOTIFICATION_MIGRATIONS } from '../../services/notification/src/migrations';

const SERVICES = [
  { service: 'intake', migrations: INTAKE_MIGRATIONS },
  { service: 'routing', migrations: ROUTING_MIGRATIONS },
  { service: 'dispatch', migrations: DISPATCH_MIGRATIONS },
  { service: 'notification', migrations: NOTIFICATION_MIGRATIONS },
];

async function main(): Promise<void> {
  const logger = new JsonLogger('provision');
  const databaseUrl = requireEnv(process.env, 'DATABASE_URL');
  requireEnv(process.env, 'KAFKA_BROKERS');
  const settings = kafkaSettingsFromEnv('provision');
  const created = await ensureTopics(createKafka(settings, logger), settings);
  logger.info(`topics ready (${created.length} created, ${settings.partitions} partitions each)`);
  for (const { service, migrations } of SERVICES) {
    const schema = process.env[`${service.toUpperCase()}_DB_SCHEMA`] ?? service;
    const ds: DataSource = createDataSource(
      { databaseUrl, schema, service: `provision-${service}` },
      [],
      migrations,
      2,
    );
    await ds.initialize();
    try {
      const ran = await runMigrationsLocked(ds, schema);
      logger.info(
        `${service}: schema "${schema}" migrated${ran.length ? ` (${ran.join(', ')})` : ' (up to date)'}`,
      );
    } finally {
      await ds.destroy();
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`provision failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
