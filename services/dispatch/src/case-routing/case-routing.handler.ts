import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  DomainError,
  EventEnvelope,
  Topic,
  UnitRefDto,
} from '@app/contracts';
import type { InboxClaim } from '@app/messaging';
import { JsonLogger, workOf } from '@app/observability';
import { LOGGER } from '@app/platform';
import { allowedCommands, DISPATCH_ERRORS, isFinalStatus, UnitAssignment } from '../domain';
import { CaseEventsPublisher, CaseRepository, CaseWorkflow, CREATE_PARAMS, LoadedCase } from '../cases';
import { UnitsRepository } from '../units';

export type RoutingOutcome = 'assigned' | 'triaged' | 'ignored';

/** The support units of a routing answer: every one but the lead. */
function supportOf(p: CaseRoutedPayload) {
  return p.support.filter((u) => u.unitId !== p.lead.unitId);
}

/**
 * Routing's answers: `case.routed` creates the case (first time) or routes it again after a
 * return (attempt > 1); `case.triage-required` puts it in the center's triage queue. A stale or
 * duplicate answer (lower attempt, case already working or closed) is ignored and logged.
 */
@Injectable()
export class CaseRoutingHandler {
  private readonly log: JsonLogger;

  constructor(
    private readonly cases: CaseRepository,
    private readonly workflow: CaseWorkflow,
    private readonly units: UnitsRepository,
    private readonly events: CaseEventsPublisher,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('case-routing');
  }

  /**
   * `event`: routing's answer, projected into the ops model by the statement that creates the
   * case; `inbox` (an event handled alone): its inbox row, written by that statement too.
   */
  async routed(
    manager: EntityManager,
    event: EventEnvelope<CaseRoutedPayload>,
    inbox?: InboxClaim,
  ): Promise<RoutingOutcome> {
    const p = event.payload;
    const routing = await this.routeOf(manager, event);
    const { init, route, options } = routing;
    if (!route.support.length) {
      // The common case, a new case with a lead unit only: created assigned in one statement.
      if (await this.createAssigned(manager, event, routing, inbox, 'always')) return 'assigned';
      inbox = undefined; // that statement wrote it
    }
    const { loaded } = await this.cases.createOrLock(
      manager,
      p.report,
      init,
      this.events.routingProjection(Topic.CaseRouted, event, CREATE_PARAMS),
      inbox,
    );
    if (this.isStale(loaded, p.attempt, 'case.routed')) return 'ignored';
    try {
      await this.workflow.apply(manager, loaded, route, options);
      return 'assigned';
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== DISPATCH_ERRORS.UnitExcluded) throw err;
      // Routing picked a unit that already returned the case: a person decides instead.
      this.log.warn(
        'routing chose a unit that already returned the case; sending it to triage',
        { caseId: loaded.caseId },
        workOf(manager),
      );
      await this.workflow.apply(
        manager,
        loaded,
        {
          type: 'triage',
          reason: 'TOO_MANY_RETURNS',
          reasons: [`routed to ${p.lead.unitId}, which already returned this case`],
          priority: p.priority,
          categoryCode: p.categoryCode,
          actorId: 'routing',
        },
        { slaPolicy: p.slaPolicy, routingAttempt: p.attempt, triageReason: 'TOO_MANY_RETURNS' },
      );
      return 'triaged';
    }
  }

  /**
   * `case.routed` as one statement outside any transaction (the consumer's `alone`): a new case
   * with a lead unit only is created assigned, its inbox row with it. False, with nothing
   * written, when the case exists or support units come with the lead (two lifecycle events):
   * then `routed` follows in a transaction.
   */
  async routedAlone(
    manager: EntityManager,
    event: EventEnvelope<CaseRoutedPayload>,
    inbox: InboxClaim,
  ): Promise<boolean> {
    if (supportOf(event.payload).length) return false;
    return this.createAssigned(manager, event, await this.routeOf(manager, event), inbox, 'created');
  }

  private async createAssigned(
    manager: EntityManager,
    event: EventEnvelope<CaseRoutedPayload>,
    { init, route, options }: Awaited<ReturnType<CaseRoutingHandler['routeOf']>>,
    inbox: InboxClaim | undefined,
    inboxWhen: 'always' | 'created',
  ): Promise<boolean> {
    const p = event.payload;
    const created = await this.workflow.createWith(
      manager,
      this.cases.fresh(p.report, init),
      init,
      route,
      options,
      (assigned, offset, guard) => this.events.routedAndAssignedProjection(event, assigned, offset, guard),
      inbox,
      inboxWhen,
    );
    return !!created;
  }

  /** Routing's answer as the workflow's route command, with the case's initial values. */
  private async routeOf(manager: EntityManager, event: EventEnvelope<CaseRoutedPayload>) {
    const p = event.payload;
    const init = { priority: p.priority, categoryCode: p.categoryCode, mandatoryReport: p.mandatoryReport };
    const lead = await this.assignment(manager, p.lead);
    const support = await Promise.all(supportOf(p).map((u) => this.assignment(manager, u)));
    const route = {
      type: 'route' as const,
      lead,
      support,
      priority: p.priority,
      categoryCode: p.categoryCode,
      actorId: 'routing',
    };
    return { init, route, options: { slaPolicy: p.slaPolicy, routingAttempt: p.attempt } };
  }

  async triageRequired(
    manager: EntityManager,
    event: EventEnvelope<CaseTriageRequiredPayload>,
    inbox?: InboxClaim,
  ): Promise<RoutingOutcome> {
    const p = event.payload;
    const { loaded } = await this.cases.createOrLock(
      manager,
      p.report,
      { priority: p.priority, categoryCode: p.categoryCode, mandatoryReport: p.mandatoryReport },
      this.events.routingProjection(Topic.CaseTriageRequired, event, CREATE_PARAMS),
      inbox,
    );
    if (this.isStale(loaded, p.attempt, 'case.triage-required')) return 'ignored';
    await this.workflow.apply(
      manager,
      loaded,
      {
        type: 'triage',
        reason: p.reason,
        reasons: p.reasons,
        priority: p.priority,
        ...(p.categoryCode ? { categoryCode: p.categoryCode } : {}),
        actorId: 'routing',
      },
      {
        ...(p.slaPolicy ? { slaPolicy: p.slaPolicy } : {}),
        routingAttempt: p.attempt,
        triageReason: p.reason,
      },
    );
    return 'triaged';
  }

  private isStale(loaded: LoadedCase, attempt: number, what: string): boolean {
    const s = loaded.state;
    const reason = isFinalStatus(s.status)
      ? `the case is ${s.status}`
      : attempt <= loaded.routingAttempt
        ? `attempt ${attempt} is not newer than ${loaded.routingAttempt}`
        : !allowedCommands(s).includes('route')
          ? `the case is ${s.status}, not awaiting routing`
          : undefined;
    if (reason) this.log.info(`ignored a stale ${what}: ${reason}`, { caseId: loaded.caseId, attempt });
    return !!reason;
  }

  private async assignment(manager: EntityManager, u: UnitRefDto): Promise<UnitAssignment> {
    const known = u.unitName ? undefined : await this.units.byId(manager, u.unitId);
    const unitName = u.unitName ?? known?.name;
    return {
      taskId: randomUUID(),
      unitId: u.unitId,
      unitType: u.unitType,
      ...(unitName ? { unitName } : {}),
    };
  }
}
