/**
 * Test support for notification e2e tests: events as producers put them on the wire, a partner
 * webhook receiver that verifies signatures the way WEBHOOKS.md tells partners to, and an admin
 * API client.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Producer } from 'kafkajs';
import { Topic } from '@app/contracts';
import type { TestNamespace } from '@app/testing';

export const ADMIN_TOKEN = 'notification-test-token';

export interface Envelope<P = Record<string, unknown>> {
  eventId: string;
  type: string;
  schemaVersion: 1;
  key: string;
  caseId?: string;
  correlationId: string;
  occurredAt: string;
  producer: 'test';
  payload: P;
}

export function envelope<P>(type: string, key: string, payload: P, caseId?: string): Envelope<P> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    key,
    ...(caseId ? { caseId } : {}),
    correlationId: `test-${randomUUID()}`,
    occurredAt: new Date().toISOString(),
    producer: 'test',
    payload,
  };
}

export async function produce(
  producer: Producer,
  ns: TestNamespace,
  topic: Topic,
  events: Envelope<unknown>[],
): Promise<void> {
  await producer.send({
    topic: `${ns.topicPrefix}${topic}`,
    acks: -1,
    messages: events.map((e) => ({ key: e.key, value: JSON.stringify(e) })),
  });
}

export function unitReference(
  unitId: string,
  webhookUrl: string | undefined,
  webhookSecret: string | undefined,
  version = 1,
) {
  return envelope('reference.unit', unitId, {
    unitId,
    name: `Unit ${unitId}`,
    unitType: 'property_management',
    areaCodes: ['grid-4'],
    contact: { phone: '+8613700000000', email: `${unitId}@units.example` },
    supervisorContact: { email: `boss-${unitId}@units.example` },
    ...(webhookUrl ? { webhookUrl } : {}),
    ...(webhookSecret ? { webhookSecret } : {}),
    apiKeyHashes: [],
    active: true,
    version,
  });
}

/** A lifecycle event about a unit's task, as dispatch publishes it. */
export function lifecycleForUnit(
  type: string,
  caseId: string,
  unitId: string,
  over: Record<string, unknown> = {},
) {
  const reference = `WL-20261123-${caseId.slice(0, 6)}`;
  return envelope(
    type,
    caseId,
    {
      caseId,
      reference,
      status: 'assigned',
      priority: 'normal',
      unitId,
      unitType: 'property_management',
      taskId: randomUUID(),
      taskRole: 'lead',
      residentVisible: false,
      acceptBy: new Date(Date.now() + 3600_000).toISOString(),
      task: {
        reference,
        description: '楼下下水管堵了，污水倒灌',
        priority: 'normal',
        location: { gridCode: 'grid-4', buildingCode: 'B-12' },
        reporterName: '王女士',
        reporterPhone: '+8613811112222',
        reporterConfidential: true,
      },
      at: new Date().toISOString(),
      ...over,
    },
    caseId,
  );
}

/** What a partner does to verify a webhook (the WEBHOOKS.md recipe). */
export function partnerVerifies(
  secret: string,
  headers: IncomingMessage['headers'],
  rawBody: string,
): boolean {
  const ts = String(headers['x-webhook-timestamp'] ?? '');
  const sig = String(headers['x-webhook-signature'] ?? '');
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex')}`;
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

export interface AppliedHook {
  deliveryId: string;
  eventId: string;
  eventType: string;
  caseId: string;
  sequence: number;
  data: Record<string, unknown>;
}

export type ReceiverBehaviour = 'ok' | 'fail' | 'hang-before-apply' | 'hang-after-apply';

/**
 * A partner system: verifies each call, applies each deliveryId once (answers 200 to repeats),
 * and misbehaves as `decide` says: 503 without applying, or answering after the sender's timeout
 * (before or after applying).
 */
export class WebhookReceiver {
  readonly applied = new Map<string, AppliedHook>();
  readonly appliedOrder: AppliedHook[] = [];
  readonly callsById = new Map<string, number>();
  calls = 0;
  repeatsOfApplied = 0;
  badSignatures = 0;
  private server?: Server;
  private readonly hangs = new Set<NodeJS.Timeout>();
  url = '';

  constructor(
    readonly secret: string,
    public decide: (deliveryId: string, callNo: number) => ReceiverBehaviour,
    private readonly hangMs = 1000,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/tasks`;
    return this.url;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    this.calls++;
    if (!partnerVerifies(this.secret, req.headers, raw)) {
      this.badSignatures++;
      res.writeHead(401).end('bad signature');
      return;
    }
    const body = JSON.parse(raw) as AppliedHook & { deliveryId: string };
    const id = String(req.headers['x-webhook-id']);
    if (id !== body.deliveryId) {
      this.badSignatures++;
      res.writeHead(400).end('id mismatch');
      return;
    }
    const callNo = (this.callsById.get(id) ?? 0) + 1;
    this.callsById.set(id, callNo);
    const apply = () => {
      if (this.applied.has(id)) {
        this.repeatsOfApplied++;
        return;
      }
      const hook = {
        deliveryId: id,
        eventId: body.eventId,
        eventType: body.eventType,
        caseId: body.caseId,
        sequence: body.sequence,
        data: body.data,
      };
      this.applied.set(id, hook);
      this.appliedOrder.push(hook);
    };
    if (this.applied.has(id)) {
      this.repeatsOfApplied++;
      res.writeHead(200).end('already applied');
      return;
    }
    const behaviour = this.decide(id, callNo);
    if (behaviour === 'fail') {
      res.writeHead(503).end('try later');
      return;
    }
    if (behaviour === 'hang-before-apply' || behaviour === 'hang-after-apply') {
      if (behaviour === 'hang-after-apply') apply();
      const t = setTimeout(() => {
        this.hangs.delete(t);
        res.writeHead(200).end('late');
      }, this.hangMs);
      this.hangs.add(t);
      return;
    }
    apply();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  }

  async close(): Promise<void> {
    for (const t of this.hangs) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export function api(baseUrl: string, token = ADMIN_TOKEN) {
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
    put: <T>(path: string, body?: unknown) => call<T>('PUT', path, body),
  };
}

/** Environment for a notification process under test: fast retries, short timeouts. */
export function notificationTestEnv(
  ns: TestNamespace,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...ns.env,
    NOTIFICATION_ADMIN_TOKEN: ADMIN_TOKEN,
    NOTIFY_PROVIDER_MODE: 'dev',
    QUIET_HOURS: 'off',
    WEBHOOK_TIMEOUT_MS: '300',
    WEBHOOK_RETRY_BASE_MS: '20',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_MAX_ATTEMPTS: '8',
    DELIVERY_POLL_MS: '100',
    DELIVERY_LEASE_MS: '1500',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...extra,
  };
}
