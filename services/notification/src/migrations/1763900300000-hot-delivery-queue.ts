import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes the delivery queue cheap to work: a claim touches no indexed column, so it is a HOT
 * update (the row's new version stays on its page, no index gets a new entry).
 *
 * - An open delivery (pending or sending) is one with neither `delivered_at` nor `dead_at`, which
 *   only change when it leaves the queue (or a replay puts it back). The claim and lane indexes
 *   are partial on that, not on `status`, which every claim changes; the claim index is keyed
 *   by `next_attempt_at` (a claim does not change it) instead of an expression over the lease.
 * - `status` is no longer indexed (it changes on every claim and completion; the old
 *   (status, seq) index also tempted generic plans of the completion into scanning every
 *   'sending' entry). The dead-letter list reads a partial index of dead rows (`dead_at` is set
 *   exactly while a row is dead).
 * - `deliveries_once` (event, recipient, channel) duplicated the primary key: the id is derived
 *   from exactly those three (deliveryIdOf), so the key already makes a repeat a no-op.
 * - Pages keep room for the claim's new row versions (fillfactor; applies to new pages).
 */
export class HotDeliveryQueue1763900300000 implements MigrationInterface {
  name = 'HotDeliveryQueue1763900300000';

  async up(q: QueryRunner): Promise<void> {
    const s = '"notification"';
    for (const sql of [
      `CREATE INDEX IF NOT EXISTS deliveries_open_due_idx ON ${s}.deliveries (next_attempt_at, seq)
         WHERE delivered_at IS NULL AND dead_at IS NULL`,
      `CREATE INDEX IF NOT EXISTS deliveries_open_lane_idx ON ${s}.deliveries (lane, seq)
         WHERE delivered_at IS NULL AND dead_at IS NULL`,
      `CREATE INDEX IF NOT EXISTS deliveries_dead_idx ON ${s}.deliveries (seq) WHERE dead_at IS NOT NULL`,
      `DROP INDEX IF EXISTS ${s}.deliveries_claimable_idx`,
      `DROP INDEX IF EXISTS ${s}.deliveries_lane_open_idx`,
      `DROP INDEX IF EXISTS ${s}.deliveries_status_idx`,
      `ALTER TABLE ${s}.deliveries DROP CONSTRAINT IF EXISTS deliveries_once`,
      `ALTER TABLE ${s}.deliveries SET (fillfactor = 75)`,
    ])
      await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = '"notification"';
    for (const sql of [
      `ALTER TABLE ${s}.deliveries RESET (fillfactor)`,
      `ALTER TABLE ${s}.deliveries ADD CONSTRAINT deliveries_once UNIQUE (event_id, recipient, channel)`,
      `CREATE INDEX IF NOT EXISTS deliveries_status_idx ON ${s}.deliveries (status, seq)`,
      `CREATE INDEX IF NOT EXISTS deliveries_lane_open_idx ON ${s}.deliveries (lane, seq) WHERE status IN ('pending', 'sending')`,
      `CREATE INDEX IF NOT EXISTS deliveries_claimable_idx ON ${s}.deliveries
         ((CASE WHEN status = 'sending' THEN lease_until ELSE next_attempt_at END), seq)
         WHERE status IN ('pending', 'sending')`,
      `DROP INDEX IF EXISTS ${s}.deliveries_dead_idx`,
      `DROP INDEX IF EXISTS ${s}.deliveries_open_lane_idx`,
      `DROP INDEX IF EXISTS ${s}.deliveries_open_due_idx`,
    ])
      await q.query(sql);
  }
}
