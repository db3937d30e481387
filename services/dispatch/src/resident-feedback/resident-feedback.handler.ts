import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CaseResidentPayload, ResidentEventType, Satisfaction } from '@app/contracts';
import { JsonLogger, workOf } from '@app/observability';
import { LOGGER } from '@app/platform';
import { allowedCommands } from '../domain';
import { CaseRepository, CaseWorkflow } from '../cases';
import { S } from '../dispatch.config';

/**
 * What residents add to a case, relayed by intake (which verified the tracking token):
 * feedback confirms (closes) or, when unsatisfied, reopens to the same lead unit; information
 * asked for resumes the case; a co-report is a timeline entry. Events that no longer apply
 * (the case was auto-closed meanwhile, ...) are ignored and logged.
 */
@Injectable()
export class ResidentFeedbackHandler {
  private readonly log: JsonLogger;

  constructor(
    private readonly cases: CaseRepository,
    private readonly workflow: CaseWorkflow,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('resident-feedback');
  }

  async handle(manager: EntityManager, type: ResidentEventType, p: CaseResidentPayload): Promise<string> {
    const loaded = await this.cases.lock(manager, p.caseId);
    if (!loaded) {
      this.log.warn(
        `ignored ${type} for a case dispatch does not know`,
        { caseId: p.caseId },
        workOf(manager),
      );
      return 'ignored';
    }
    const at = new Date(p.at);
    const now = new Date();
    switch (type) {
      case 'case.feedback-submitted': {
        const satisfaction: Satisfaction =
          p.satisfaction ?? (p.confirmed === false ? 'unsatisfied' : 'satisfied');
        const applies = allowedCommands(loaded.state).includes('confirm');
        await manager.query(
          `INSERT INTO ${S}.feedback (case_id, at, satisfaction, confirmed, comment, outcome) VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            p.caseId,
            at,
            satisfaction,
            p.confirmed ?? null,
            p.comment ?? null,
            !applies
              ? `ignored:${loaded.state.status}`
              : satisfaction === 'unsatisfied'
                ? 'reopened'
                : 'closed',
          ],
        );
        if (!applies) {
          this.log.info(`ignored feedback: the case is ${loaded.state.status}`, { caseId: p.caseId });
          return 'ignored';
        }
        await this.workflow.apply(
          manager,
          loaded,
          {
            type: 'confirm',
            satisfaction,
            ...(p.comment ? { comment: p.comment } : {}),
            ...(satisfaction === 'unsatisfied' ? { reopenTaskId: randomUUID() } : {}),
            actorId: 'resident',
          },
          { now },
        );
        return satisfaction === 'unsatisfied' ? 'reopened' : 'closed';
      }
      case 'case.info-provided': {
        if (!allowedCommands(loaded.state).includes('provide_info')) {
          this.log.info(`ignored info-provided: the case is ${loaded.state.status}`, { caseId: p.caseId });
          return 'ignored';
        }
        await this.workflow.apply(
          manager,
          loaded,
          { type: 'provide_info', text: p.comment ?? '', actorId: 'resident' },
          { now },
        );
        return 'resumed';
      }
      case 'case.co-reported': {
        await this.workflow.note(manager, {
          caseId: p.caseId,
          at,
          actorKind: 'resident',
          eventType: 'case.co-reported',
          visibility: ['center'],
          ...(p.comment ? { note: p.comment } : {}),
          data: { coReportId: p.coReportId, reporter: p.reporter },
        });
        return 'noted';
      }
    }
  }
}
