import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { CaseLifecyclePayload, CaseStatus, CategoryReferencePayload, Topic } from '@app/contracts';
import type { TestNamespace } from '@app/testing';

/** Helpers shared by intake's e2e tests (no mocks: HTTP to a real process, real Kafka and Postgres). */

export const LENIENT_LIMITS: Record<string, string> = {
  RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
  RATE_LIMIT_PHONE_PER_HOUR: '100000',
  RATE_LIMIT_OPEN311_KEY_PER_MINUTE: '100000',
  RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
};

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.headers ?? {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export function report(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel: 'app',
    description: '楼下下水道堵了，污水流进家里 / the drain downstairs is blocked',
    location: { buildingCode: `B-${randomUUID().slice(0, 8)}`, gridCode: 'G-04' },
    reporter: {
      anonymous: false,
      confidential: false,
      name: '王阿姨',
      phone: '13800138000',
      preferredContact: 'sms',
    },
    ...over,
  };
}

export async function produce(
  ns: TestNamespace,
  producer: Producer,
  topic: Topic,
  type: string,
  key: string,
  payload: object,
  caseId?: string,
): Promise<string> {
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
          correlationId: `test-${eventId}`,
          occurredAt: new Date().toISOString(),
          producer: 'test',
          payload,
        }),
      },
    ],
  });
  return eventId;
}

export function lifecycle(
  caseId: string,
  reference: string,
  status: CaseStatus,
  over: Partial<CaseLifecyclePayload> = {},
): CaseLifecyclePayload {
  return {
    caseId,
    reference,
    status,
    residentVisible: true,
    at: new Date().toISOString(),
    ...over,
  } as CaseLifecyclePayload;
}

export function category(
  code: string,
  over: Partial<CategoryReferencePayload> = {},
): CategoryReferencePayload {
  return {
    code,
    nameZh: `类别 ${code}`,
    nameEn: `Category ${code}`,
    defaultUnitType: 'property_management',
    defaultPriority: 'normal',
    slaPolicyId: 'standard',
    active: true,
    version: 1,
    ...over,
  } as CategoryReferencePayload;
}

/** Runs SQL in the namespace's database (for assertions on rows). */
export async function sql<T = Record<string, unknown>>(
  ns: TestNamespace,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new Client({ connectionString: ns.databaseUrl });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
