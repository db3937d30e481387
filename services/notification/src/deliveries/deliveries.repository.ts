import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import { deliveryIdOf, DeliveryChannel, DeliveryStatus, PlannedDelivery } from '../domain';

export interface DeliveryRow {
  id: string;
  seq: string;
  event_id: string;
  event_type: string;
  case_id: string | null;
  reference: string | null;
  recipient: string;
  recipient_kind: string;
  /** `none` for an unreachable-recipient record (never sent). */
  channel: DeliveryChannel | 'none';
  endpoint: string;
  lane: string;
  template_key: string;
  locale: string;
  urgent: boolean;
  subject: string;
  body: string;
  data: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  total_attempts: number;
  replays: number;
  not_before: Date | null;
  next_attempt_at: Date;
  lease_until: Date | null;
  claim_token: string | null;
  occurred_at: Date;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
  last_error: string | null;
  last_http_status: number | null;
}

/** A claimed row, with the unit's current webhook secret for a unit webhook (null otherwise). */
export interface ClaimedDelivery extends DeliveryRow {
  webhook_secret: string | null;
}

/**
 * How many deliveries `claim` takes when `free` may be: the largest power of two not above it
 * (at most 1,024), so the claim has a handful of statement texts. A caller that got all it asked
 * for claims again for the rest.
 */
export function claimSize(free: number): number {
  return free < 1 ? 0 : 2 ** Math.min(10, Math.floor(Math.log2(free)));
}

/**
 * An open delivery (pending or sending), in the terms of the partial queue indexes: neither
 * delivered nor dead. `status` itself is not indexed, so a claim (which changes only unindexed
 * columns) is a HOT update.
 */
const openWhere = (t: string) => `${t}.delivered_at IS NULL AND ${t}.dead_at IS NULL`;

export interface AttemptRow {
  id: string;
  delivery_id: string;
  attempt_no: number;
  channel: string;
  provider: string;
  outcome: 'ok' | 'failed' | 'timeout';
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  started_at: Date;
  finished_at: Date;
}

export interface EventFacts {
  eventId: string;
  eventType: string;
  caseId: string | null;
  reference: string | null;
  occurredAt: string;
}

/** One event's delivery rows for `insertDeliveries`. */
export interface EventDeliveries {
  facts: EventFacts;
  planned: PlannedDelivery[];
  unreachable?: { recipient: string; reason: string }[];
}

export interface DeliveryQuery {
  caseId?: string;
  recipient?: string;
  status?: DeliveryStatus;
  channel?: DeliveryChannel;
  /** Keyset cursor: the `seq` of the last row of the previous page (newest first). */
  before?: string;
  limit: number;
}

/** A delivery's state after an attempt: done, back in the queue after a delay, or dead. */
export type NextState = { status: 'delivered' } | { status: 'pending'; delayMs: number } | { status: 'dead' };

export interface AttemptRecord {
  attemptNo: number;
  provider: string;
  outcome: 'ok' | 'failed' | 'timeout';
  httpStatus?: number;
  latencyMs: number;
  error?: string;
  startedAt: Date;
}

/** TypeORM answers an UPDATE … RETURNING with `[rows, affectedCount]`, other statements with rows. */
function returned<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

/**
 * The durable delivery queue and its log. Rows are written by the consumer transaction (no
 * network there); the worker claims due rows with a lease, sends outside any transaction, and
 * records each attempt.
 */
@Injectable()
export class DeliveriesRepository {
  private readonly s: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
  ) {
    this.s = `"${config.schema}"`;
  }

  /**
   * Inserts the delivery rows of events (one, or a consumer chunk's) in ONE statement: per event
   * the planned deliveries (pending, or held until `notBefore`), then a dead `none` row per
   * recipient the event could not reach (so ops see it in the dead-letter list); the events in the
   * order given, so `seq` orders every lane as inserting them one event after the other would. A
   * repeat of (event, recipient, channel) is a no-op (the id is derived from the three). Returns
   * how many rows were inserted.
   */
  async insertDeliveries(m: EntityManager, events: EventDeliveries[]): Promise<number> {
    const rows = events.flatMap(({ facts, planned, unreachable = [] }) => {
      const caseKey = facts.caseId ?? '-';
      const event = {
        event_id: facts.eventId,
        event_type: facts.eventType,
        case_id: facts.caseId,
        reference: facts.reference,
        occurred_at: facts.occurredAt,
      };
      return [
        ...planned.map((p) => ({
          ...event,
          id: deliveryIdOf(facts.eventId, p.recipient, p.channel),
          recipient: p.recipient,
          recipient_kind: p.recipientKind,
          channel: p.channel,
          endpoint: p.endpoint,
          lane: `${caseKey}|${p.channel}|${p.endpoint}`,
          template_key: p.templateKey,
          locale: p.locale,
          urgent: p.urgent,
          subject: p.message.subject,
          body: p.message.text,
          data: p.data,
          status: 'pending',
          not_before: p.notBefore ? p.notBefore.toISOString() : null,
          last_error: null,
        })),
        ...unreachable.map((u) => ({
          ...event,
          id: deliveryIdOf(facts.eventId, u.recipient, 'none'),
          recipient: u.recipient,
          recipient_kind: 'unreachable',
          channel: 'none',
          endpoint: '',
          lane: `${caseKey}|none|${u.recipient}`,
          template_key: 'none',
          locale: 'zh-CN',
          urgent: false,
          subject: '',
          body: '',
          data: {},
          status: 'dead',
          not_before: null,
          last_error: `UNREACHABLE: ${u.reason}`,
        })),
      ];
    });
    if (!rows.length) return 0;
    const inserted = (await m.query(
      `INSERT INTO ${this.s}.deliveries
         (id, event_id, event_type, case_id, reference, recipient, recipient_kind, channel, endpoint, lane, template_key,
          locale, urgent, subject, body, data, status, not_before, next_attempt_at, occurred_at, dead_at, last_error)
       SELECT x.id, x.event_id, x.event_type, x.case_id, x.reference, x.recipient, x.recipient_kind, x.channel, x.endpoint,
              x.lane, x.template_key, x.locale, x.urgent, x.subject, x.body, x.data, x.status, x.not_before,
              COALESCE(x.not_before, now()), x.occurred_at, CASE WHEN x.channel = 'none' THEN now() END, x.last_error
       FROM ROWS FROM (json_to_recordset($1::json) AS (
         id uuid, event_id uuid, event_type text, case_id uuid, reference text, occurred_at timestamptz,
         recipient text, recipient_kind text, channel text, endpoint text, lane text, template_key text,
         locale text, urgent boolean, subject text, body text, data jsonb, status text, not_before timestamptz,
         last_error text)) WITH ORDINALITY AS x(
         id, event_id, event_type, case_id, reference, occurred_at, recipient, recipient_kind, channel, endpoint, lane,
         template_key, locale, urgent, subject, body, data, status, not_before, last_error, ord)
       ORDER BY x.ord
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [JSON.stringify(rows)],
    )) as unknown[];
    return inserted.length;
  }

  /**
   * Claims up to `claimSize(limit)` due deliveries. A row is due when pending and its time has come, or
   * when a worker's claim on it expired (that worker died mid-send). The scan is a range over
   * deliveries_open_due_idx (open rows by `next_attempt_at`), which never reads rows held for
   * later; rows in flight sort first and are passed over on their live lease. Order per
   * (case, endpoint): only the earliest open row of a lane is eligible, so a lane has at most
   * one send in flight and partners see a case's notifications in order. A dead row does not
   * block its lane (later ones proceed; replay re-sends it). A row held for quiet hours does
   * not block a later urgent one. A unit webhook's current secret comes with its row.
   *
   * The claim changes no indexed column (a HOT update), and updates the locked rows by their
   * ctid (the version it locked; a row changed meanwhile is not updated, so never claimed twice).
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    // The limit is written into the text, from a few sizes (claimSize): with `LIMIT $1` the
    // planner costed each call's own small limit far below the generic plan's guess (a tenth of
    // the open rows), so Postgres planned the claim again on almost every call (505 of 1,141 at
    // 100 cases/s; BENCHMARKS.md, session 13). One text per size plans like any prepared statement.
    const token = randomUUID();
    return returned<ClaimedDelivery>(
      await this.dataSource.query(
        `WITH due AS (
         SELECT d.ctid AS row_ctid,
                CASE WHEN d.channel = 'webhook' AND left(d.recipient, 5) = 'unit:' THEN substr(d.recipient, 6) END AS unit_id
         FROM ${this.s}.deliveries d
         WHERE ${openWhere('d')}
           AND d.next_attempt_at <= now()
           AND (d.status = 'pending' OR d.lease_until <= now())
           AND d.channel <> 'none'
           AND NOT EXISTS (
             SELECT 1 FROM ${this.s}.deliveries e
             WHERE e.lane = d.lane AND e.seq < d.seq AND ${openWhere('e')}
               AND NOT (d.urgent AND e.not_before IS NOT NULL AND e.not_before > now() AND e.attempts = 0))
         ORDER BY d.next_attempt_at, d.seq
         LIMIT ${claimSize(limit)}
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${this.s}.deliveries d
          SET status = 'sending', claim_token = $1, lease_until = now() + $2 * interval '1 millisecond',
              attempts = d.attempts + 1, total_attempts = d.total_attempts + 1, updated_at = now()
         FROM due LEFT JOIN ${this.s}.units u ON u.unit_id = due.unit_id
        WHERE d.ctid = due.row_ctid
       RETURNING d.*, u.webhook_secret`,
        [token, leaseMs],
      ),
    );
  }

  /**
   * Records one attempt and, if this worker still holds the claim, the delivery's next state.
   * Completions that arrive in the same turn of the event loop (sends finishing together) are
   * written by ONE statement (`completeMany`). `laneHasMore`: an open delivery waits behind this
   * one in its lane.
   */
  complete(
    row: DeliveryRow,
    attempt: AttemptRecord,
    next: NextState,
  ): Promise<{ recorded: boolean; laneHasMore: boolean }> {
    return new Promise((resolve, reject) => {
      this.completions.push({ row, attempt, next, resolve, reject });
      if (this.completions.length === 1) setImmediate(() => void this.flushCompletions());
    });
  }

  private readonly completions: {
    row: DeliveryRow;
    attempt: AttemptRecord;
    next: NextState;
    resolve: (r: { recorded: boolean; laneHasMore: boolean }) => void;
    reject: (err: unknown) => void;
  }[] = [];

  private async flushCompletions(): Promise<void> {
    const batch = this.completions.splice(0);
    if (!batch.length) return;
    try {
      const done = await this.completeMany(batch);
      for (const c of batch) {
        const laneHasMore = done.get(c.row.id);
        c.resolve({ recorded: laneHasMore !== undefined, laneHasMore: laneHasMore ?? false });
      }
    } catch (err) {
      for (const c of batch) c.reject(err);
    }
  }

  /** One statement for many completions: answers, per delivery it updated, whether its lane has more. */
  private async completeMany(
    batch: { row: DeliveryRow; attempt: AttemptRecord; next: NextState }[],
  ): Promise<Map<string, boolean>> {
    const items = batch.map(({ row, attempt, next }) => ({
      id: row.id,
      claim_token: row.claim_token,
      status: next.status,
      delay_ms: next.status === 'pending' ? next.delayMs : 0,
      last_error: next.status === 'delivered' ? null : (attempt.error ?? null),
      http_status: attempt.httpStatus ?? null,
      attempt_no: attempt.attemptNo,
      channel: row.channel,
      provider: attempt.provider,
      outcome: attempt.outcome,
      latency_ms: attempt.latencyMs,
      error: attempt.error?.slice(0, 2000) ?? null,
      started_at: attempt.startedAt,
    }));
    // The ids as an indexable key list taken inside SQL (the generic plan stays usable).
    const rows = (await this.dataSource.query(
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, claim_token uuid, status text, delay_ms float8,
           last_error text, http_status int, attempt_no int, channel text, provider text, outcome text,
           latency_ms int, error text, started_at timestamptz)
       ), done AS (
         UPDATE ${this.s}.deliveries d SET
           status = x.status,
           next_attempt_at = CASE WHEN x.status = 'pending' THEN now() + x.delay_ms * interval '1 millisecond' ELSE d.next_attempt_at END,
           delivered_at = CASE WHEN x.status = 'delivered' THEN now() ELSE d.delivered_at END,
           dead_at = CASE WHEN x.status = 'dead' THEN now() ELSE d.dead_at END,
           last_error = x.last_error, last_http_status = x.http_status, lease_until = NULL, claim_token = NULL,
           updated_at = now()
         FROM x
         WHERE d.id = ANY(ARRAY(SELECT (e->>'id')::uuid FROM jsonb_array_elements($1::jsonb) AS e))
           AND d.id = x.id AND d.claim_token = x.claim_token AND d.status = 'sending'
         RETURNING d.id, d.lane, d.seq
       ), attempt AS (
         INSERT INTO ${this.s}.delivery_attempts (delivery_id, attempt_no, channel, provider, outcome, http_status, latency_ms, error, started_at)
         SELECT id, attempt_no, channel, provider, outcome, http_status, latency_ms, error, started_at FROM x
       )
       SELECT done.id, EXISTS (
         SELECT 1 FROM ${this.s}.deliveries e
         WHERE e.lane = done.lane AND e.seq > done.seq AND ${openWhere('e')}) AS lane_has_more
       FROM done`,
      [JSON.stringify(items)],
    )) as { id: string; lane_has_more: boolean }[];
    return new Map(rows.map((r) => [r.id, r.lane_has_more]));
  }

  async list(q: DeliveryQuery): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.caseId) add('case_id = ?', q.caseId);
    if (q.recipient) add('recipient = ?', q.recipient);
    if (q.status) {
      add('status = ?', q.status);
      // The same rows, said so the partial indexes serve them (status itself is not indexed).
      if (q.status === 'dead') where.push('dead_at IS NOT NULL');
      else if (q.status === 'pending' || q.status === 'sending') where.push(openWhere('deliveries'));
    }
    if (q.channel) add('channel = ?', q.channel);
    if (q.before) add('seq < ?', q.before);
    params.push(q.limit);
    return (await this.dataSource.query(
      `SELECT * FROM ${this.s}.deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    )) as DeliveryRow[];
  }

  async get(id: string): Promise<DeliveryRow | null> {
    const rows = (await this.dataSource.query(`SELECT * FROM ${this.s}.deliveries WHERE id = $1`, [
      id,
    ])) as DeliveryRow[];
    return rows[0] ?? null;
  }

  async attemptsOf(ids: string[]): Promise<Map<string, AttemptRow[]>> {
    const out = new Map<string, AttemptRow[]>();
    if (!ids.length) return out;
    const rows = (await this.dataSource.query(
      `SELECT * FROM ${this.s}.delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    )) as AttemptRow[];
    for (const r of rows) out.set(r.delivery_id, [...(out.get(r.delivery_id) ?? []), r]);
    return out;
  }

  /** Puts a dead delivery back in the queue (attempts so far stay in the log). */
  async replay(id: string): Promise<DeliveryRow | null> {
    const rows = returned<DeliveryRow>(
      await this.dataSource.query(
        `UPDATE ${this.s}.deliveries SET status = 'pending', attempts = 0, replays = replays + 1, next_attempt_at = now(),
         not_before = NULL, dead_at = NULL, updated_at = now()
       WHERE id = $1 AND status = 'dead' AND channel <> 'none'
       RETURNING *`,
        [id],
      ),
    );
    return rows[0] ?? null;
  }

  /** Success rate and latency per channel over a window (from the log, for the stats API). */
  async stats(sinceHours: number): Promise<
    {
      channel: string;
      delivered: number;
      dead: number;
      open: number;
      attempts: number;
      failed_attempts: number;
      p50_seconds: number | null;
      p95_seconds: number | null;
    }[]
  > {
    return (await this.dataSource.query(
      `WITH d AS (
         SELECT channel, status, EXTRACT(EPOCH FROM (delivered_at - occurred_at)) AS secs
         FROM ${this.s}.deliveries WHERE created_at > now() - $1 * interval '1 hour' AND channel <> 'none'
       ), a AS (
         SELECT channel, count(*)::int AS attempts, count(*) FILTER (WHERE outcome <> 'ok')::int AS failed_attempts
         FROM ${this.s}.delivery_attempts WHERE started_at > now() - $1 * interval '1 hour' GROUP BY channel
       )
       SELECT d.channel,
              count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
              count(*) FILTER (WHERE status = 'dead')::int AS dead,
              count(*) FILTER (WHERE status IN ('pending', 'sending'))::int AS open,
              COALESCE(max(a.attempts), 0)::int AS attempts,
              COALESCE(max(a.failed_attempts), 0)::int AS failed_attempts,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE status = 'delivered') AS p50_seconds,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY secs) FILTER (WHERE status = 'delivered') AS p95_seconds
       FROM d LEFT JOIN a ON a.channel = d.channel
       GROUP BY d.channel ORDER BY d.channel`,
      [sinceHours],
    )) as never;
  }
}
