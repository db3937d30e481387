/**
 * Starts the four services for the API fuzz run in a namespace of their own (own database, topic
 * prefix, Redis prefix), with the demo district and demo staff seeded and rate limits raised so
 * the fuzzer explores the APIs instead of measuring 429s. Writes what the fuzzer needs (base URLs
 * and credentials) to the file named by FUZZ_STACK_FILE, then runs until SIGTERM/SIGINT, when it
 * stops the services, keeps their logs under artifacts/fuzz/ and removes the namespace.
 *
 *   node -r @swc-node/register test/fuzz/start-stack.ts   (SERVICES_FROM_DIST=1 for compiled JS)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ENVELOPE_HEADERS, Topic, UnitReferencePayload } from '@app/contracts';
import { createTestNamespace, REPO_ROOT, ServiceProcess, spawnService, waitFor } from '@app/testing';

const SERVICES = ['intake', 'routing', 'dispatch', 'notification'] as const;
type ServiceName = (typeof SERVICES)[number];

export interface FuzzStack {
  services: Record<ServiceName, { url: string; headers: Record<string, string> }>;
  open311ApiKey: string;
  partnerApiKey: string;
}

const HIGH = '1000000';

function say(msg: string): void {
  process.stderr.write(`[fuzz-stack] ${msg}\n`);
}

async function main(): Promise<void> {
  const outFile = process.env.FUZZ_STACK_FILE ?? join(REPO_ROOT, 'artifacts', 'fuzz', 'stack.json');
  const logDir = join(REPO_ROOT, 'artifacts', 'fuzz');
  mkdirSync(logDir, { recursive: true });

  const ns = await createTestNamespace({ label: 'fuzz', partitions: 3 });
  say(`namespace ${ns.id} (database test_${ns.id}, topics ${ns.topicPrefix}*)`);
  const secrets = {
    routingAdmin: `fuzz-routing-${randomBytes(12).toString('hex')}`,
    notificationAdmin: `fuzz-notification-${randomBytes(12).toString('hex')}`,
    open311: `fuzz-open311-${randomBytes(12).toString('hex')}`,
    partner: `pk_fuzz_${randomBytes(24).toString('base64url')}`,
  };
  const env: Record<string, string> = {
    ...ns.env,
    LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'warn',
    SEED_DEMO: 'true',
    SEED_DEMO_STAFF: 'true',
    ROUTING_ADMIN_TOKEN: secrets.routingAdmin,
    NOTIFICATION_ADMIN_TOKEN: secrets.notificationAdmin,
    OPEN311_DEMO_API_KEY: secrets.open311,
    // Raised limits (documented in SECURITY.md): the fuzzer sends thousands of requests from one address.
    RATE_LIMIT_CLIENT_PER_MINUTE: HIGH,
    RATE_LIMIT_PHONE_PER_HOUR: HIGH,
    RATE_LIMIT_OPEN311_KEY_PER_MINUTE: HIGH,
    RATE_LIMIT_UPLOADS_PER_MINUTE: HIGH,
    ADMIN_AUTH_FAILURES_PER_MINUTE: HIGH,
    MEDIA_DIR: join(REPO_ROOT, '.local', 'fuzz-media', ns.id),
    NOTIFY_PROVIDER_MODE: 'dev',
  };

  const procs: ServiceProcess[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping services and removing the namespace');
    for (const p of procs) {
      await p.kill('SIGTERM').catch(() => undefined);
      writeFileSync(join(logDir, `${p.name}.log`), p.output());
    }
    await ns.cleanup().catch((err: unknown) => say(`cleanup: ${(err as Error).message}`));
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));

  try {
    // Routing first: it seeds the reference data the others consume.
    for (const name of SERVICES) {
      procs.push(await spawnService(name, env, { readyTimeoutMs: 90_000 }));
      say(`${name} ready at ${procs[procs.length - 1].url}`);
    }
    const url = (name: ServiceName) => procs.find((p) => p.name === name)!.url;

    // A partner unit with a known API key (only its sha256 travels on the reference topic).
    await publishFuzzUnit(ns.kafka, ns.topicPrefix, secrets.partner);
    await waitForUnit(ns.databaseUrl, 'FUZZ-PM');

    const login = await fetch(`${url('dispatch')}/center/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-demo-2026' }),
    });
    if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };

    const stack: FuzzStack = {
      services: {
        intake: { url: url('intake'), headers: {} },
        routing: {
          url: url('routing'),
          headers: { Authorization: `Bearer ${secrets.routingAdmin}`, 'X-Actor': 'fuzz' },
        },
        dispatch: {
          url: url('dispatch'),
          // Center routes read Authorization; partner routes read X-Api-Key first.
          headers: { Authorization: `Bearer ${token}`, 'X-Api-Key': secrets.partner },
        },
        notification: {
          url: url('notification'),
          headers: { Authorization: `Bearer ${secrets.notificationAdmin}` },
        },
      },
      open311ApiKey: secrets.open311,
      partnerApiKey: secrets.partner,
    };
    writeFileSync(outFile, JSON.stringify(stack, null, 2), { mode: 0o600 });
    say(`stack ready; credentials in ${outFile}`);
    // Keep the stack up; a service that dies is reported and ends the run.
    for (const p of procs) {
      p.proc.once('exit', (code) => {
        if (!stopping) {
          say(`${p.name} exited unexpectedly (${code}); see artifacts/fuzz/${p.name}.log`);
          void stop(3);
        }
      });
    }
  } catch (err) {
    say(`failed to start: ${(err as Error).stack ?? String(err)}`);
    await stop(1);
  }
}

async function publishFuzzUnit(
  kafka: import('kafkajs').Kafka,
  prefix: string,
  apiKey: string,
): Promise<void> {
  const payload: UnitReferencePayload = {
    unitId: 'FUZZ-PM',
    name: 'Fuzz property company',
    unitType: 'property_management',
    areaCodes: ['WL-GH-G1'],
    contact: { phone: '0571-86019999' },
    apiKeyHashes: [createHash('sha256').update(apiKey).digest('hex')],
    active: true,
    version: 1,
  };
  const eventId = randomUUID();
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    await producer.send({
      topic: `${prefix}${Topic.ReferenceUnits}`,
      acks: -1,
      messages: [
        {
          key: payload.unitId,
          value: JSON.stringify({
            eventId,
            type: 'reference.unit',
            schemaVersion: 1,
            key: payload.unitId,
            correlationId: `fuzz-${eventId.slice(0, 8)}`,
            occurredAt: new Date().toISOString(),
            producer: 'test',
            payload,
          }),
          headers: { [ENVELOPE_HEADERS.eventId]: eventId, [ENVELOPE_HEADERS.type]: 'reference.unit' },
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
}

async function waitForUnit(databaseUrl: string, unitId: string): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await waitFor(
      async () =>
        (
          await db
            .query(`SELECT 1 FROM dispatch.unit_api_keys WHERE unit_id = $1`, [unitId])
            .catch(() => ({ rows: [] }))
        ).rows.length > 0,
      { what: `unit ${unitId} in dispatch`, timeoutMs: 60_000, intervalMs: 200 },
    );
  } finally {
    await db.end();
  }
}

void main();
