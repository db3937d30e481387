import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The text search of the center's case list (`q`: description or reference) moves from two GIN
 * trigram indexes on dispatch.cases to `case_text`, a row per case written once with the case and
 * never updated. On cases every transition's UPDATE changes `status` (an indexed column), so no
 * update is HOT and each one inserted every trigram of the description and the reference again:
 * measured alone (pgbench, one client, the cases table and its indexes) a case update cost 0.55 ms
 * with every index and 0.32–0.39 ms without the two trigram ones (BENCHMARKS.md, session 17).
 */
export class CaseText1764700000000 implements MigrationInterface {
  name = 'CaseText1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "dispatch".case_text (
        case_id uuid PRIMARY KEY REFERENCES "dispatch".cases (case_id) ON DELETE CASCADE,
        reference text NOT NULL,
        description text NOT NULL
      )`);
    await q.query(
      `INSERT INTO "dispatch".case_text (case_id, reference, description)
       SELECT case_id, reference, description FROM "dispatch".cases`,
    );
    await q.query(
      `CREATE INDEX case_text_description_trgm_idx ON "dispatch".case_text USING gin (description gin_trgm_ops)`,
    );
    await q.query(
      `CREATE INDEX case_text_reference_trgm_idx ON "dispatch".case_text USING gin (reference gin_trgm_ops)`,
    );
    await q.query(`DROP INDEX IF EXISTS "dispatch".cases_description_trgm_idx`);
    await q.query(`DROP INDEX IF EXISTS "dispatch".cases_reference_trgm_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS cases_description_trgm_idx ON "dispatch".cases USING gin (description gin_trgm_ops)`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS cases_reference_trgm_idx ON "dispatch".cases USING gin (reference gin_trgm_ops)`,
    );
    await q.query(`DROP TABLE IF EXISTS "dispatch".case_text`);
  }
}
