import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseRoutedPayload, CaseTriageRequiredPayload, ReportSnapshot, Topic } from '@app/contracts';
import { InboxClaim, NewEvent, withInbox, workBoundTo } from '@app/messaging';
import { workOf } from '@app/observability';
import { counter, histogram, JsonLogger } from '@app/observability';
import { LOGGER, MessagingService, PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import { decide, DecideInput, LocationInput, RoutingDecision } from '../domain';
import { RefDataCache } from '../reference-data/ref-data.cache';
import { slaPolicySnapshot } from '../reference-data/reference.mapper';

const routedTotal = counter('cases_routed_total', 'Routing decisions published', ['outcome', 'unit_type']);
const decisionSeconds = histogram(
  'routing_decision_seconds',
  'Time to decide who must act (reference data included)',
  ['source'],
);

export interface RouteCommand {
  report: ReportSnapshot;
  /** Category as the case now stands (the center may have corrected it). */
  categoryCode?: string;
  excludedUnitIds: string[];
  returnCount: number;
  attempt: number;
}

export interface DecisionWithVersion {
  decision: RoutingDecision;
  ruleVersion: number;
  at: Date;
}

/**
 * Live routing and explain share this: the same cached reference data, the same pure `decide`.
 * Live routing stores the decision (case id + attempt is unique: a second delivery of the same
 * report does nothing) and publishes case.routed or case.triage-required through the outbox, in
 * one statement.
 */
@Injectable()
export class RouteCaseHandler {
  private readonly s: string;
  private readonly log: JsonLogger;

  constructor(
    private readonly cache: RefDataCache,
    private readonly messaging: MessagingService,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.s = `"${config.schema}"`;
    this.log = logger.child('route-case');
  }

  /** The decision with no side effects (POST /v1/routing/explain). */
  async explain(input: DecideInput, at: Date = new Date()): Promise<DecisionWithVersion> {
    const started = process.hrtime.bigint();
    const { ref, version } = await this.cache.get();
    const decision = decide(input, ref, at);
    decisionSeconds.observe({ source: 'explain' }, Number(process.hrtime.bigint() - started) / 1e9);
    return { decision, ruleVersion: version, at };
  }

  /**
   * Routes a case (first time or after a return): one statement stores the decision and, only
   * if it is new for this case and attempt, the event's outbox row; `inbox` (a lone event) makes
   * it record the consumed event too, so it needs no transaction around it.
   */
  async route(manager: EntityManager, cmd: RouteCommand, inbox?: InboxClaim): Promise<void> {
    const started = process.hrtime.bigint();
    const at = new Date();
    const { ref, version } = await this.cache.get();
    const input: DecideInput = {
      text: cmd.report.description,
      ...(cmd.categoryCode ? { categoryCode: cmd.categoryCode } : {}),
      location: locationOf(cmd.report),
      excludedUnitIds: cmd.excludedUnitIds,
      returnCount: cmd.returnCount,
      attempt: cmd.attempt,
    };
    const decision = decide(input, ref, at);
    decisionSeconds.observe({ source: 'live' }, Number(process.hrtime.bigint() - started) / 1e9);

    const decisionParams = [
      cmd.report.caseId,
      cmd.attempt,
      decision.kind,
      decision.kind === 'routed' ? decision.lead.unitId : null,
      JSON.stringify({
        reference: cmd.report.reference,
        text: input.text,
        categoryCode: input.categoryCode ?? null,
        location: input.location,
        excludedUnitIds: input.excludedUnitIds,
        returnCount: input.returnCount,
        now: at.toISOString(),
      }),
      JSON.stringify(decision),
      version,
      at.toISOString(),
    ];
    const outbox = this.messaging.outboxStatement(
      [toEvent(cmd, decision, version)],
      workBoundTo(manager),
      decisionParams.length,
      'EXISTS (SELECT 1 FROM decision)',
    );
    const [sql, params] = withInbox(
      inbox,
      `WITH decision AS (
         INSERT INTO ${this.s}.routing_decisions
           (case_id, attempt, outcome, unit_id, input, decision, rule_version, decided_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8)
         ON CONFLICT (case_id, attempt) DO NOTHING RETURNING id
       ), outbox AS (${outbox.sql})
       SELECT id FROM decision`,
      [...decisionParams, ...outbox.params],
    );
    const inserted: { id: string }[] = await manager.query(sql, params);
    if (inserted.length === 0) {
      this.log.info(
        'case already routed for this attempt; nothing to do',
        { caseId: cmd.report.caseId, attempt: cmd.attempt },
        workOf(manager),
      );
      return;
    }
    routedTotal.inc({
      outcome: decision.kind,
      unit_type: decision.kind === 'routed' ? decision.unitType : (decision.suggestedUnitType ?? 'none'),
    });
    this.log.info(`case ${decision.kind}`, {
      caseId: cmd.report.caseId,
      attempt: cmd.attempt,
      ...(decision.kind === 'routed'
        ? { unitId: decision.lead.unitId, categoryCode: decision.categoryCode }
        : { reason: decision.reason }),
      ...workOf(manager),
      ruleVersion: version,
    });
  }
}

function locationOf(report: ReportSnapshot): LocationInput {
  const l = report.location ?? {};
  return {
    ...(l.gridCode ? { gridCode: l.gridCode } : {}),
    ...(l.buildingCode ? { buildingCode: l.buildingCode } : {}),
    ...(l.addressText ? { addressText: l.addressText } : {}),
    ...(typeof l.lat === 'number' ? { lat: l.lat } : {}),
    ...(typeof l.lng === 'number' ? { lng: l.lng } : {}),
  };
}

function toEvent(cmd: RouteCommand, d: RoutingDecision, ruleVersion: number): NewEvent {
  const caseId = cmd.report.caseId;
  if (d.kind === 'routed') {
    const payload: CaseRoutedPayload = {
      report: cmd.report,
      categoryCode: d.categoryCode,
      confidence: d.confidence,
      priority: d.priority,
      ...(d.mandatoryReport ? { mandatoryReport: d.mandatoryReport } : {}),
      lead: d.lead,
      support: d.support,
      slaPolicy: slaPolicySnapshot(d.slaPolicy),
      ...(d.ruleId ? { ruleId: d.ruleId } : {}),
      ruleVersion,
      reasons: d.reasons,
      attempt: cmd.attempt,
      excludedUnitIds: cmd.excludedUnitIds,
    };
    return { topic: Topic.CaseRouted, type: 'case.routed', key: caseId, caseId, payload };
  }
  const payload: CaseTriageRequiredPayload = {
    report: cmd.report,
    reason: d.reason,
    reasons: d.reasons,
    ...(d.categoryCode ? { categoryCode: d.categoryCode } : {}),
    ...(d.confidence !== undefined ? { confidence: d.confidence } : {}),
    priority: d.priority,
    ...(d.mandatoryReport ? { mandatoryReport: d.mandatoryReport } : {}),
    ...(d.suggestedUnitType ? { suggestedUnitType: d.suggestedUnitType } : {}),
    ...(d.slaPolicy ? { slaPolicy: slaPolicySnapshot(d.slaPolicy) } : {}),
    ruleVersion,
    attempt: cmd.attempt,
    excludedUnitIds: cmd.excludedUnitIds,
  };
  return { topic: Topic.CaseTriageRequired, type: 'case.triage-required', key: caseId, caseId, payload };
}
