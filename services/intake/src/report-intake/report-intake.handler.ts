import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  CaseReportedPayload,
  CaseResidentPayload,
  CaseStatus,
  Channel,
  LocationDto,
  MediaRefDto,
  ReporterDto,
  Topic,
  ValidationFailedError,
} from '@app/contracts';
import type { NewEvent } from '@app/messaging';
import { bindWork, counter, JsonLogger, WorkContext } from '@app/observability';
import { hashRequest, IdempotencyService, LOGGER, MessagingService, StoredResponse } from '@app/platform';
import {
  duplicateKey,
  formatReference,
  hashTrackingToken,
  localDay,
  locationKey,
  newTrackingToken,
  RECEIVED_NOTE,
  TimelineEntry,
} from '../domain';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { seal, unseal } from '../shared/answer-seal';
import { CategoriesRepository } from '../shared/categories.repository';
import { ReferenceAllocator } from '../shared/reference-allocator';
import { NEW_REPORT_PARAMS, NewReportRow, ReportsRepository } from '../shared/reports.repository';

const reported = counter('cases_reported_total', 'New cases created from reports', ['channel']);
const duplicates = counter('duplicates_total', 'Reports attached to an open case as co-reports', ['channel']);

/** A report from any channel, already validated for shape. */
export interface SubmitReport {
  channel: Channel;
  description: string;
  categoryCode?: string;
  location: LocationDto;
  reporter: ReporterDto;
  media: MediaRefDto[];
  gridWorkerId?: string;
  attributes?: Record<string, string>;
  open311ClientId?: string;
}

export interface ReportAnswerBody {
  caseId: string;
  reference: string;
  trackingToken: string;
  status: CaseStatus;
  reportedAt: string;
  duplicateOf?: { caseId: string; reference: string };
  coReportId?: string;
}

export interface SubmitOptions {
  /** Idempotency-Key and its scope (per client). */
  idempotency?: { scope: string; key: string };
  /** Field names to use in validation errors (Open311 names differ). */
  fieldNames?: Partial<Record<'categoryCode' | 'reporter.preferredContact' | 'reporter.name', string>>;
}

/**
 * Takes a report: validates the rules the DTO cannot express, then atomically either attaches it
 * to an open case of the same category and place (co-report, case.co-reported) or creates a case
 * (reference, case.reported), with the Idempotency-Key row in the same transaction when there is
 * one. A report that cannot be a duplicate (no category or no place to match) and has no
 * Idempotency-Key is ONE autocommit statement (report, timeline entry and outbox row): no
 * BEGIN/COMMIT round trips. The tracking token is stored as a hash; a stored (idempotent) answer
 * holds it sealed.
 */
@Injectable()
export class ReportIntakeHandler {
  private readonly log: JsonLogger;
  private readonly sequences: ReferenceAllocator;

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: MessagingService,
    private readonly idempotency: IdempotencyService,
    private readonly reports: ReportsRepository,
    private readonly categories: CategoriesRepository,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('report-intake');
    this.sequences = new ReferenceAllocator(
      (day, size) => this.reports.reserveSequences(day, size),
      config.referenceBlockSize,
    );
  }

  async submit(
    report: SubmitReport,
    /** The request's work: its correlation id goes with the report's event and log line. */
    work: WorkContext,
    options: SubmitOptions = {},
  ): Promise<{ status: number; body: ReportAnswerBody; replayed: boolean }> {
    await this.checkRules(report, options);
    const at = new Date();
    const day = localDay(at);
    // The day's number comes from this process's reserved block, before any transaction (see
    // ReferenceAllocator); an idempotent replay or a co-report leaves it unused.
    const reference = formatReference(this.config.referencePrefix, day, await this.sequences.next(day));
    const canBeDuplicate = duplicateKey(report.categoryCode, report.location) !== undefined;
    let outcome: { status: number; body: ReportAnswerBody; replayed: boolean };
    // The clear tracking token of the report this request wrote (not set for a replay).
    let freshToken: string | undefined;
    if (options.idempotency) {
      const { scope, key } = options.idempotency;
      const res = await this.idempotency.execute(
        scope,
        key,
        hashRequest(report),
        async (m) => {
          const out = await this.apply(bindWork(m, work), work, report, at, reference, true);
          freshToken = out.token;
          return out.answer;
        },
        () => this.messaging.nudge(),
      );
      outcome = { status: res.status, body: res.body as ReportAnswerBody, replayed: res.replayed };
    } else {
      // Nothing stores this answer: the token is never sealed. Without a possible duplicate the
      // report is one statement, atomic by itself; the duplicate check needs a transaction (lock).
      const out = canBeDuplicate
        ? await this.dataSource.transaction((m) =>
            this.apply(bindWork(m, work), work, report, at, reference, false),
          )
        : await this.apply(this.dataSource.manager, work, report, at, reference, false);
      this.messaging.nudge();
      freshToken = out.token;
      outcome = { status: out.answer.status, body: out.answer.body as ReportAnswerBody, replayed: false };
    }
    if (!outcome.replayed) {
      if (outcome.body.duplicateOf) duplicates.inc({ channel: report.channel });
      else reported.inc({ channel: report.channel });
      this.log.info(outcome.body.duplicateOf ? 'report attached to an open case' : 'report accepted', {
        reference: outcome.body.reference,
        caseId: outcome.body.caseId,
        channel: report.channel,
        duplicateOf: outcome.body.duplicateOf?.reference,
        reporter: {
          name: report.reporter.name,
          phone: report.reporter.phone,
          confidential: report.reporter.confidential,
        },
        correlationId: work.correlationId,
      });
    }
    const b = outcome.body;
    // One key order whether the answer is fresh or replayed from jsonb.
    const body: ReportAnswerBody = {
      caseId: b.caseId,
      reference: b.reference,
      trackingToken:
        !outcome.replayed && freshToken !== undefined
          ? freshToken
          : unseal(this.config.answerKey, b.trackingToken),
      status: b.status,
      reportedAt: b.reportedAt,
      ...(b.duplicateOf
        ? { duplicateOf: { caseId: b.duplicateOf.caseId, reference: b.duplicateOf.reference } }
        : {}),
      ...(b.coReportId ? { coReportId: b.coReportId } : {}),
    };
    return { ...outcome, body };
  }

  private async checkRules(r: SubmitReport, options: SubmitOptions): Promise<void> {
    const name = (f: 'categoryCode' | 'reporter.preferredContact' | 'reporter.name'): string =>
      options.fieldNames?.[f] ?? f;
    const problems: { field: string; problems: string[] }[] = [];
    const rep = r.reporter;
    if (rep.anonymous) {
      for (const f of ['name', 'phone', 'email', 'wechatOpenId'] as const) {
        if (rep[f] !== undefined)
          problems.push({
            field: `reporter.${f}`,
            problems: ['must be empty when the reporter is anonymous'],
          });
      }
    }
    const needs: Record<string, keyof ReporterDto> = { sms: 'phone', email: 'email', wechat: 'wechatOpenId' };
    if (rep.preferredContact && rep.preferredContact !== 'none' && !rep[needs[rep.preferredContact]]) {
      problems.push({
        field: name('reporter.preferredContact'),
        problems: [`${rep.preferredContact} needs reporter.${String(needs[rep.preferredContact])}`],
      });
    }
    if (r.categoryCode && (await this.categories.check(r.categoryCode)) === 'unknown') {
      problems.push({ field: name('categoryCode'), problems: [`unknown category ${r.categoryCode}`] });
    }
    if (problems.length) {
      throw new ValidationFailedError(
        `Invalid request: check ${problems.map((p) => p.field).join(', ')}`,
        problems,
      );
    }
  }

  /**
   * Writes the report (or co-report) and its event with `m`: a transaction's manager, or the data
   * source's manager for a report that cannot be a duplicate (then it is one statement). Answers
   * the answer to store (with the token sealed when `sealToken`, for an idempotent answer) and
   * the clear token.
   */
  private async apply(
    m: EntityManager,
    work: WorkContext,
    r: SubmitReport,
    at: Date,
    reference: string,
    sealToken: boolean,
  ): Promise<{ answer: StoredResponse; token: string }> {
    const token = newTrackingToken();
    const tokenHash = hashTrackingToken(token);
    const trackingToken = sealToken ? seal(this.config.answerKey, token) : token;
    const dupKey = duplicateKey(r.categoryCode, r.location);
    const locKey = locationKey(r.location);
    const caseId = randomUUID();
    const reportedAt = at.toISOString();
    const row: NewReportRow = {
      caseId,
      reference,
      channel: r.channel,
      description: r.description,
      categoryCode: r.categoryCode,
      location: r.location,
      locationKey: locKey,
      reporter: r.reporter,
      media: r.media,
      gridWorkerId: r.gridWorkerId,
      attributes: r.attributes,
      open311ClientId: r.open311ClientId,
      trackingTokenHash: tokenHash,
      reportedAt: at,
    };
    const first: TimelineEntry = {
      type: 'case.reported',
      status: 'reported',
      note: RECEIVED_NOTE,
      at: reportedAt,
    };
    const reportedEvent = (): NewEvent => {
      const payload: CaseReportedPayload = {
        caseId,
        reference,
        channel: r.channel,
        description: r.description,
        ...(r.categoryCode ? { categoryCode: r.categoryCode } : {}),
        location: r.location,
        reporter: r.reporter,
        media: r.media,
        ...(r.gridWorkerId ? { gridWorkerId: r.gridWorkerId } : {}),
        reportedAt,
        ...(r.attributes && Object.keys(r.attributes).length ? { attributes: r.attributes } : {}),
      };
      return { topic: Topic.CaseReported, type: 'case.reported', key: caseId, caseId, payload };
    };
    const created: ReportAnswerBody = { caseId, reference, trackingToken, status: 'reported', reportedAt };
    if (!(dupKey && locKey && r.categoryCode)) {
      // ONE statement: report, first timeline entry and the case.reported outbox row.
      const outbox = this.messaging.outboxStatement([reportedEvent()], work, NEW_REPORT_PARAMS);
      await this.reports.insertReport(m, row, first, outbox);
      return { answer: { status: 201, body: created }, token };
    }
    // Serialises same-category reports at one place, so two at once make exactly one case.
    await this.reports.lockDuplicateKey(m, dupKey);
    const coReportId = randomUUID();
    // One statement: the search for an open case of the same key (after the lock), then either the
    // co-report on it or the new report with its first timeline entry.
    const open = await this.reports.insertReportOrCoReport(m, row, first, {
      categoryCode: r.categoryCode,
      locationKey: locKey,
      since: new Date(at.getTime() - this.config.duplicateWindowMinutes * 60_000),
      coReportId,
    });
    if (!open) {
      await this.messaging.publish(m, [reportedEvent()]);
      return { answer: { status: 201, body: created }, token };
    }
    const payload: CaseResidentPayload = {
      caseId: open.caseId,
      reference: open.reference,
      coReportId,
      reporter: r.reporter,
      comment: r.description.slice(0, 2000),
      at: reportedAt,
    };
    await this.messaging.publish(m, [
      {
        topic: Topic.CaseResident,
        type: 'case.co-reported',
        key: open.caseId,
        caseId: open.caseId,
        payload,
      },
    ]);
    const body: ReportAnswerBody = {
      caseId: open.caseId,
      reference: open.reference,
      trackingToken,
      status: open.status,
      reportedAt,
      duplicateOf: { caseId: open.caseId, reference: open.reference },
      coReportId,
    };
    return { answer: { status: 201, body }, token };
  }
}
