/**
 * A confidential reporter (涉黑涉恶线索 and the like: only the police and the center may see who
 * reported) is hidden from every other unit in all three ways a unit learns of a task: the
 * partner API task view, the case.assigned lifecycle event's `task`, and the webhook body.
 * The police see the reporter. Webhooks are checked against their HMAC signature on the way.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Producer } from 'kafkajs';
import {
  CaseLifecyclePayload,
  CaseRoutedPayload,
  ENVELOPE_HEADERS,
  ReportSnapshot,
  Topic,
  UnitReferencePayload,
  UnitType,
} from '@app/contracts';
import {
  createTestNamespace,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import { http, query } from './support';

jest.setTimeout(180_000);

const NAME = '匿名线人李';
const PHONE = '13700001111';

interface Hook {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
}
interface Unit {
  unitId: string;
  unitType: UnitType;
  apiKey: string;
  secret: string;
}

let ns: TestNamespace;
let dispatch: ServiceProcess;
let notification: ServiceProcess;
let producer: Producer;
let lifecycle: TopicReader<CaseLifecyclePayload>;
let receiver: Server;
let receiverUrl: string;
const hooks: Hook[] = [];

function verifySignature(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const ts = String(headers['x-webhook-timestamp'] ?? '');
  const sig = String(headers['x-webhook-signature'] ?? '');
  if (!ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

async function produce(
  topic: Topic,
  type: string,
  key: string,
  payload: object,
  caseId?: string,
): Promise<void> {
  const eventId = randomUUID();
  await producer.send({
    topic: `${ns.topicPrefix}${topic}`,
    acks: -1,
    messages: [
      {
        key,
        value: JSON.stringify({
          eventId,
          type,
          schemaVersion: 1,
          key,
          ...(caseId ? { caseId } : {}),
          correlationId: `sec-${eventId.slice(0, 8)}`,
          occurredAt: new Date().toISOString(),
          producer: 'test',
          payload,
        }),
        headers: { [ENVELOPE_HEADERS.eventId]: eventId, [ENVELOPE_HEADERS.type]: type },
      },
    ],
  });
}

async function unit(unitType: UnitType): Promise<Unit> {
  const u: Unit = {
    unitId: `sec-${unitType}-${randomBytes(3).toString('hex')}`,
    unitType,
    apiKey: `pk_${randomBytes(24).toString('base64url')}`,
    secret: randomBytes(24).toString('hex'),
  };
  const payload: UnitReferencePayload = {
    unitId: u.unitId,
    name: `Security test ${unitType}`,
    unitType,
    areaCodes: ['G-04'],
    contact: { phone: '021-12345678' },
    webhookUrl: `${receiverUrl}/hooks/${u.unitId}`,
    webhookSecret: u.secret,
    apiKeyHashes: [createHash('sha256').update(u.apiKey).digest('hex')],
    active: true,
    version: 1,
  };
  await produce(Topic.ReferenceUnits, 'reference.unit', u.unitId, payload);
  return u;
}

function confidentialReport(): ReportSnapshot {
  return {
    caseId: randomUUID(),
    reference: `WL-20261123-${randomBytes(4).toString('hex')}`,
    channel: 'app',
    description: '有人在小区里放高利贷、威胁住户 / loan sharks threatening residents',
    categoryCode: 'organised_crime_clue',
    location: { gridCode: 'G-04', buildingCode: 'B-12', addressText: '幸福小区12栋' },
    reporter: { anonymous: false, confidential: true, name: NAME, phone: PHONE },
    media: [],
    reportedAt: new Date().toISOString(),
  };
}

async function route(report: ReportSnapshot, lead: Unit): Promise<void> {
  const payload: CaseRoutedPayload = {
    report,
    categoryCode: report.categoryCode ?? 'organised_crime_clue',
    confidence: 0.95,
    priority: 'high',
    lead: { unitId: lead.unitId, unitType: lead.unitType, unitName: `Security test ${lead.unitType}` },
    support: [],
    slaPolicy: {
      policyId: 'sec-test',
      acceptWithinSeconds: 3600,
      resolveWithinSeconds: 86_400,
      warnAtFraction: 0.8,
      calendar: { kind: '24x7' },
      escalation: [],
    },
    ruleId: 'rule-sec',
    ruleVersion: 1,
    reasons: ['security test'],
    attempt: 1,
    excludedUnitIds: [],
  };
  await produce(Topic.CaseRouted, 'case.routed', report.caseId, payload, report.caseId);
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', headers: req.headers, raw });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  ns = await createTestNamespace({ label: 'secconf' });
  producer = ns.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  lifecycle = await TopicReader.open<CaseLifecyclePayload>(ns, Topic.CaseLifecycle);
  const env = { ...ns.env, QUIET_HOURS: 'off', LOG_LEVEL: 'debug' };
  [dispatch, notification] = await Promise.all([
    spawnService('dispatch', env, { readyTimeoutMs: 120_000 }),
    spawnService('notification', env, { readyTimeoutMs: 120_000 }),
  ]);
});

afterAll(async () => {
  await lifecycle?.close().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await Promise.all([dispatch, notification].map((p) => p?.kill('SIGTERM')));
  await new Promise((resolve) => receiver?.close(resolve));
  await ns?.cleanup();
});

async function unitKnown(u: Unit): Promise<void> {
  await waitFor(
    async () =>
      (
        await query(ns.databaseUrl, `SELECT 1 FROM dispatch.units WHERE unit_id = $1`, [u.unitId]).catch(
          () => [],
        )
      ).length > 0,
    { what: `unit ${u.unitId} in dispatch`, timeoutMs: 60_000 },
  );
}

/** Everything a unit learns of the case: partner API view, case.assigned task, webhook body. */
async function whatTheUnitSees(u: Unit, report: ReportSnapshot) {
  const assigned = await lifecycle.waitForEvent(
    (e) => e.type === 'case.assigned' && e.payload.caseId === report.caseId,
    60_000,
    `case.assigned of ${report.caseId}`,
  );
  const task = await waitFor(
    async () => {
      const r = await http<{ items?: { taskId: string; caseId: string }[] }>(
        `${dispatch.url}/partner/v1/tasks?limit=200`,
        { headers: { 'x-api-key': u.apiKey } },
      );
      return r.body?.items?.find((t) => t.caseId === report.caseId);
    },
    { what: `the task for ${u.unitId}`, timeoutMs: 30_000 },
  );
  const view = await http(`${dispatch.url}/partner/v1/tasks/${task.taskId}`, {
    headers: { 'x-api-key': u.apiKey },
  });
  expect(view.status).toBe(200);
  const hook = await waitFor(
    async () => hooks.find((h) => h.path === `/hooks/${u.unitId}` && h.raw.includes(report.caseId)),
    { what: `a webhook to ${u.unitId}`, timeoutMs: 60_000 },
  );
  expect(verifySignature(u.secret, hook.headers, hook.raw)).toBe(true);
  expect(verifySignature('not-the-secret', hook.headers, hook.raw)).toBe(false);
  expect(verifySignature(u.secret, hook.headers, hook.raw.replace(report.caseId, randomUUID()))).toBe(false);
  return {
    task: JSON.stringify(view.body),
    event: JSON.stringify(assigned.payload.task ?? {}),
    webhook: hook.raw,
  };
}

it('hides a confidential reporter from a non-police unit everywhere, and shows it to the police', async () => {
  const property = await unit('property_management');
  const police = await unit('police');
  await unitKnown(property);
  await unitKnown(police);

  const hidden = confidentialReport();
  await route(hidden, property);
  const seenByProperty = await whatTheUnitSees(property, hidden);
  for (const [where, text] of Object.entries(seenByProperty)) {
    expect({ where, hasName: text.includes(NAME) }).toEqual({ where, hasName: false });
    expect({ where, hasPhone: text.includes(PHONE) }).toEqual({ where, hasPhone: false });
  }

  const shown = confidentialReport();
  await route(shown, police);
  const seenByPolice = await whatTheUnitSees(police, shown);
  expect(seenByPolice.task).toContain(NAME);
  expect(seenByPolice.task).toContain(PHONE);
  expect(seenByPolice.event).toContain(PHONE);

  // And neither service wrote the reporter's phone or name to its log (LOG_LEVEL=debug).
  for (const p of [dispatch, notification]) {
    expect(p.output()).not.toContain(PHONE);
    expect(p.output()).not.toContain(NAME);
  }
});
