import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CaseResidentPayload, DomainError, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import type { WorkContext } from '@app/observability';
import { INTAKE_ERRORS, reportNotFound } from '../shared/intake-errors';
import { ReportsRepository } from '../shared/reports.repository';
import type { FeedbackDto, ReportStatusView } from './report-tracking.dto';

/** What a resident holding the tracking token can see and do (no existence leak without it). */
@Injectable()
export class ReportTrackingHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: MessagingService,
    private readonly reports: ReportsRepository,
  ) {}

  async view(reference: string, token: string | undefined): Promise<ReportStatusView> {
    const found = await this.reports.byReferenceAndToken(reference, token);
    if (!found) throw reportNotFound();
    const r = found.report;
    const category = r.routedCategoryCode ?? r.categoryCode;
    return {
      reference: r.reference,
      status: r.status,
      ...(r.unitName ? { responsibleUnit: r.unitName } : {}),
      ...(r.expectedAt ? { expectedBy: new Date(r.expectedAt).toISOString() } : {}),
      ...(category ? { categoryCode: category } : {}),
      reportedAt: new Date(r.reportedAt).toISOString(),
      infoRequested: r.infoRequested,
      awaitingFeedback: r.status === 'resolved',
      ...(r.mergedIntoReference ? { mergedIntoReference: r.mergedIntoReference } : {}),
      timeline: await this.reports.timeline(r.caseId),
    };
  }

  async feedback(
    reference: string,
    token: string | undefined,
    dto: FeedbackDto,
    work: WorkContext,
  ): Promise<void> {
    await this.messaging.transaction(work, async (m) => {
      const found = await this.reports.byReferenceAndToken(reference, token, m);
      if (!found) throw reportNotFound();
      const r = found.report;
      if (r.status !== 'resolved') {
        throw new DomainError(
          INTAKE_ERRORS.NotAwaitingFeedback,
          `Case ${r.reference} is ${r.status}; feedback is taken once it is resolved`,
          { status: r.status },
          409,
        );
      }
      const at = new Date().toISOString();
      await this.reports.recordSubmission(m, {
        id: randomUUID(),
        caseId: r.caseId,
        coReportId: found.coReportId,
        kind: 'feedback',
        body: dto,
      });
      const payload: CaseResidentPayload = {
        caseId: r.caseId,
        reference: r.reference,
        ...(found.coReportId ? { coReportId: found.coReportId } : {}),
        confirmed: dto.confirmed,
        satisfaction: dto.satisfaction,
        ...(dto.comment !== undefined ? { comment: dto.comment } : {}),
        at,
      };
      return {
        result: undefined,
        events: [
          {
            topic: Topic.CaseResident,
            type: 'case.feedback-submitted',
            key: r.caseId,
            caseId: r.caseId,
            payload,
          },
        ],
      };
    });
  }

  async provideInfo(
    reference: string,
    token: string | undefined,
    text: string,
    work: WorkContext,
  ): Promise<void> {
    await this.messaging.transaction(work, async (m) => {
      const found = await this.reports.byReferenceAndToken(reference, token, m);
      if (!found) throw reportNotFound();
      const r = found.report;
      if (!r.infoRequested) {
        throw new DomainError(
          INTAKE_ERRORS.InfoNotRequested,
          `The center has not asked for more information on ${r.reference}`,
          { status: r.status },
          409,
        );
      }
      await this.reports.recordSubmission(m, {
        id: randomUUID(),
        caseId: r.caseId,
        coReportId: found.coReportId,
        kind: 'info',
        body: { text },
      });
      await this.reports.setInfoRequested(m, r.caseId, false);
      const payload: CaseResidentPayload = {
        caseId: r.caseId,
        reference: r.reference,
        ...(found.coReportId ? { coReportId: found.coReportId } : {}),
        comment: text,
        at: new Date().toISOString(),
      };
      return {
        result: undefined,
        events: [
          { topic: Topic.CaseResident, type: 'case.info-provided', key: r.caseId, caseId: r.caseId, payload },
        ],
      };
    });
  }
}
