import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { MandatoryReportKind, Priority, ReportSnapshot, SlaPolicyDto } from '@app/contracts';
import { CaseState, currentLeadTask, newCaseState } from '../domain';
import { S } from '../dispatch.config';
import { decodeCaseState, encodeJson } from './case-codec';

/** A case row, locked for the transaction that loaded it. */
export interface LoadedCase {
  caseId: string;
  reference: string;
  state: CaseState;
  report: ReportSnapshot;
  slaPolicy?: SlaPolicyDto;
  routingAttempt: number;
  autoCloseAt?: Date;
  createdAt: Date;
}

interface CaseRow {
  case_id: string;
  reference: string;
  state: unknown;
  report: ReportSnapshot;
  sla_policy: SlaPolicyDto | null;
  routing_attempt: number;
  auto_close_at: Date | null;
  created_at: Date;
}

@Injectable()
export class CaseRepository {
  /** Loads the case row FOR UPDATE: concurrent changes of one case queue behind this transaction. */
  async lock(manager: EntityManager, caseId: string): Promise<LoadedCase | undefined> {
    const [row] = (await manager.query(
      `SELECT case_id, reference, state, report, sla_policy, routing_attempt, auto_close_at, created_at
         FROM ${S}.cases WHERE case_id = $1 FOR UPDATE`,
      [caseId],
    )) as CaseRow[];
    return row ? this.toLoaded(row) : undefined;
  }

  /** Creates a case awaiting routing from the report snapshot, unless it exists; then locks it. */
  async createOrLock(
    manager: EntityManager,
    report: ReportSnapshot,
    init: { priority: Priority; categoryCode?: string; mandatoryReport?: MandatoryReportKind },
  ): Promise<{ loaded: LoadedCase; created: boolean }> {
    const state = newCaseState({
      caseId: report.caseId,
      reference: report.reference,
      priority: init.priority,
      ...((init.categoryCode ?? report.categoryCode)
        ? { categoryCode: init.categoryCode ?? report.categoryCode }
        : {}),
    });
    const attrs = report.attributes ?? {};
    const inserted = (await manager.query(
      `INSERT INTO ${S}.cases (case_id, reference, status, priority, category_code, description, grid_code, building_code,
         community_code, mandatory_report, report, state, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, now(), now())
       ON CONFLICT (case_id) DO NOTHING RETURNING case_id`,
      [
        report.caseId,
        report.reference,
        state.status,
        state.priority,
        state.categoryCode ?? null,
        report.description,
        report.location.gridCode ?? null,
        report.location.buildingCode ?? null,
        attrs.communityCode ?? null,
        init.mandatoryReport ?? null,
        JSON.stringify(report),
        encodeJson(state),
      ],
    )) as unknown[];
    const loaded = await this.lock(manager, report.caseId);
    if (!loaded) throw new Error(`case ${report.caseId} vanished after insert`);
    return { loaded, created: inserted.length === 1 };
  }

  async save(
    manager: EntityManager,
    before: LoadedCase,
    next: CaseState,
    extra: {
      slaPolicy?: SlaPolicyDto;
      routingAttempt?: number;
      triageReason?: string;
      autoCloseAfterSeconds: number;
      now: Date;
    },
  ): Promise<void> {
    let autoCloseAt: Date | null = null;
    if (next.status === 'resolved') {
      autoCloseAt =
        before.state.status === 'resolved' && before.autoCloseAt
          ? before.autoCloseAt
          : new Date(extra.now.getTime() + extra.autoCloseAfterSeconds * 1000);
    }
    const lead = currentLeadTask(next) ?? [...next.tasks].reverse().find((t) => t.role === 'lead');
    await manager.query(
      `UPDATE ${S}.cases SET status = $2, priority = $3, category_code = $4, lead_unit_id = $5, supervision_flagged = $6,
         state = $7::jsonb, sla_policy = COALESCE($8::jsonb, sla_policy), routing_attempt = GREATEST(routing_attempt, $9),
         triage_reason = CASE WHEN $2 = 'triage' THEN COALESCE($10, triage_reason) ELSE NULL END,
         auto_close_at = $11, version = version + 1, updated_at = $12
       WHERE case_id = $1`,
      [
        before.caseId,
        next.status,
        next.priority,
        next.categoryCode ?? null,
        lead?.unitId ?? null,
        next.supervisionFlagged,
        encodeJson(next),
        extra.slaPolicy ? JSON.stringify(extra.slaPolicy) : null,
        extra.routingAttempt ?? 0,
        extra.triageReason ?? null,
        autoCloseAt,
        extra.now,
      ],
    );
  }

  private toLoaded(row: CaseRow): LoadedCase {
    return {
      caseId: row.case_id,
      reference: row.reference,
      state: decodeCaseState(row.state),
      report: row.report,
      ...(row.sla_policy ? { slaPolicy: row.sla_policy } : {}),
      routingAttempt: row.routing_attempt,
      ...(row.auto_close_at ? { autoCloseAt: new Date(row.auto_close_at) } : {}),
      createdAt: new Date(row.created_at),
    };
  }
}
