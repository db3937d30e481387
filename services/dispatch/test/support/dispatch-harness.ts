/**
 * Test support for dispatch e2e tests: a namespace with dispatch running as a real process,
 * helpers to inject routing / intake / reference events on the namespace topics, readers for
 * what dispatch publishes, and small HTTP clients for the partner and center APIs.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  CaseLifecyclePayload,
  CaseResidentPayload,
  CaseReturnedPayload,
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  ENVELOPE_HEADERS,
  ReportSnapshot,
  SlaPolicyDto,
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

export interface TestUnit {
  unitId: string;
  unitType: UnitType;
  name: string;
  apiKey: string;
}

/** What the tests read of the API answers (loosely typed on purpose). */
export interface PartnerTask {
  taskId: string;
  caseId: string;
  unitId: string;
  role: 'lead' | 'support';
  status: string;
  acceptBy?: string;
  resolveBy?: string;
  updatedAt: string;
  case: {
    reference: string;
    status: string;
    description: string;
    reporterName?: string;
    reporterPhone?: string;
    reporterConfidential: boolean;
  };
  allowedActions?: string[];
  timeline?: TimelineEntry[];
}
export interface TimelineEntry {
  id: string;
  eventType: string;
  actorKind: string;
  actorId?: string;
  unitId?: string;
  note?: string;
  residentNote?: string;
  visibility: string[];
  data?: Record<string, unknown>;
}
export interface CaseDetail {
  caseId: string;
  reference: string;
  status: string;
  priority: string;
  leadUnitId?: string;
  supervisionFlagged: boolean;
  closedHow?: string;
  satisfaction?: string;
  report: ReportSnapshot;
  tasks: {
    taskId: string;
    unitId: string;
    role: string;
    status: string;
    acceptBy?: string;
    resolveBy?: string;
  }[];
  returnedUnitIds: string[];
  pendingExtension?: { taskId: string; requestedDueAt: string };
  allowedCommands: string[];
  mergedInto?: string;
}
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown> & { allowed?: string[]; fields?: { field: string }[] };
}
export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export const SLA: SlaPolicyDto = {
  policyId: 'test-normal',
  acceptWithinSeconds: 3600,
  resolveWithinSeconds: 86_400,
  warnAtFraction: 0.8,
  calendar: { kind: '24x7' },
  escalation: [],
};

export function makeReport(overrides: Partial<ReportSnapshot> = {}): ReportSnapshot {
  const caseId = randomUUID();
  return {
    caseId,
    reference: `WL-20261123-${randomBytes(4).toString('hex')}`,
    channel: 'app',
    description: '楼下下水管堵了，污水流进家里',
    categoryCode: 'drain_blocked',
    location: { gridCode: 'G-04', buildingCode: 'B-12', addressText: '幸福小区12栋' },
    reporter: { anonymous: false, confidential: false, name: '张三', phone: '13800000000' },
    media: [],
    reportedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A metric scraped from a service's /metrics: the sum of its samples that carry `labels`. */
export async function metricValue(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).pop()), 0);
}

export class DispatchHarness {
  lifecycle!: TopicReader<CaseLifecyclePayload>;
  returned!: TopicReader<CaseReturnedPayload>;
  dispatch!: ServiceProcess;
  private producer!: Producer;
  private tokens = new Map<string, string>();

  private constructor(readonly ns: TestNamespace) {}

  static async start(label: string, env: Record<string, string> = {}): Promise<DispatchHarness> {
    const ns = await createTestNamespace({ label, partitions: 3 });
    const h = new DispatchHarness(ns);
    try {
      h.producer = ns.kafka.producer({ allowAutoTopicCreation: false });
      await h.producer.connect();
      h.dispatch = await spawnService('dispatch', { ...ns.env, SEED_DEMO_STAFF: 'true', ...env });
      h.lifecycle = await TopicReader.open<CaseLifecyclePayload>(ns, Topic.CaseLifecycle);
      h.returned = await TopicReader.open<CaseReturnedPayload>(ns, Topic.CaseReturned);
    } catch (err) {
      await h.stop();
      throw err;
    }
    return h;
  }

  async stop(): Promise<void> {
    await this.lifecycle?.close().catch(() => undefined);
    await this.returned?.close().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.dispatch?.kill('SIGTERM').catch(() => undefined);
    await this.ns.cleanup();
  }

  get url(): string {
    return this.dispatch.url;
  }

  // ---------------------------------------------------------------- events in

  /** `eventId`: an event's id again, to deliver it a second time. */
  async produce(
    topic: Topic,
    type: string,
    key: string,
    payload: object,
    caseId?: string,
    eventId: string = randomUUID(),
  ): Promise<string> {
    await this.producer.send({
      topic: `${this.ns.topicPrefix}${topic}`,
      acks: -1,
      messages: [this.message(type, key, payload, caseId, eventId)],
    });
    return eventId;
  }

  /**
   * `case.routed` events in one produce request, all to partition 0, so that the consumer gets
   * them as one chunk; the ids of their events, in order.
   */
  async routedTogether(
    events: {
      report: ReportSnapshot;
      lead: TestUnit;
      support?: TestUnit[];
      extra?: Partial<CaseRoutedPayload>;
      eventId?: string;
    }[],
  ): Promise<string[]> {
    const messages = events.map((e) =>
      this.message(
        'case.routed',
        e.report.caseId,
        this.routedPayload(e.report, e.lead, e.support ?? [], e.extra ?? {}),
        e.report.caseId,
        e.eventId ?? randomUUID(),
      ),
    );
    await this.producer.send({
      topic: `${this.ns.topicPrefix}${Topic.CaseRouted}`,
      acks: -1,
      messages: messages.map((m) => ({ ...m, partition: 0 })),
    });
    return messages.map((m) => m.headers[ENVELOPE_HEADERS.eventId]);
  }

  private message(type: string, key: string, payload: object, caseId: string | undefined, eventId: string) {
    const envelope = {
      eventId,
      type,
      schemaVersion: 1,
      key,
      ...(caseId ? { caseId } : {}),
      correlationId: `test-${eventId.slice(0, 8)}`,
      occurredAt: new Date().toISOString(),
      producer: 'test',
      payload,
    };
    return {
      key,
      value: JSON.stringify(envelope),
      headers: { [ENVELOPE_HEADERS.eventId]: eventId, [ENVELOPE_HEADERS.type]: type },
    };
  }

  /** Publishes a unit on reference.units.v1 and waits until its API key works. */
  async unit(
    unitType: UnitType,
    name: string,
    opts: { active?: boolean; version?: number; unitId?: string } = {},
  ): Promise<TestUnit> {
    const unit: TestUnit = {
      unitId: opts.unitId ?? `${unitType}-${randomBytes(3).toString('hex')}`,
      unitType,
      name,
      apiKey: `pk_${randomBytes(24).toString('base64url')}`,
    };
    await this.publishUnit(unit, opts);
    await this.waitUnitVersion(unit, opts.version ?? 1);
    return unit;
  }

  /** Waits for the units row (reading the row, so no failed sign-in counts against the IP limit). */
  async waitUnitVersion(unit: TestUnit, version: number): Promise<void> {
    const db = new Client({ connectionString: this.ns.databaseUrl });
    await db.connect();
    try {
      await waitFor(
        async () => {
          const r = await db
            .query(
              `SELECT 1 FROM dispatch.units u JOIN dispatch.unit_api_keys k ON k.unit_id = u.unit_id WHERE u.unit_id = $1 AND u.version >= $2`,
              [unit.unitId, version],
            )
            .catch(() => ({ rows: [] }));
          return r.rows.length > 0;
        },
        { what: `unit ${unit.unitId} v${version} in dispatch`, timeoutMs: 30_000, intervalMs: 100 },
      );
    } finally {
      await db.end();
    }
  }

  /**
   * Another session's open transaction holding a case row (FOR UPDATE), as the SLA scanner or a
   * concurrent change would: dispatch's changes of that case wait behind it. End it with COMMIT or
   * ROLLBACK, then `end()` the client.
   */
  async holdCase(caseId: string): Promise<Client> {
    const session = new Client({ connectionString: this.ns.databaseUrl });
    await session.connect();
    await session.query('BEGIN');
    await session.query('SELECT 1 FROM dispatch.cases WHERE case_id = $1 FOR UPDATE', [caseId]);
    return session;
  }

  /** Waits until dispatch consumed an event (its inbox row exists). */
  async waitConsumed(eventId: string): Promise<void> {
    const db = new Client({ connectionString: this.ns.databaseUrl });
    await db.connect();
    try {
      await waitFor(
        async () =>
          (
            await db
              .query(`SELECT 1 FROM dispatch.inbox WHERE event_id = $1`, [eventId])
              .catch(() => ({ rows: [] }))
          ).rows.length > 0,
        { what: `event ${eventId} to be consumed`, timeoutMs: 30_000, intervalMs: 100 },
      );
    } finally {
      await db.end();
    }
  }

  async publishUnit(unit: TestUnit, opts: { active?: boolean; version?: number } = {}): Promise<string> {
    const payload: UnitReferencePayload = {
      unitId: unit.unitId,
      name: unit.name,
      unitType: unit.unitType,
      areaCodes: ['G-04'],
      contact: { phone: '021-12345678' },
      apiKeyHashes: [createHash('sha256').update(unit.apiKey).digest('hex')],
      active: opts.active ?? true,
      version: opts.version ?? 1,
    };
    return this.produce(Topic.ReferenceUnits, 'reference.unit', unit.unitId, payload);
  }

  async routed(
    report: ReportSnapshot,
    lead: TestUnit,
    support: TestUnit[] = [],
    extra: Partial<CaseRoutedPayload> = {},
    /** Delivers that event again. */
    eventId?: string,
  ): Promise<string> {
    const payload = this.routedPayload(report, lead, support, extra);
    return this.produce(Topic.CaseRouted, 'case.routed', report.caseId, payload, report.caseId, eventId);
  }

  private routedPayload(
    report: ReportSnapshot,
    lead: TestUnit,
    support: TestUnit[],
    extra: Partial<CaseRoutedPayload>,
  ): CaseRoutedPayload {
    return {
      report,
      categoryCode: report.categoryCode ?? 'drain_blocked',
      confidence: 0.92,
      priority: 'normal',
      lead: { unitId: lead.unitId, unitType: lead.unitType, unitName: lead.name },
      support: support.map((u) => ({ unitId: u.unitId, unitType: u.unitType, unitName: u.name })),
      slaPolicy: SLA,
      ruleId: 'rule-drain',
      ruleVersion: 1,
      reasons: ['category drain_blocked → property_management'],
      attempt: 1,
      excludedUnitIds: [],
      ...extra,
    };
  }

  async triageRequired(
    report: ReportSnapshot,
    extra: Partial<CaseTriageRequiredPayload> = {},
  ): Promise<void> {
    const payload: CaseTriageRequiredPayload = {
      report,
      reason: 'LOW_CONFIDENCE',
      reasons: ['no rule matched with confidence'],
      priority: 'high',
      ruleVersion: 1,
      attempt: 1,
      excludedUnitIds: [],
      ...extra,
    };
    await this.produce(
      Topic.CaseTriageRequired,
      'case.triage-required',
      report.caseId,
      payload,
      report.caseId,
    );
  }

  async resident(
    type: 'case.feedback-submitted' | 'case.info-provided' | 'case.co-reported',
    report: ReportSnapshot,
    extra: Partial<CaseResidentPayload>,
  ): Promise<void> {
    const payload: CaseResidentPayload = {
      caseId: report.caseId,
      reference: report.reference,
      at: new Date().toISOString(),
      ...extra,
    };
    await this.produce(Topic.CaseResident, type, report.caseId, payload, report.caseId);
  }

  // ---------------------------------------------------------------- events out

  events(caseId: string, type?: string) {
    return this.lifecycle.events((e) => e.payload.caseId === caseId && (!type || e.type === type));
  }

  waitEvent(
    caseId: string,
    type: string,
    predicate: (p: CaseLifecyclePayload) => boolean = () => true,
    timeoutMs = 30_000,
  ) {
    return this.lifecycle.waitForEvent(
      (e) => e.payload.caseId === caseId && e.type === type && predicate(e.payload),
      timeoutMs,
      `${type} of ${caseId}`,
    );
  }

  // ---------------------------------------------------------------- HTTP

  async http<T = Record<string, unknown>>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Answer<T>> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  partner<T = PartnerTask & ErrorBody>(
    unit: TestUnit,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return this.http<T>(method, path, { 'x-api-key': unit.apiKey, ...headers }, body);
  }

  async token(username: 'admin' | 'dispatcher' | 'supervisor'): Promise<string> {
    const cached = this.tokens.get(username);
    if (cached) return cached;
    const r = await this.http<{ token: string }>(
      'POST',
      '/center/v1/auth/login',
      {},
      { username, password: `${username}-demo-2026` },
    );
    if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.tokens.set(username, r.body.token);
    return r.body.token;
  }

  async center<T = CaseDetail & ErrorBody>(
    username: 'admin' | 'dispatcher' | 'supervisor',
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return this.http<T>(
      method,
      path,
      { authorization: `Bearer ${await this.token(username)}`, ...headers },
      body,
    );
  }

  /** Waits until the unit sees a task of the case and returns it. */
  async taskOf(
    unit: TestUnit,
    caseId: string,
    predicate: (t: PartnerTask) => boolean = () => true,
  ): Promise<PartnerTask> {
    return waitFor(
      async () => {
        const r = await this.partner<{ items?: PartnerTask[] }>(unit, 'GET', '/partner/v1/tasks?limit=200');
        return r.body?.items?.find((t) => t.caseId === caseId && predicate(t));
      },
      { what: `a task of ${caseId} for ${unit.unitId}`, timeoutMs: 30_000 },
    );
  }

  async caseStatus(caseId: string): Promise<string | undefined> {
    const r = await this.center('admin', 'GET', `/center/v1/cases/${caseId}`);
    return r.status === 200 ? r.body.status : undefined;
  }

  waitStatus(caseId: string, status: string, timeoutMs = 30_000) {
    return waitFor(async () => (await this.caseStatus(caseId)) === status, {
      what: `case ${caseId} to be ${status}`,
      timeoutMs,
    });
  }
}

/** A case view without what moves by itself (SLA remaining seconds), for "nothing changed" checks. */
export function stableView(view: CaseDetail): unknown {
  return { ...view, tasks: view.tasks.map((t) => ({ ...t, sla: undefined })) };
}
