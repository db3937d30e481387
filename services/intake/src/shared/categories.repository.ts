import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CategoryReferencePayload } from '@app/contracts';

export interface CategoryRow {
  code: string;
  nameZh: string;
  nameEn: string;
  defaultPriority: string;
  active: boolean;
}

/** The local copy of routing's categories (reference.categories), for validation and Open311 services. */
@Injectable()
export class CategoriesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newer versions win; an older or equal version (a replay) changes nothing. */
  async upsert(m: EntityManager, c: CategoryReferencePayload): Promise<void> {
    await m.query(
      `INSERT INTO intake.categories (code, name_zh, name_en, default_priority, active, version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en,
         default_priority = EXCLUDED.default_priority, active = EXCLUDED.active, version = EXCLUDED.version, updated_at = now()
       WHERE intake.categories.version < EXCLUDED.version`,
      [c.code, c.nameZh, c.nameEn, c.defaultPriority, c.active, c.version],
    );
  }

  /** 'unknown' only when categories are known and this code is not an active one. */
  async check(code: string): Promise<'ok' | 'unknown'> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS total, COALESCE(bool_or(code = $1 AND active), false) AS ok FROM intake.categories`,
      [code],
    )) as { total: number; ok: boolean }[];
    return row.total === 0 || row.ok ? 'ok' : 'unknown';
  }

  async active(): Promise<CategoryRow[]> {
    return (await this.dataSource.query(
      `SELECT code, name_zh AS "nameZh", name_en AS "nameEn", default_priority AS "defaultPriority", active
         FROM intake.categories WHERE active ORDER BY code`,
    )) as CategoryRow[];
  }

  async names(): Promise<Map<string, CategoryRow>> {
    const rows = (await this.dataSource.query(
      `SELECT code, name_zh AS "nameZh", name_en AS "nameEn", default_priority AS "defaultPriority", active FROM intake.categories`,
    )) as CategoryRow[];
    return new Map(rows.map((r) => [r.code, r]));
  }
}
