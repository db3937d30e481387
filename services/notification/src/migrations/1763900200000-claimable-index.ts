import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery worker's claim reads open deliveries by the time they are due at: a pending
 * row's `next_attempt_at`, a sending row's `lease_until` (its claim expired). One index on that
 * expression makes the claim an index range over due rows only; rows held for later (quiet
 * hours, backoff) are never read. It replaces deliveries_due_idx, which only the claim used.
 */
export class ClaimableIndex1763900200000 implements MigrationInterface {
  name = 'ClaimableIndex1763900200000';

  async up(q: QueryRunner): Promise<void> {
    const s = '"notification"';
    await q.query(
      `CREATE INDEX IF NOT EXISTS deliveries_claimable_idx ON ${s}.deliveries
         ((CASE WHEN status = 'sending' THEN lease_until ELSE next_attempt_at END), seq)
         WHERE status IN ('pending', 'sending')`,
    );
    await q.query(`DROP INDEX IF EXISTS ${s}.deliveries_due_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = '"notification"';
    await q.query(
      `CREATE INDEX IF NOT EXISTS deliveries_due_idx ON ${s}.deliveries (next_attempt_at) WHERE status IN ('pending', 'sending')`,
    );
    await q.query(`DROP INDEX IF EXISTS ${s}.deliveries_claimable_idx`);
  }
}
