import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CaseStatus, Channel, LocationDto, MediaRefDto, ReporterDto } from '@app/contracts';
import { hashTrackingToken, ResidentView, TimelineEntry, tokenMatchesAny } from '../domain';

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

/** SQL of intake's report tables (parameters only; the schema is intake's own). */
@Injectable()
export class ReportsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Next number of the day for a reference. Called before the report's transaction, as a statement
   * of its own: the counter row is locked for microseconds instead of a whole report transaction, so
   * reports do not commit one at a time (and no request holds two pool connections). A report that
   * then fails, is a co-report, or is an idempotent replay leaves a gap in the day's numbers, which
   * is harmless: references are unique, not dense.
   */
  async nextSequence(day: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO intake.reference_counters (day, last_value) VALUES ($1, 1)
       ON CONFLICT (day) DO UPDATE SET last_value = intake.reference_counters.last_value + 1
       RETURNING last_value`,
      [day],
    )) as { last_value: number }[];
    return row.last_value;
  }

  async lockDuplicateKey(m: EntityManager, key: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`intake:duplicate:${key}`]);
  }

  async findOpenDuplicate(
    m: EntityManager,
    categoryCode: string,
    locationKey: string,
    since: Date,
  ): Promise<{ caseId: string; reference: string; status: CaseStatus } | undefined> {
    const [row] = (await m.query(
      `SELECT case_id AS "caseId", reference, status FROM intake.reports
        WHERE location_key = $1 AND COALESCE(routed_category_code, category_code) = $2
          AND status NOT IN ('closed', 'cancelled', 'merged') AND reported_at >= $3
        ORDER BY reported_at LIMIT 1`,
      [locationKey, categoryCode, since],
    )) as { caseId: string; reference: string; status: CaseStatus }[];
    return row;
  }

  async insertReport(m: EntityManager, r: NewReportRow): Promise<void> {
    await m.query(
      `INSERT INTO intake.reports (case_id, reference, channel, description, category_code, location, grid_code,
         building_code, address_text, lat, lng, location_key, reporter, reporter_confidential, media, grid_worker_id,
         attributes, open311_client_id, tracking_token_hash, reported_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15::jsonb, $16, $17::jsonb, $18, $19, $20, $20)`,
      [
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
      ],
    );
  }

  async insertCoReport(
    m: EntityManager,
    r: {
      id: string;
      caseId: string;
      channel: Channel;
      description: string;
      reporter: ReporterDto;
      media: MediaRefDto[];
      trackingTokenHash: Buffer;
      reportedAt: Date;
    },
  ): Promise<void> {
    await m.query(
      `INSERT INTO intake.co_reports (id, case_id, channel, description, reporter, media, tracking_token_hash, reported_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8)`,
      [
        r.id,
        r.caseId,
        r.channel,
        r.description,
        JSON.stringify(r.reporter),
        JSON.stringify(r.media),
        r.trackingTokenHash,
        r.reportedAt,
      ],
    );
  }

  async appendTimeline(
    m: EntityManager,
    caseId: string,
    entry: TimelineEntry,
    eventId?: string,
  ): Promise<void> {
    await m.query(
      `INSERT INTO intake.timeline (case_id, event_id, type, status, note, at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id) DO NOTHING`,
      [caseId, eventId ?? null, entry.type, entry.status, entry.note ?? null, entry.at],
    );
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

  async byCaseIdForUpdate(m: EntityManager, caseId: string): Promise<ReportRow | undefined> {
    const [row] = (await m.query(
      `SELECT ${REPORT_COLUMNS} FROM intake.reports WHERE case_id = $1 FOR UPDATE`,
      [caseId],
    )) as ReportRow[];
    return row;
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

  async saveView(m: EntityManager, caseId: string, v: ResidentView): Promise<void> {
    await m.query(
      `UPDATE intake.reports SET status = $2, unit_name = $3, expected_at = $4, routed_category_code = $5,
         info_requested = $6, merged_into_reference = $7, last_resident_note = $8, updated_at = now()
       WHERE case_id = $1`,
      [
        caseId,
        v.status,
        v.unitName ?? null,
        v.expectedAt ?? null,
        v.routedCategoryCode ?? null,
        v.infoRequested,
        v.mergedIntoReference ?? null,
        v.lastResidentNote ?? null,
      ],
    );
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
