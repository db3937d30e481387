import { MigrationInterface, QueryRunner } from 'typeorm';

const S = '"routing"';

/**
 * Routing's reference data (areas, units, categories, SLA policies, rules, settings), its change
 * history, the single reference-data version, unit API keys and every routing decision.
 * Each entity is stored as its definition (jsonb) plus the columns queries and constraints need.
 */
export class RoutingReference1763900100000 implements MigrationInterface {
  name = 'RoutingReference1763900100000';

  async up(q: QueryRunner): Promise<void> {
    const common = `
      id text PRIMARY KEY,
      active boolean NOT NULL DEFAULT true,
      version integer NOT NULL CHECK (version >= 1),
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()`;
    const statements = [
      `CREATE TABLE ${S}.ref_version (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        version bigint NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now())`,
      `INSERT INTO ${S}.ref_version (id, version) VALUES (1, 0)`,
      `CREATE TABLE ${S}.areas (${common},
        level text GENERATED ALWAYS AS (data->>'level') STORED,
        parent_code text GENERATED ALWAYS AS (data->>'parentCode') STORED)`,
      `CREATE INDEX areas_parent_idx ON ${S}.areas (parent_code)`,
      `CREATE TABLE ${S}.units (${common},
        unit_type text GENERATED ALWAYS AS (data->>'unitType') STORED,
        webhook_secret text NOT NULL)`,
      `CREATE INDEX units_type_idx ON ${S}.units (unit_type)`,
      `CREATE TABLE ${S}.unit_api_keys (
        id uuid PRIMARY KEY,
        unit_id text NOT NULL REFERENCES ${S}.units (id),
        key_hash text NOT NULL UNIQUE,
        label text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz)`,
      `CREATE INDEX unit_api_keys_unit_idx ON ${S}.unit_api_keys (unit_id) WHERE revoked_at IS NULL`,
      `CREATE TABLE ${S}.categories (${common})`,
      `CREATE TABLE ${S}.sla_policies (${common})`,
      `CREATE TABLE ${S}.rules (${common},
        priority_order integer GENERATED ALWAYS AS ((data->>'priorityOrder')::integer) STORED)`,
      `CREATE UNIQUE INDEX rules_active_order_uq ON ${S}.rules (priority_order) WHERE active`,
      `CREATE TABLE ${S}.settings (${common})`,
      `CREATE TABLE ${S}.reference_history (
        id bigserial PRIMARY KEY,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        version integer NOT NULL,
        ref_version bigint NOT NULL,
        action text NOT NULL CHECK (action IN ('create', 'update', 'deactivate', 'api_key_added', 'seed')),
        actor text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        before jsonb,
        after jsonb)`,
      `CREATE INDEX reference_history_entity_idx ON ${S}.reference_history (entity_type, entity_id, id)`,
      `CREATE TABLE ${S}.routing_decisions (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL,
        attempt integer NOT NULL CHECK (attempt >= 1),
        outcome text NOT NULL CHECK (outcome IN ('routed', 'triage')),
        unit_id text,
        input jsonb NOT NULL,
        decision jsonb NOT NULL,
        rule_version bigint NOT NULL,
        event_id uuid,
        decided_at timestamptz NOT NULL,
        UNIQUE (case_id, attempt))`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'routing_decisions',
      'reference_history',
      'settings',
      'rules',
      'sla_policies',
      'categories',
      'unit_api_keys',
      'units',
      'areas',
      'ref_version',
    ])
      await q.query(`DROP TABLE IF EXISTS ${S}.${t}`);
  }
}
