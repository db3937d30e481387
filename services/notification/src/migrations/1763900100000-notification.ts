import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notification's own data: what it knows of cases and their residents, the unit directory
 * (copy of reference.units.v1), center role contacts, and the durable delivery queue with every
 * attempt. `deliveries` is unique per (event, recipient, channel): one notification, however
 * often the event arrives.
 */
export class Notification1763900100000 implements MigrationInterface {
  name = 'Notification1763900100000';

  async up(q: QueryRunner): Promise<void> {
    const s = '"notification"';
    const statements = [
      `CREATE TABLE ${s}.cases (
        case_id uuid PRIMARY KEY,
        reference text NOT NULL,
        summary text,
        priority text,
        reporter_confidential boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.case_residents (
        case_id uuid NOT NULL,
        resident_key text NOT NULL,
        phone text,
        email text,
        wechat_open_id text,
        preferred_contact text,
        locale text NOT NULL DEFAULT 'zh-CN',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (case_id, resident_key)
      )`,
      `CREATE TABLE ${s}.units (
        unit_id text PRIMARY KEY,
        name text NOT NULL,
        unit_type text NOT NULL,
        contact jsonb NOT NULL DEFAULT '{}'::jsonb,
        supervisor_contact jsonb,
        webhook_url text,
        webhook_secret text,
        active boolean NOT NULL,
        version int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.role_recipients (
        role text PRIMARY KEY,
        email text,
        phone text,
        wechat_open_id text,
        locale text NOT NULL DEFAULT 'zh-CN',
        active boolean NOT NULL DEFAULT true,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${s}.deliveries (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        case_id uuid,
        reference text,
        recipient text NOT NULL,
        recipient_kind text NOT NULL,
        channel text NOT NULL,
        endpoint text NOT NULL,
        lane text NOT NULL,
        template_key text NOT NULL,
        locale text NOT NULL,
        urgent boolean NOT NULL DEFAULT false,
        subject text NOT NULL,
        body text NOT NULL,
        data jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        total_attempts int NOT NULL DEFAULT 0,
        replays int NOT NULL DEFAULT 0,
        not_before timestamptz,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        claim_token uuid,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        dead_at timestamptz,
        last_error text,
        last_http_status int,
        CONSTRAINT deliveries_once UNIQUE (event_id, recipient, channel)
      )`,
      `CREATE INDEX deliveries_due_idx ON ${s}.deliveries (next_attempt_at) WHERE status IN ('pending', 'sending')`,
      `CREATE INDEX deliveries_lane_open_idx ON ${s}.deliveries (lane, seq) WHERE status IN ('pending', 'sending')`,
      `CREATE INDEX deliveries_case_idx ON ${s}.deliveries (case_id, seq)`,
      `CREATE INDEX deliveries_recipient_idx ON ${s}.deliveries (recipient, seq)`,
      `CREATE INDEX deliveries_status_idx ON ${s}.deliveries (status, seq)`,
      `CREATE TABLE ${s}.delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES ${s}.deliveries (id) ON DELETE CASCADE,
        attempt_no int NOT NULL,
        channel text NOT NULL,
        provider text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('ok', 'failed', 'timeout')),
        http_status int,
        latency_ms int NOT NULL,
        error text,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX delivery_attempts_delivery_idx ON ${s}.delivery_attempts (delivery_id, id)`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'delivery_attempts',
      'deliveries',
      'role_recipients',
      'units',
      'case_residents',
      'cases',
    ]) {
      await q.query(`DROP TABLE IF EXISTS "notification".${t}`);
    }
  }
}
