import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import {
  EntityKind,
  KIND_TABLE,
  ReferenceSnapshot,
  RoutingSettings,
  StoredEntity,
  StoredUnit,
} from './reference.types';

interface EntityRow {
  id: string;
  active: boolean;
  version: number;
  data: unknown;
  created_at: Date;
  updated_at: Date;
  webhook_secret?: string;
}

export interface HistoryEntry {
  entityType: EntityKind | 'settings';
  entityId: string;
  version: number;
  refVersion: number;
  action: 'create' | 'update' | 'deactivate' | 'api_key_added' | 'seed';
  actor: string;
  at: string;
  before: unknown;
  after: unknown;
}

/** TypeORM answers UPDATE … RETURNING as [rows, count] on Postgres. */
function updatedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

const EMPTY_SETTINGS: RoutingSettings = { signalLexicon: { signals: [] } };

function toEntity<T>(r: EntityRow): StoredEntity<T> {
  return {
    id: r.id,
    active: r.active,
    version: Number(r.version),
    data: r.data as T,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** Routing's reference tables, the reference-data version and the change history (SQL with parameters only). */
@Injectable()
export class ReferenceRepository {
  private readonly s: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
  ) {
    this.s = `"${config.schema}"`;
  }

  private table(kind: EntityKind | 'settings'): string {
    return `${this.s}.${kind === 'settings' ? 'settings' : KIND_TABLE[kind]}`;
  }

  async currentVersion(): Promise<number> {
    const rows: { version: string }[] = await this.dataSource.query(
      `SELECT version FROM ${this.s}.ref_version WHERE id = 1`,
    );
    return Number(rows[0]?.version ?? 0);
  }

  /**
   * Bumps the reference-data version. Takes the row lock, so admin changes are serialized
   * (validation against the other rules sees every committed change).
   */
  async bumpVersion(manager: EntityManager): Promise<number> {
    const result: unknown = await manager.query(
      `UPDATE ${this.s}.ref_version SET version = version + 1, changed_at = now() WHERE id = 1 RETURNING version`,
    );
    return Number(updatedRows<{ version: string }>(result)[0].version);
  }

  /** Every entity at one version, read in one repeatable-read transaction (or the caller's). */
  async loadSnapshot(manager?: EntityManager): Promise<ReferenceSnapshot> {
    const read = async (m: EntityManager): Promise<ReferenceSnapshot> => {
      const [v]: { version: string }[] = await m.query(
        `SELECT version FROM ${this.s}.ref_version WHERE id = 1`,
      );
      const rows = async (kind: EntityKind): Promise<EntityRow[]> =>
        m.query(`SELECT * FROM ${this.table(kind)} ORDER BY id`);
      const keys: { unit_id: string; key_hash: string }[] = await m.query(
        `SELECT unit_id, key_hash FROM ${this.s}.unit_api_keys WHERE revoked_at IS NULL ORDER BY created_at, key_hash`,
      );
      const settingsRows: EntityRow[] = await m.query(`SELECT * FROM ${this.table('settings')}`);
      const settings: RoutingSettings = { ...EMPTY_SETTINGS };
      for (const r of settingsRows) (settings as unknown as Record<string, unknown>)[r.id] = r.data;
      const hashes = new Map<string, string[]>();
      for (const k of keys) hashes.set(k.unit_id, [...(hashes.get(k.unit_id) ?? []), k.key_hash]);
      return {
        version: Number(v?.version ?? 0),
        areas: (await rows('area')).map((r) => toEntity(r)),
        units: (await rows('unit')).map((r): StoredUnit => ({
          ...toEntity(r),
          webhookSecret: r.webhook_secret ?? '',
          apiKeyHashes: hashes.get(r.id) ?? [],
        })),
        categories: (await rows('category')).map((r) => toEntity(r)),
        slaPolicies: (await rows('sla_policy')).map((r) => toEntity(r)),
        rules: (await rows('rule')).map((r) => toEntity(r)),
        settings,
      };
    };
    if (manager) return read(manager);
    return this.dataSource.transaction('REPEATABLE READ', read);
  }

  async list<T>(kind: EntityKind): Promise<StoredEntity<T>[]> {
    const rows: EntityRow[] = await this.dataSource.query(`SELECT * FROM ${this.table(kind)} ORDER BY id`);
    return rows.map((r) => toEntity<T>(r));
  }

  async find<T>(kind: EntityKind, id: string, manager?: EntityManager): Promise<StoredEntity<T> | undefined> {
    const rows: EntityRow[] = await (manager ?? this.dataSource).query(
      `SELECT * FROM ${this.table(kind)} WHERE id = $1`,
      [id],
    );
    return rows[0] ? toEntity<T>(rows[0]) : undefined;
  }

  async isEmpty(manager: EntityManager): Promise<boolean> {
    const [r]: { n: number }[] = await manager.query(
      `SELECT ((SELECT count(*) FROM ${this.table('area')}) + (SELECT count(*) FROM ${this.table('unit')}) +
        (SELECT count(*) FROM ${this.table('category')}) + (SELECT count(*) FROM ${this.table('rule')}) +
        (SELECT count(*) FROM ${this.table('sla_policy')}))::int AS n`,
    );
    return r.n === 0;
  }

  /** Inserts or replaces one entity (the caller computed its version). */
  async save(
    manager: EntityManager,
    kind: EntityKind,
    entity: { id: string; active: boolean; version: number; data: unknown },
    webhookSecret?: string,
  ): Promise<void> {
    if (kind === 'unit') {
      await manager.query(
        // webhook_secret is NOT NULL and Postgres checks the proposed row before ON CONFLICT: an
        // update that keeps the secret ($5 null) must not propose a NULL (creates always pass one).
        `INSERT INTO ${this.table(kind)} (id, active, version, data, webhook_secret) VALUES ($1, $2, $3, $4::jsonb, COALESCE($5::text, ''))
         ON CONFLICT (id) DO UPDATE SET active = EXCLUDED.active, version = EXCLUDED.version, data = EXCLUDED.data,
           webhook_secret = COALESCE($5::text, ${this.table(kind)}.webhook_secret), updated_at = now()`,
        [entity.id, entity.active, entity.version, JSON.stringify(entity.data), webhookSecret ?? null],
      );
      return;
    }
    await manager.query(
      `INSERT INTO ${this.table(kind)} (id, active, version, data) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (id) DO UPDATE SET active = EXCLUDED.active, version = EXCLUDED.version, data = EXCLUDED.data,
         updated_at = now()`,
      [entity.id, entity.active, entity.version, JSON.stringify(entity.data)],
    );
  }

  async saveSetting(manager: EntityManager, key: keyof RoutingSettings, data: unknown): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table('settings')} (id, active, version, data) VALUES ($1, true, 1, $2::jsonb)
       ON CONFLICT (id) DO UPDATE SET version = ${this.table('settings')}.version + 1, data = EXCLUDED.data, updated_at = now()`,
      [key, JSON.stringify(data)],
    );
  }

  async addApiKey(
    manager: EntityManager,
    unitId: string,
    keyHash: string,
    actor: string,
    label?: string,
  ): Promise<string> {
    const id = randomUUID();
    await manager.query(
      `INSERT INTO ${this.s}.unit_api_keys (id, unit_id, key_hash, label, created_by) VALUES ($1, $2, $3, $4, $5)`,
      [id, unitId, keyHash, label ?? null, actor],
    );
    return id;
  }

  /** Revokes every active key of a unit except the given ones. */
  async revokeApiKeys(manager: EntityManager, unitId: string, exceptIds: string[]): Promise<number> {
    const result: unknown = await manager.query(
      `UPDATE ${this.s}.unit_api_keys SET revoked_at = now()
       WHERE unit_id = $1 AND revoked_at IS NULL AND NOT (id = ANY($2::uuid[])) RETURNING id`,
      [unitId, exceptIds],
    );
    return updatedRows(result).length;
  }

  async unitSecrets(
    manager: EntityManager,
    unitId: string,
  ): Promise<{ webhookSecret: string; apiKeyHashes: string[] }> {
    const [u]: { webhook_secret: string }[] = await manager.query(
      `SELECT webhook_secret FROM ${this.table('unit')} WHERE id = $1`,
      [unitId],
    );
    const keys: { key_hash: string }[] = await manager.query(
      `SELECT key_hash FROM ${this.s}.unit_api_keys WHERE unit_id = $1 AND revoked_at IS NULL ORDER BY created_at, key_hash`,
      [unitId],
    );
    return { webhookSecret: u?.webhook_secret ?? '', apiKeyHashes: keys.map((k) => k.key_hash) };
  }

  async activeApiKeyCount(unitId: string): Promise<number> {
    const [r]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM ${this.s}.unit_api_keys WHERE unit_id = $1 AND revoked_at IS NULL`,
      [unitId],
    );
    return r.n;
  }

  async addHistory(manager: EntityManager, h: Omit<HistoryEntry, 'at'>): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.s}.reference_history (entity_type, entity_id, version, ref_version, action, actor, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
      [
        h.entityType,
        h.entityId,
        h.version,
        h.refVersion,
        h.action,
        h.actor,
        h.before === undefined || h.before === null ? null : JSON.stringify(h.before),
        h.after === undefined || h.after === null ? null : JSON.stringify(h.after),
      ],
    );
  }

  async history(kind: EntityKind, id: string): Promise<HistoryEntry[]> {
    const rows: {
      entity_type: EntityKind;
      entity_id: string;
      version: number;
      ref_version: string;
      action: HistoryEntry['action'];
      actor: string;
      at: Date;
      before: unknown;
      after: unknown;
    }[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.reference_history WHERE entity_type = $1 AND entity_id = $2 ORDER BY id`,
      [kind, id],
    );
    return rows.map((r) => ({
      entityType: r.entity_type,
      entityId: r.entity_id,
      version: r.version,
      refVersion: Number(r.ref_version),
      action: r.action,
      actor: r.actor,
      at: new Date(r.at).toISOString(),
      before: r.before,
      after: r.after,
    }));
  }
}
