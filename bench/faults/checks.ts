import { Client } from 'pg';
import type { Kafka } from 'kafkajs';
import type { WebhookArrival } from '../lib/receiver';

export interface Envelope {
  eventId: string;
  type: string;
  caseId?: string;
  payload: Record<string, unknown>;
}

/** Reads a whole topic (every partition up to its current end) as an outside observer. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  groupId: string,
  timeoutMs = 60_000,
): Promise<Envelope[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const done = new Set([...ends].filter(([, high]) => high === 0n).map(([p]) => p));
  const out: Envelope[] = [];
  if (done.size === ends.size) return out;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 30_000 });
  await consumer.connect();
  const seen = new Set<string>();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const id = `${batch.partition}:${m.offset}`;
              if (seen.has(id)) continue; // re-read after a rebalance: the same record
              seen.add(id);
              if (m.value) {
                try {
                  out.push(JSON.parse(m.value.toString('utf8')) as Envelope);
                } catch {
                  // not an envelope
                }
              }
              if (BigInt(m.offset) + 1n >= (ends.get(batch.partition) ?? 0n)) done.add(batch.partition);
            }
            if (done.size === ends.size) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return out;
}

/** Counts keys that more than one distinct eventId carries (a duplicate effect, not a redelivery). */
export function duplicatesByKey(
  events: Envelope[],
  keyOf: (e: Envelope) => string | undefined,
): { duplicates: number; redeliveries: number; examples: string[] } {
  const ids = new Map<string, Set<string>>();
  const seenIds = new Set<string>();
  let redeliveries = 0;
  for (const e of events) {
    const k = keyOf(e);
    if (k === undefined) continue;
    if (seenIds.has(e.eventId)) {
      redeliveries++;
      continue;
    }
    seenIds.add(e.eventId);
    const s = ids.get(k) ?? new Set<string>();
    s.add(e.eventId);
    ids.set(k, s);
  }
  const dup = [...ids].filter(([, s]) => s.size > 1);
  return {
    duplicates: dup.reduce((n, [, s]) => n + s.size - 1, 0),
    redeliveries,
    examples: dup.slice(0, 5).map(([k, s]) => `${k} ×${s.size}`),
  };
}

export const SLA_TYPES = new Set(['case.sla-warning', 'case.sla-breached', 'case.escalated']);

export function slaKey(e: Envelope): string | undefined {
  if (!SLA_TYPES.has(e.type)) return undefined;
  const p = e.payload;
  return [e.type, p.taskId, p.deadline, p.escalationStep ?? '', p.dueAt ?? ''].join('|');
}

/** A lifecycle change that must happen at most once per case/task (progress notes etc. excluded). */
const ONCE_TYPES = new Set([
  'case.assigned',
  'case.accepted',
  'case.resolved',
  'case.closed',
  'case.cancelled',
  'case.merged',
]);
export function lifecycleOnceKey(e: Envelope): string | undefined {
  if (!ONCE_TYPES.has(e.type)) return undefined;
  const p = e.payload;
  return [e.type, p.caseId, p.taskId ?? '', p.status].join('|');
}

/** What the units' systems received: applied once per deliveryId, re-sends counted apart. */
export class DeliveryLedger {
  arrivals = 0;
  resends = 0;
  conflictingResends = 0;
  readonly applied = new Map<string, { path: string; body: Record<string, unknown> }>();

  onArrival = (a: WebhookArrival): void => {
    this.arrivals++;
    const id = typeof a.body.deliveryId === 'string' ? a.body.deliveryId : undefined;
    if (!id) return;
    const prev = this.applied.get(id);
    if (prev) {
      this.resends++;
      if (prev.body.eventId !== a.body.eventId) this.conflictingResends++;
      return;
    }
    this.applied.set(id, { path: a.path, body: a.body });
  };

  /** Same change of the same task delivered to the same unit under two deliveryIds. */
  logicalDuplicates(): { duplicates: number; examples: string[] } {
    const byKey = new Map<string, Set<string>>();
    for (const [id, { path, body }] of this.applied) {
      const d = (body.data ?? {}) as Record<string, unknown>;
      const k = [
        path,
        body.eventType,
        body.caseId,
        d.taskId ?? '',
        d.status ?? '',
        d.deadline ?? '',
        d.escalationStep ?? '',
        d.dueAt ?? '',
      ].join('|');
      const s = byKey.get(k) ?? new Set<string>();
      s.add(id);
      byKey.set(k, s);
    }
    const dup = [...byKey].filter(([, s]) => s.size > 1);
    return {
      duplicates: dup.reduce((n, [, s]) => n + s.size - 1, 0),
      examples: dup.slice(0, 5).map(([k, s]) => `${k} ×${s.size}`),
    };
  }
}

export async function withDb<T>(url: string, f: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const FINAL = ['closed', 'cancelled', 'merged'];

/** caseId → status as dispatch has it. */
export async function dispatchStatuses(c: Client, caseIds: string[]): Promise<Map<string, string>> {
  const r = await c.query<{ case_id: string; status: string }>(
    `SELECT case_id, status FROM dispatch.cases WHERE case_id = ANY($1::uuid[])`,
    [caseIds],
  );
  return new Map(r.rows.map((x) => [x.case_id, x.status]));
}

export async function duplicateTasks(c: Client): Promise<{ count: number; examples: string[] }> {
  // No unit returns a task in this test, so one task per (case, unit) and at most one open lead per case.
  const perUnit = await c.query<{ case_id: string; unit_id: string; n: string }>(
    `SELECT case_id, unit_id, count(*) AS n FROM dispatch.tasks GROUP BY case_id, unit_id HAVING count(*) > 1`,
  );
  const openLeads = await c.query<{ case_id: string; n: string }>(
    `SELECT case_id, count(*) AS n FROM dispatch.tasks
      WHERE role = 'lead' AND status NOT IN ('returned', 'released', 'cancelled')
      GROUP BY case_id HAVING count(*) > 1`,
  );
  const count =
    perUnit.rows.reduce((n, r) => n + Number(r.n) - 1, 0) +
    openLeads.rows.reduce((n, r) => n + Number(r.n) - 1, 0);
  return {
    count,
    examples: [
      ...perUnit.rows.slice(0, 3).map((r) => `case ${r.case_id} unit ${r.unit_id}: ${r.n} tasks`),
      ...openLeads.rows.slice(0, 3).map((r) => `case ${r.case_id}: ${r.n} live lead tasks`),
    ],
  };
}
