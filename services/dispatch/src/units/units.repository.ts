import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { UnitReferencePayload, UnitType } from '@app/contracts';
import { S } from '../dispatch.config';

export interface UnitRow {
  unitId: string;
  name: string;
  unitType: UnitType;
  active: boolean;
  version: number;
}

/** The local copy of routing's units (reference.units.v1), with the partner API key hashes. */
@Injectable()
export class UnitsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Upsert keeping the highest version; returns false when the stored version is newer or equal. */
  async upsert(manager: EntityManager, u: UnitReferencePayload): Promise<boolean> {
    const applied = (await manager.query(
      `INSERT INTO ${S}.units (unit_id, name, unit_type, area_codes, contact, active, version, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, now())
       ON CONFLICT (unit_id) DO UPDATE SET name = EXCLUDED.name, unit_type = EXCLUDED.unit_type,
         area_codes = EXCLUDED.area_codes, contact = EXCLUDED.contact, active = EXCLUDED.active,
         version = EXCLUDED.version, updated_at = now()
       WHERE ${S}.units.version < EXCLUDED.version
       RETURNING unit_id`,
      [u.unitId, u.name, u.unitType, u.areaCodes, JSON.stringify(u.contact ?? {}), u.active, u.version],
    )) as unknown[];
    if (applied.length === 0) return false;
    await manager.query(`DELETE FROM ${S}.unit_api_keys WHERE unit_id = $1`, [u.unitId]);
    const hashes = [...new Set(u.apiKeyHashes.map((h) => h.toLowerCase()))];
    if (hashes.length) {
      await manager.query(
        `INSERT INTO ${S}.unit_api_keys (key_hash, unit_id) SELECT h, $2 FROM unnest($1::text[]) AS h
         ON CONFLICT (key_hash) DO UPDATE SET unit_id = EXCLUDED.unit_id`,
        [hashes, u.unitId],
      );
    }
    return true;
  }

  async byKeyHash(hash: string): Promise<(UnitRow & { keyHash: string }) | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT k.key_hash, u.unit_id, u.name, u.unit_type, u.active, u.version
         FROM ${S}.unit_api_keys k JOIN ${S}.units u ON u.unit_id = k.unit_id WHERE k.key_hash = $1`,
      [hash],
    )) as {
      key_hash: string;
      unit_id: string;
      name: string;
      unit_type: UnitType;
      active: boolean;
      version: number;
    }[];
    return row
      ? {
          keyHash: row.key_hash,
          unitId: row.unit_id,
          name: row.name,
          unitType: row.unit_type,
          active: row.active,
          version: row.version,
        }
      : undefined;
  }

  async byId(manager: EntityManager | DataSource, unitId: string): Promise<UnitRow | undefined> {
    const [row] = (await manager.query(
      `SELECT unit_id, name, unit_type, active, version FROM ${S}.units WHERE unit_id = $1`,
      [unitId],
    )) as { unit_id: string; name: string; unit_type: UnitType; active: boolean; version: number }[];
    return row
      ? {
          unitId: row.unit_id,
          name: row.name,
          unitType: row.unit_type,
          active: row.active,
          version: row.version,
        }
      : undefined;
  }
}
