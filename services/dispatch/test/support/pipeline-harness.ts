/**
 * Test support for the cross-service e2e tests: ONE namespace with the four services running as
 * real processes (intake, routing with the demo district seed, dispatch with the demo staff,
 * notification), a partner webhook receiver that verifies signatures as WEBHOOKS.md tells
 * partners to, readers for the pipeline topics, and small HTTP clients for what residents,
 * partner units and center staff call. Nothing is injected: every event comes from a service.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import {
  CaseLifecyclePayload,
  CaseReturnedPayload,
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  Topic,
} from '@app/contracts';
import {
  createTestNamespace,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import type { PartnerTask, TimelineEntry } from './dispatch-harness';

/** Routing's admin token when ROUTING_ADMIN_TOKEN is not set (services/routing/src/routing.config.ts). */
export const ROUTING_ADMIN_TOKEN = 'routing-dev-token';
export const NOTIFICATION_ADMIN_TOKEN = 'notification-e2e-token';

/** Demo partner keys and webhook secrets of the seed (services/routing/seed/README.md). */
export const demoKey = (unitId: string): string => `demo-key-${unitId.toLowerCase().replace(/^u-/, '')}`;
export const demoWebhookSecret = (unitId: string): string =>
  `demo-webhook-secret-${unitId.toLowerCase().replace(/^u-/, '')}`;

/** Generous deadlines: the machine running the suites is shared and loaded. */
export const SLOW = 60_000;

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ReportAnswer {
  caseId: string;
  reference: string;
  trackingToken: string;
  status: string;
  duplicateOf?: { caseId: string; reference: string };
}

export interface TrackingView {
  reference: string;
  status: string;
  responsibleUnit?: string;
  expectedBy?: string;
  categoryCode?: string;
  infoRequested: boolean;
  awaitingFeedback: boolean;
  timeline: { type: string; status: string; note?: string; at: string }[];
}

export interface CenterCase {
  caseId: string;
  reference: string;
  status: string;
  priority: string;
  leadUnitId?: string;
  closedHow?: string;
  satisfaction?: string;
  returnedUnitIds: string[];
  tasks: { taskId: string; unitId: string; role: string; status: string }[];
}

export interface WebhookBody {
  deliveryId: string;
  eventId: string;
  eventType: string;
  caseId: string;
  reference: string;
  occurredAt: string;
  sequence: number;
  data: Record<string, unknown> & { taskId?: string; unitId?: string; task?: Record<string, unknown> };
}

export interface ReceivedWebhook {
  unitId: string;
  headers: Record<string, string>;
  raw: string;
  verified: boolean;
  body?: WebhookBody;
}

/**
 * A partner's webhook endpoint: `POST /hooks/<unitId>`. Verifies the signature over the raw
 * body with the unit's secret (answers 401 when it does not verify, as WEBHOOKS.md asks) and
 * keeps every request, verified or not, for assertions.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server!: Server;
  private port = 0;

  constructor(private readonly secrets: Record<string, string>) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  urlFor(unitId: string): string {
    return `http://127.0.0.1:${this.port}/hooks/${unitId}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Verified webhooks of a case (optionally of one event type and unit). */
  of(caseId: string, eventType?: string, unitId?: string): ReceivedWebhook[] {
    return this.received.filter(
      (w) =>
        w.verified &&
        w.body?.caseId === caseId &&
        (!eventType || w.body.eventType === eventType) &&
        (!unitId || w.unitId === unitId),
    );
  }

  wait(caseId: string, eventType: string, unitId?: string, timeoutMs = SLOW): Promise<ReceivedWebhook> {
    return waitFor(() => this.of(caseId, eventType, unitId)[0], {
      what: `a verified ${eventType} webhook of ${caseId}${unitId ? ` to ${unitId}` : ''}`,
      timeoutMs,
      intervalMs: 100,
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const unitId = /^\/hooks\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const secret = this.secrets[unitId];
    const verified = !!secret && verifyWebhook(secret, headers, raw);
    let body: WebhookBody | undefined;
    try {
      body = JSON.parse(raw) as WebhookBody;
    } catch {
      body = undefined;
    }
    this.received.push({ unitId, headers, raw, verified, body });
    res.statusCode = verified ? 200 : 401;
    res.end();
  }
}

/** The verification WEBHOOKS.md gives partners, word for word in TypeScript. */
export function verifyWebhook(secret: string, headers: Record<string, string>, rawBody: string): boolean {
  const ts = headers['x-webhook-timestamp'];
  const sig = String(headers['x-webhook-signature'] ?? '');
  if (!ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex');
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

export interface PipelineOptions {
  /** Extra environment for dispatch (e.g. AUTO_CLOSE_AFTER_SECONDS). */
  dispatchEnv?: Record<string, string>;
  /** Seeded units whose webhookUrl is pointed at the local receiver (through routing's admin API). */
  webhookUnits?: string[];
}

export class Pipeline {
  intake!: ServiceProcess;
  routing!: ServiceProcess;
  dispatch!: ServiceProcess;
  notification!: ServiceProcess;
  lifecycle!: TopicReader<CaseLifecyclePayload>;
  routed!: TopicReader<CaseRoutedPayload>;
  triage!: TopicReader<CaseTriageRequiredPayload>;
  returned!: TopicReader<CaseReturnedPayload>;
  webhooks!: WebhookReceiver;
  db!: Client;
  private tokens = new Map<string, string>();

  private constructor(readonly ns: TestNamespace) {}

  static async start(label: string, options: PipelineOptions = {}): Promise<Pipeline> {
    const ns = await createTestNamespace({ label, partitions: 3 });
    const p = new Pipeline(ns);
    try {
      const units = options.webhookUnits ?? [];
      p.webhooks = new WebhookReceiver(Object.fromEntries(units.map((u) => [u, demoWebhookSecret(u)])));
      await p.webhooks.start();
      const env = { ...ns.env, KAFKA_SESSION_TIMEOUT_MS: '10000' };
      [p.intake, p.routing, p.dispatch, p.notification] = await Promise.all([
        spawnService(
          'intake',
          { ...env, RATE_LIMIT_CLIENT_PER_MINUTE: '100000', RATE_LIMIT_PHONE_PER_HOUR: '100000' },
          { readyTimeoutMs: 120_000 },
        ),
        spawnService(
          'routing',
          { ...env, SEED_DEMO: 'true', ROUTING_ADMIN_TOKEN: ROUTING_ADMIN_TOKEN },
          { readyTimeoutMs: 120_000 },
        ),
        spawnService(
          'dispatch',
          { ...env, SEED_DEMO_STAFF: 'true', ...(options.dispatchEnv ?? {}) },
          { readyTimeoutMs: 120_000 },
        ),
        spawnService(
          'notification',
          {
            ...env,
            NOTIFICATION_ADMIN_TOKEN,
            // Webhooks to partner systems are never held; no quiet hours for resident messages in tests.
            QUIET_HOURS: 'off',
            WEBHOOK_RETRY_BASE_MS: '200',
            WEBHOOK_RETRY_MAX_MS: '2000',
          },
          { readyTimeoutMs: 120_000 },
        ),
      ]);
      [p.lifecycle, p.routed, p.triage, p.returned] = await Promise.all([
        TopicReader.open<CaseLifecyclePayload>(ns, Topic.CaseLifecycle),
        TopicReader.open<CaseRoutedPayload>(ns, Topic.CaseRouted),
        TopicReader.open<CaseTriageRequiredPayload>(ns, Topic.CaseTriageRequired),
        TopicReader.open<CaseReturnedPayload>(ns, Topic.CaseReturned),
      ]);
      p.db = new Client({ connectionString: ns.databaseUrl });
      await p.db.connect();
      for (const unitId of units) await p.pointWebhookAt(unitId);
      await p.waitReferenceData(units);
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(
      [this.lifecycle, this.routed, this.triage, this.returned].map((r) => r?.close()),
    );
    await this.db?.end().catch(() => undefined);
    await Promise.allSettled(
      [this.intake, this.routing, this.dispatch, this.notification].map((s) => s?.kill('SIGTERM')),
    );
    await this.webhooks?.stop().catch(() => undefined);
    await this.ns.cleanup();
  }

  /** Sets a seeded unit's webhookUrl through routing's admin API (the seed's secret is kept). */
  private async pointWebhookAt(unitId: string): Promise<void> {
    const admin = {
      authorization: `Bearer ${ROUTING_ADMIN_TOKEN}`,
      'x-actor': 'e2e-whole-loop',
    };
    const current = await this.http<Record<string, unknown>>(
      'GET',
      `${this.routing.url}/v1/admin/units/${unitId}`,
      admin,
    );
    if (current.status !== 200)
      throw new Error(`routing GET unit ${unitId}: ${current.status} ${JSON.stringify(current.body)}`);
    const u = current.body;
    const put = await this.http('PUT', `${this.routing.url}/v1/admin/units/${unitId}`, admin, {
      name: u.name,
      unitType: u.unitType,
      areaCodes: u.areaCodes,
      contact: u.contact,
      ...(u.supervisorContact ? { supervisorContact: u.supervisorContact } : {}),
      webhookUrl: this.webhooks.urlFor(unitId),
    });
    if (put.status !== 200)
      throw new Error(
        `routing PUT unit ${unitId}: ${put.status} ${JSON.stringify(put.body)}\n${this.routing.output().slice(-3000)}`,
      );
  }

  /**
   * Waits until dispatch knows the seeded units with their key hashes and notification knows the
   * webhook URLs (reading the rows, so no failed partner sign-in counts against the IP limit).
   */
  private async waitReferenceData(webhookUnits: string[]): Promise<void> {
    await waitFor(
      async () => {
        const r = await this.db
          .query<{ n: string }>(
            `SELECT count(DISTINCT u.unit_id) AS n FROM dispatch.units u JOIN dispatch.unit_api_keys k ON k.unit_id = u.unit_id`,
          )
          .catch(() => ({ rows: [{ n: '0' }] }));
        return Number(r.rows[0].n) >= 18;
      },
      { what: 'dispatch to know the 18 seeded units', timeoutMs: SLOW, intervalMs: 200 },
    );
    for (const unitId of webhookUnits) {
      await waitFor(
        async () => {
          const r = await this.db
            .query<{ webhook_url: string | null }>(
              `SELECT webhook_url FROM notification.units WHERE unit_id = $1`,
              [unitId],
            )
            .catch(() => ({ rows: [] as { webhook_url: string | null }[] }));
          return r.rows[0]?.webhook_url === this.webhooks.urlFor(unitId);
        },
        { what: `notification to know the webhook of ${unitId}`, timeoutMs: SLOW, intervalMs: 200 },
      );
    }
  }

  // ---------------------------------------------------------------- HTTP

  async http<T = Record<string, unknown>>(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Answer<T>> {
    const res = await fetch(url, {
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

  /** A resident reports at intake; fails unless intake answers 201. */
  async report(
    body: {
      description: string;
      location: Record<string, unknown>;
      reporter?: Record<string, unknown>;
      channel?: string;
    },
    headers: Record<string, string> = {},
  ): Promise<ReportAnswer> {
    const r = await this.http<ReportAnswer>('POST', `${this.intake.url}/v1/reports`, headers, {
      channel: body.channel ?? 'app',
      description: body.description,
      location: body.location,
      reporter: body.reporter ?? {
        anonymous: false,
        confidential: false,
        name: '王阿姨',
        phone: '13800138000',
        preferredContact: 'sms',
      },
      media: [],
    });
    if (r.status !== 201) throw new Error(`intake answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  track(reference: string, trackingToken: string): Promise<Answer<TrackingView>> {
    return this.http<TrackingView>('GET', `${this.intake.url}/v1/reports/${reference}`, {
      'x-tracking-token': trackingToken,
    });
  }

  /** Waits until the resident's tracking view satisfies the predicate. */
  waitTracking(
    report: ReportAnswer,
    predicate: (v: TrackingView) => boolean,
    what: string,
  ): Promise<TrackingView> {
    return waitFor(
      async () => {
        const r = await this.track(report.reference, report.trackingToken);
        return r.status === 200 && predicate(r.body) ? r.body : undefined;
      },
      { what: `intake's tracking view of ${report.reference}: ${what}`, timeoutMs: SLOW, intervalMs: 250 },
    );
  }

  feedback(report: ReportAnswer, body: { confirmed: boolean; satisfaction: string; comment?: string }) {
    return this.http<Record<string, unknown>>(
      'POST',
      `${this.intake.url}/v1/reports/${report.reference}/feedback`,
      { 'x-tracking-token': report.trackingToken },
      body,
    );
  }

  partner<T = PartnerTask & { code?: string }>(
    unitId: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return this.http<T>(
      method,
      `${this.dispatch.url}${path}`,
      { authorization: `Bearer ${demoKey(unitId)}`, ...headers },
      body,
    );
  }

  /** Waits until the unit sees a task of the case on its partner API. */
  taskOf(
    unitId: string,
    caseId: string,
    predicate: (t: PartnerTask) => boolean = () => true,
  ): Promise<PartnerTask> {
    return waitFor(
      async () => {
        const r = await this.partner<{ items?: PartnerTask[] }>(unitId, 'GET', '/partner/v1/tasks?limit=200');
        return r.body?.items?.find((t) => t.caseId === caseId && predicate(t));
      },
      { what: `a task of ${caseId} at ${unitId}`, timeoutMs: SLOW, intervalMs: 250 },
    );
  }

  private async token(username: 'admin' | 'dispatcher' | 'supervisor'): Promise<string> {
    const cached = this.tokens.get(username);
    if (cached) return cached;
    const r = await this.http<{ token: string }>(
      'POST',
      `${this.dispatch.url}/center/v1/auth/login`,
      {},
      {
        username,
        password: `${username}-demo-2026`,
      },
    );
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    this.tokens.set(username, r.body.token);
    return r.body.token;
  }

  async center<T = CenterCase>(
    username: 'admin' | 'dispatcher' | 'supervisor',
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Answer<T>> {
    return this.http<T>(
      method,
      `${this.dispatch.url}${path}`,
      { authorization: `Bearer ${await this.token(username)}` },
      body,
    );
  }

  async centerTimeline(caseId: string): Promise<TimelineEntry[]> {
    const r = await this.center<TimelineEntry[]>('admin', 'GET', `/center/v1/cases/${caseId}/timeline`);
    if (r.status !== 200) throw new Error(`center timeline: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  waitCase(caseId: string, predicate: (c: CenterCase) => boolean, what: string): Promise<CenterCase> {
    return waitFor(
      async () => {
        const r = await this.center('admin', 'GET', `/center/v1/cases/${caseId}`);
        return r.status === 200 && predicate(r.body) ? r.body : undefined;
      },
      { what: `case ${caseId}: ${what}`, timeoutMs: SLOW, intervalMs: 250 },
    );
  }

  // ---------------------------------------------------------------- events

  waitLifecycle(
    caseId: string,
    type: string,
    predicate: (p: CaseLifecyclePayload) => boolean = () => true,
  ): Promise<EventEnvelope<CaseLifecyclePayload>> {
    return this.lifecycle.waitForEvent(
      (e) => e.payload?.caseId === caseId && e.type === type && predicate(e.payload),
      SLOW,
      `${type} of ${caseId}`,
    );
  }

  waitRouted(caseId: string, attempt = 1): Promise<EventEnvelope<CaseRoutedPayload>> {
    return this.routed.waitForEvent(
      (e) => e.caseId === caseId && e.payload?.attempt === attempt,
      SLOW,
      `case.routed attempt ${attempt} of ${caseId}`,
    );
  }

  lifecycleTypes(caseId: string): string[] {
    return this.lifecycle.events((e) => e.payload?.caseId === caseId).map((e) => e.type);
  }
}
