import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@app/contracts';
import { JsonLogger } from '@app/observability';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** DDL for the table that backs idempotency keys (each service that takes them has one). */
export function idempotencyTableUp(schema: string): string[] {
  return [
    `CREATE TABLE "${schema}".idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      status int,
      body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key)
    )`,
    `CREATE INDEX idempotency_keys_created_idx ON "${schema}".idempotency_keys (created_at)`,
  ];
}

export function hashRequest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * `Idempotency-Key` handling. Redis answers repeats fast; Postgres is the truth: the key row is
 * inserted first in the same transaction as the effect, so a concurrent repeat waits on the
 * unique key, then finds the stored answer. Losing Redis loses speed, never correctness.
 * Same key, same request → the original answer; same key, other request → 422.
 */
export class IdempotencyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: Redis,
    private readonly schema: string,
    private readonly logger: JsonLogger,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  async execute(
    scope: string,
    key: string,
    requestHash: string,
    effect: (manager: EntityManager) => Promise<StoredResponse>,
    afterCommit?: () => void,
  ): Promise<StoredResponse & { replayed: boolean }> {
    const cacheKey = `idem:${scope}:${key}`;
    const cached = await this.redis.get(cacheKey).catch(() => null);
    if (cached) {
      const hit = JSON.parse(cached) as StoredResponse & { hash: string };
      this.assertSame(hit.hash, requestHash);
      return { status: hit.status, body: hit.body, replayed: true };
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await this.dataSource.transaction(async (manager) => {
        const inserted = (await manager.query(
          `INSERT INTO "${this.schema}".idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING key`,
          [scope, key, requestHash],
        )) as unknown[];
        if (inserted.length === 0) return null;
        const res = await effect(manager);
        await manager.query(
          `UPDATE "${this.schema}".idempotency_keys SET status = $3, body = $4::jsonb WHERE scope = $1 AND key = $2`,
          [scope, key, res.status, JSON.stringify(res.body ?? null)],
        );
        return res;
      });
      if (outcome) {
        afterCommit?.();
        await this.cache(cacheKey, { ...outcome, hash: requestHash });
        return { ...outcome, replayed: false };
      }
      const [row] = (await this.dataSource.query(
        `SELECT request_hash, status, body FROM "${this.schema}".idempotency_keys WHERE scope = $1 AND key = $2`,
        [scope, key],
      )) as { request_hash: string; status: number | null; body: unknown }[];
      if (row && row.status !== null) {
        this.assertSame(row.request_hash, requestHash);
        await this.cache(cacheKey, { status: row.status, body: row.body, hash: row.request_hash });
        return { status: row.status, body: row.body, replayed: true };
      }
      // The row vanished between our insert attempt and the read (the other request rolled back): try again.
    }
    throw new DomainError(
      'IDEMPOTENCY.IN_PROGRESS',
      'A request with this Idempotency-Key is still in progress; retry shortly',
      undefined,
      409,
    );
  }

  private assertSame(stored: string, incoming: string): void {
    if (stored !== incoming) {
      throw new DomainError(
        'IDEMPOTENCY.KEY_REUSED',
        'This Idempotency-Key was already used with a different request body',
        undefined,
        422,
      );
    }
  }

  private async cache(key: string, value: StoredResponse & { hash: string }): Promise<void> {
    await this.redis.set(key, JSON.stringify(value), 'EX', this.ttlSeconds).catch((err: unknown) => {
      this.logger.warn('idempotency cache write failed (Postgres still holds the key)', err);
    });
  }
}
