import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Intake's own tables: reports (with the resident read model), co-reports, the resident
 * timeline, the per-day reference counter, categories (from reference.categories), Open311
 * client keys, uploaded media and residents' submissions (feedback, info).
 */
export class Intake1763900001000 implements MigrationInterface {
  name = 'Intake1763900001000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "intake".reports (
        case_id uuid PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        channel text NOT NULL,
        description text NOT NULL,
        category_code text,
        routed_category_code text,
        location jsonb NOT NULL,
        grid_code text,
        building_code text,
        address_text text,
        lat double precision,
        lng double precision,
        location_key text,
        reporter jsonb NOT NULL,
        reporter_confidential boolean NOT NULL,
        media jsonb NOT NULL DEFAULT '[]'::jsonb,
        grid_worker_id text,
        attributes jsonb,
        open311_client_id uuid,
        tracking_token_hash bytea NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'reported',
        unit_name text,
        expected_at timestamptz,
        info_requested boolean NOT NULL DEFAULT false,
        merged_into_reference text,
        last_resident_note text,
        reported_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX reports_duplicate_idx ON "intake".reports (location_key, reported_at DESC)
        WHERE status NOT IN ('closed', 'cancelled', 'merged')`,
      `CREATE INDEX reports_reported_at_idx ON "intake".reports (reported_at DESC)`,
      `CREATE TABLE "intake".co_reports (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES "intake".reports (case_id),
        channel text NOT NULL,
        description text NOT NULL,
        reporter jsonb NOT NULL,
        media jsonb NOT NULL DEFAULT '[]'::jsonb,
        tracking_token_hash bytea NOT NULL UNIQUE,
        reported_at timestamptz NOT NULL
      )`,
      `CREATE INDEX co_reports_case_idx ON "intake".co_reports (case_id)`,
      `CREATE TABLE "intake".timeline (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES "intake".reports (case_id),
        event_id uuid UNIQUE,
        type text NOT NULL,
        status text NOT NULL,
        note text,
        at timestamptz NOT NULL
      )`,
      `CREATE INDEX timeline_case_idx ON "intake".timeline (case_id, at)`,
      `CREATE TABLE "intake".reference_counters (
        day date PRIMARY KEY,
        last_value integer NOT NULL
      )`,
      `CREATE TABLE "intake".categories (
        code text PRIMARY KEY,
        name_zh text NOT NULL,
        name_en text NOT NULL,
        default_priority text NOT NULL,
        active boolean NOT NULL,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE "intake".open311_clients (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE "intake".media (
        id uuid PRIMARY KEY,
        file_name text NOT NULL,
        content_type text NOT NULL,
        size_bytes integer NOT NULL,
        sha256 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE "intake".resident_submissions (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES "intake".reports (case_id),
        co_report_id uuid,
        kind text NOT NULL,
        body jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'resident_submissions',
      'media',
      'open311_clients',
      'categories',
      'reference_counters',
      'timeline',
      'co_reports',
      'reports',
    ]) {
      await q.query(`DROP TABLE IF EXISTS "intake".${t}`);
    }
  }
}
