import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CaseStatus, Channel, LocationDto, MediaRefDto, ReporterDto } from '@app/contracts';
import { InboxClaim, withInbox } from '@app/messaging';
import { FoldedLifecycle, hashTrackingToken, TimelineEntry, tokenMatchesAny } from '../domain';

/** A report row as intake keeps it (the report itself and the resident read model). */
export interface ReportRow {
  caseId: string;
  reference: string;
  channel: Channel;
  description: string;
  categoryCode: string | null;
  routedCategoryCode: string | null;
  location: LocationDto;
  reporter: ReporterDto;
  reporterConfidential: boolean;
  media: MediaRefDto[];
  gridWorkerId: string | null;
  attributes: Record<string, string> | null;
  status: CaseStatus;
  unitName: string | null;
  expectedAt: Date | null;
  infoRequested: boolean;
  mergedIntoReference: string | null;
  lastResidentNote: string | null;
  reportedAt: Date;
  updatedAt: Date;
}

const REPORT_COLUMNS = `case_id AS "caseId", reference, channel, description, category_code AS "categoryCode",
  routed_category_code AS "routedCategoryCode", location, reporter, reporter_confidential AS "reporterConfidential",
  media, grid_worker_id AS "gridWorkerId", attributes, status, unit_name AS "unitName", expected_at AS "expectedAt",
  info_requested AS "infoRequested", merged_into_reference AS "mergedIntoReference",
  last_resident_note AS "lastResidentNote", reported_at AS "reportedAt", updated_at AS "updatedAt"`;

export interface NewReportRow {
  caseId: string;
  reference: string;
  channel: Channel;
  description: string;
  categoryCode?: string;
  location: LocationDto;
  locationKey?: string;
  reporter: ReporterDto;
  media: MediaRefDto[];
  gridWorkerId?: string;
  attributes?: Record<string, string>;
  open311ClientId?: string;
  trackingTokenHash: Buffer;
  reportedAt: Date;
}

/** How many parameters a new report and its first timeline entry take ($1 to $24). */
export const NEW_REPORT_PARAMS = 24;

const REPORT_INSERT = `INSERT INTO intake.reports (case_id, reference, channel, description, category_code, location,
         grid_code, building_code, address_text, lat, lng, location_key, reporter, reporter_confidential, media,
         grid_worker_id, attributes, open311_client_id, tracking_token_hash, reported_at, updated_at)
       SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text, $8::text, $9::text,
         $10::float8, $11::float8, $12::text, $13::jsonb, $14::boolean, $15::jsonb, $16::text, $17::jsonb,
         $18::uuid, $19::bytea, $20::timestamptz, $20::timestamptz`;

const TIMELINE_INSERT = `INSERT INTO intake.timeline (case_id, type, status, note, at)
       SELECT case_id, $21::text, $22::text, $23::text, $24::timestamptz FROM r`;

function reportParams(r: NewReportRow, first: TimelineEntry): unknown[] {
  return [
    r.caseId,
    r.reference,
    r.channel,
    r.description,
    r.categoryCode ?? null,
    JSON.stringify(r.location),
    r.location.gridCode ?? null,
    r.location.buildingCode ?? null,
    r.location.addressText ?? null,
    r.location.lat ?? null,
    r.location.lng ?? null,
    r.locationKey ?? null,
    JSON.stringify(r.reporter),
    r.reporter.confidential,
    JSON.stringify(r.media),
    r.gridWorkerId ?? null,
    r.attributes ? JSON.stringify(r.attributes) : null,
    r.open311ClientId ?? null,
    r.trackingTokenHash,
    r.reportedAt,
    first.type,
    first.status,
    first.note ?? null,
    first.at,
  ];
}

/** SQL of intake's report tables (parameters only; the schema is intake's own). */
@Injectable()
export class ReportsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reserves the next `size` numbers of the day for references and answers the last of them (the
   * counter's new value): one short autocommit statement, so the day's counter row is locked for
   * microseconds, never for a report's transaction. See ReferenceAllocator for the blocks.
   */
  async reserveSequences(day: string, size: number): Promise<number> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO intake.reference_counters (day, last_value) VALUES ($1, $2)
       ON CONFLICT (day) DO UPDATE SET last_value = intake.reference_counters.last_value + EXCLUDED.last_value
       RETURNING last_value`,
      [day, size],
    )) as { last_value: number }[];
    return row.last_value;
  }

  async lockDuplicateKey(m: EntityManager, key: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`intake:duplicate:${key}`]);
  }

  /**
   * ONE statement for a new report that cannot be a duplicate (no category or no place to match):
   * the report, its first timeline entry and its outbox row (`outbox`, captured from the messaging
   * library with its placeholders after the report's NEW_REPORT_PARAMS). One statement is atomic by
   * itself, so outside a transaction it needs no BEGIN/COMMIT round trips.
   */
  async insertReport(
    m: EntityManager,
    r: NewReportRow,
    first: TimelineEntry,
    outbox: { sql: string; params: unknown[] },
  ): Promise<void> {
    await m.query(`WITH r AS (${REPORT_INSERT} RETURNING case_id), t AS (${TIMELINE_INSERT}) ${outbox.sql}`, [
      ...reportParams(r, first),
      ...outbox.params,
    ]);
  }

  /**
   * ONE statement for a report that may be a duplicate (the caller holds the duplicate-key lock):
   * looks for the earliest open case of the same category at the same place since `since`; if
   * there is one, adds the report to it as co-report `coReportId`, otherwise inserts the report
   * with its first timeline entry. Answers the open case it was attached to, if any. (The lock
   * stays a statement of its own: a statement's snapshot is taken before it waits for a lock, so
   * the search must start after the lock is held.)
   */
  async insertReportOrCoReport(
    m: EntityManager,
    r: NewReportRow,
    first: TimelineEntry,
    duplicate: { categoryCode: string; locationKey: string; since: Date; coReportId: string },
  ): Promise<{ caseId: string; reference: string; status: CaseStatus } | undefined> {
    const [open] = (await m.query(
      `WITH dup AS (
         SELECT case_id, reference, status FROM intake.reports
          WHERE location_key = $25 AND COALESCE(routed_category_code, category_code) = $26
            AND status NOT IN ('closed', 'cancelled', 'merged') AND reported_at >= $27
          ORDER BY reported_at LIMIT 1
       ), co AS (
         INSERT INTO intake.co_reports (id, case_id, channel, description, reporter, media, tracking_token_hash,
           reported_at)
         SELECT $28::uuid, case_id, $3::text, $4::text, $13::jsonb, $15::jsonb, $19::bytea, $20::timestamptz FROM dup
       ), r AS (
         ${REPORT_INSERT} WHERE NOT EXISTS (SELECT 1 FROM dup) RETURNING case_id
       ), t AS (
         ${TIMELINE_INSERT}
       )
       SELECT case_id AS "caseId", reference, status FROM dup`,
      [
        ...reportParams(r, first),
        duplicate.locationKey,
        duplicate.categoryCode,
        duplicate.since,
        duplicate.coReportId,
      ],
    )) as { caseId: string; reference: string; status: CaseStatus }[];
    return open;
  }

  async timeline(caseId: string): Promise<TimelineEntry[]> {
    const rows = (await this.dataSource.query(
      `SELECT type, status, note, at FROM intake.timeline WHERE case_id = $1 ORDER BY at, id`,
      [caseId],
    )) as { type: string; status: CaseStatus; note: string | null; at: Date }[];
    return rows.map((r) => ({
      type: r.type,
      status: r.status,
      ...(r.note ? { note: r.note } : {}),
      at: r.at.toISOString(),
    }));
  }

  async byReference(reference: string, m?: EntityManager): Promise<ReportRow | undefined> {
    const [row] = (await (m ?? this.dataSource).query(
      `SELECT ${REPORT_COLUMNS} FROM intake.reports WHERE reference = $1`,
      [reference],
    )) as ReportRow[];
    return row;
  }

  /**
   * The report a tracking token opens, and which co-report it belongs to (if it is a co-reporter's
   * token). Undefined for a wrong or missing token and for an unknown reference alike.
   */
  async byReferenceAndToken(
    reference: string,
    token: string | undefined,
    m?: EntityManager,
  ): Promise<{ report: ReportRow; coReportId?: string } | undefined> {
    const q = m ?? this.dataSource;
    const [row] = (await q.query(
      `SELECT ${REPORT_COLUMNS}, tracking_token_hash AS "tokenHash" FROM intake.reports WHERE reference = $1 ${m ? 'FOR UPDATE' : ''}`,
      [reference],
    )) as (ReportRow & { tokenHash: Buffer })[];
    if (!row) {
      tokenMatchesAny(token, [hashTrackingToken('')]);
      return undefined;
    }
    const { tokenHash, ...report } = row;
    if (tokenMatchesAny(token, [tokenHash])) return { report };
    const co = (await q.query(
      `SELECT id, tracking_token_hash AS "tokenHash" FROM intake.co_reports WHERE case_id = $1`,
      [row.caseId],
    )) as { id: string; tokenHash: Buffer }[];
    const match = co.find((c) => tokenMatchesAny(token, [c.tokenHash]));
    return match ? { report, coReportId: match.id } : undefined;
  }

  /** The report a (secret) tracking token belongs to, by its hash; for Open311 GET tokens/{token}. */
  async referenceByToken(token: string): Promise<string | undefined> {
    const hash = hashTrackingToken(token);
    const [row] = (await this.dataSource.query(
      `SELECT reference FROM intake.reports WHERE tracking_token_hash = $1
       UNION ALL
       SELECT r.reference FROM intake.co_reports c JOIN intake.reports r ON r.case_id = c.case_id WHERE c.tracking_token_hash = $1
       LIMIT 1`,
      [hash],
    )) as { reference: string }[];
    return row?.reference;
  }

  /**
   * Applies lifecycle changes to the residents' views in ONE statement, folded to one patch per
   * case by `foldLifecycle` (one event, or a consumer chunk's): fields a patch leaves out keep
   * their value (under the UPDATE's row lock), and a case's entries are appended in order when
   * its report exists. Answers the cases intake knows. The rows are found by an array of their
   * keys (an index lookup in any plan): joined to the recordset alone, a plan cached while the
   * table was small (the recordset guessed at 100 rows) scanned all of it on every call as it
   * grew (4.5 ms a chunk at 100 cases/s). `inbox`: the consumed event's inbox row, written by
   * the same statement (see withInbox; one event alone).
   */
  async applyLifecyclePatches(
    m: EntityManager,
    folded: FoldedLifecycle[],
    inbox?: InboxClaim,
  ): Promise<Set<string>> {
    if (!folded.length) return new Set();
    const views = folded.map(({ caseId, patch: v }) => ({
      case_id: caseId,
      status: v.status,
      unit_name: v.unitName ?? null,
      expected_at: v.expectedAt ?? null,
      routed_category_code: v.routedCategoryCode ?? null,
      info_requested: v.infoRequested ?? null,
      merged_into_reference: v.mergedIntoReference ?? null,
      last_resident_note: v.lastResidentNote ?? null,
    }));
    const entries = folded
      .flatMap(({ caseId, entries: es }) => es.map((e) => ({ caseId, ...e })))
      .map((e, ord) => ({
        ord,
        case_id: e.caseId,
        event_id: e.eventId,
        type: e.type,
        status: e.status,
        note: e.note ?? null,
        at: e.at,
      }));
    const [sql, params] = withInbox(
      inbox,
      `WITH v AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(case_id uuid, status text, unit_name text,
           expected_at timestamptz, routed_category_code text, info_requested boolean,
           merged_into_reference text, last_resident_note text)
       ), r AS (
         UPDATE intake.reports p SET status = v.status, unit_name = COALESCE(v.unit_name, p.unit_name),
           expected_at = COALESCE(v.expected_at, p.expected_at),
           routed_category_code = COALESCE(v.routed_category_code, p.routed_category_code),
           info_requested = COALESCE(v.info_requested, p.info_requested),
           merged_into_reference = COALESCE(v.merged_into_reference, p.merged_into_reference),
           last_resident_note = COALESCE(v.last_resident_note, p.last_resident_note), updated_at = now()
         FROM v WHERE p.case_id = ANY(ARRAY(SELECT case_id FROM v)) AND p.case_id = v.case_id
         RETURNING p.case_id
       ), t AS (
         INSERT INTO intake.timeline (case_id, event_id, type, status, note, at)
         SELECT e.case_id, e.event_id, e.type, e.status, e.note, e.at
         FROM jsonb_to_recordset($2::jsonb) AS e(ord int, case_id uuid, event_id uuid, type text, status text,
           note text, at timestamptz)
         WHERE e.case_id IN (SELECT case_id FROM r)
         ORDER BY e.ord
         ON CONFLICT (event_id) DO NOTHING
       )
       SELECT case_id FROM r`,
      [JSON.stringify(views), JSON.stringify(entries)],
    );
    const rows = (await m.query(sql, params)) as { case_id: string }[];
    return new Set(rows.map((r) => r.case_id));
  }

  async setInfoRequested(m: EntityManager, caseId: string, value: boolean): Promise<void> {
    await m.query(`UPDATE intake.reports SET info_requested = $2, updated_at = now() WHERE case_id = $1`, [
      caseId,
      value,
    ]);
  }

  async recordSubmission(
    m: EntityManager,
    s: { id: string; caseId: string; coReportId?: string; kind: string; body: object },
  ): Promise<void> {
    await m.query(
      `INSERT INTO intake.resident_submissions (id, case_id, co_report_id, kind, body) VALUES ($1, $2, $3, $4, $5::jsonb)`,
      [s.id, s.caseId, s.coReportId ?? null, s.kind, JSON.stringify(s.body)],
    );
  }
}
