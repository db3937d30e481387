import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CaseLifecyclePayload,
  CaseRoutedPayload,
  CaseStatus,
  CaseTriageRequiredPayload,
  EventEnvelope,
  ReportSnapshot,
} from '@app/contracts';
import { isOpenStatus, STATUS_RANK } from './ops-model';
import { OPS_CONFIG, OpsConfig } from './ops.config';

/** The dispatch schema (fixed by the migrations). */
export const OPS_SCHEMA = '"dispatch"';
const S = OPS_SCHEMA;

/** Whether $status_at/$rank of EXCLUDED wins over the row's: later wins, ties go forward. */
const WINS = `(EXCLUDED.status_at > c.status_at OR (EXCLUDED.status_at = c.status_at AND EXCLUDED.status_rank >= c.status_rank))`;

/** What the projection needs of an envelope besides its payload. */
type EventRef = Pick<EventEnvelope, 'eventId' | 'type' | 'occurredAt'>;

const clip = (s: string | undefined, max: number): string | null =>
  s === undefined ? null : s.slice(0, max);

/**
 * Applies case events to the ops read model, inside the consumer's inbox transaction. Every write
 * is an upsert that tolerates any order across the three topics: first-times take LEAST, last-times
 * GREATEST, flags OR, and status only moves to a later (or same-instant, further-along) event.
 */
@Injectable()
export class OpsProjection {
  constructor(@Inject(OPS_CONFIG) private readonly config: OpsConfig) {}

  async routed(m: EntityManager, e: EventEnvelope<CaseRoutedPayload>): Promise<void> {
    const p = e.payload;
    await this.snapshot(m, e, p.report, {
      status: 'routed',
      priority: p.priority,
      categoryCode: p.categoryCode,
      lead: p.lead,
      triageReason: null,
    });
  }

  async triageRequired(m: EntityManager, e: EventEnvelope<CaseTriageRequiredPayload>): Promise<void> {
    const p = e.payload;
    await this.snapshot(m, e, p.report, {
      status: 'triage',
      priority: p.priority,
      categoryCode: p.categoryCode ?? p.report.categoryCode,
      lead: undefined,
      triageReason: p.reason,
    });
  }

  private async snapshot(
    m: EntityManager,
    e: EventRef,
    r: ReportSnapshot,
    d: {
      status: CaseStatus;
      priority: string;
      categoryCode: string | undefined;
      lead: { unitId: string; unitName?: string; unitType: string } | undefined;
      triageReason: string | null;
    },
  ): Promise<void> {
    const at = e.occurredAt;
    await m.query(
      `INSERT INTO ${S}.ops_cases AS c (case_id, reference, status, status_at, status_rank, is_open, priority,
         category_code, description, grid_code, building_code, lat, lng, lead_unit_id, lead_unit_name,
         lead_unit_type, lead_at, triage, triage_reason, reported_at, routed_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         CASE WHEN $13::text IS NULL THEN NULL ELSE $4::timestamptz END, $16, $17, $18,
         CASE WHEN $3 = 'routed' THEN $4::timestamptz END, now())
       ON CONFLICT (case_id) DO UPDATE SET
         reference = COALESCE(c.reference, EXCLUDED.reference),
         status = CASE WHEN ${WINS} THEN EXCLUDED.status ELSE c.status END,
         is_open = CASE WHEN ${WINS} THEN EXCLUDED.is_open ELSE c.is_open END,
         priority = CASE WHEN ${WINS} OR c.priority IS NULL THEN EXCLUDED.priority ELSE c.priority END,
         category_code = CASE WHEN (${WINS} OR c.category_code IS NULL) AND EXCLUDED.category_code IS NOT NULL
           THEN EXCLUDED.category_code ELSE c.category_code END,
         status_rank = CASE WHEN ${WINS} THEN EXCLUDED.status_rank ELSE c.status_rank END,
         status_at = GREATEST(c.status_at, EXCLUDED.status_at),
         description = EXCLUDED.description,
         grid_code = COALESCE(EXCLUDED.grid_code, c.grid_code),
         building_code = COALESCE(EXCLUDED.building_code, c.building_code),
         lat = COALESCE(EXCLUDED.lat, c.lat),
         lng = COALESCE(EXCLUDED.lng, c.lng),
         lead_unit_id = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_id ELSE c.lead_unit_id END,
         lead_unit_name = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_name ELSE c.lead_unit_name END,
         lead_unit_type = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_type ELSE c.lead_unit_type END,
         lead_at = GREATEST(c.lead_at, EXCLUDED.lead_at),
         triage = c.triage OR EXCLUDED.triage,
         triage_reason = COALESCE(EXCLUDED.triage_reason, c.triage_reason),
         reported_at = COALESCE(c.reported_at, EXCLUDED.reported_at),
         routed_at = LEAST(c.routed_at, EXCLUDED.routed_at),
         updated_at = now()`,
      [
        r.caseId,
        r.reference,
        d.status,
        at,
        STATUS_RANK[d.status],
        d.priority,
        d.categoryCode ?? null,
        clip(r.description, 500),
        r.location.gridCode ?? null,
        r.location.buildingCode ?? null,
        r.location.lat ?? null,
        r.location.lng ?? null,
        d.lead?.unitId ?? null,
        d.lead?.unitName ?? null,
        d.lead?.unitType ?? null,
        d.status === 'triage',
        d.triageReason,
        r.reportedAt,
      ],
    );
    // 民情地图 rollup: each case counts once, on the day it was reported, where it was reported.
    await m.query(
      `WITH first AS (
         UPDATE ${S}.ops_cases SET hotspot_day = ($2::timestamptz AT TIME ZONE $3)::date
         WHERE case_id = $1 AND hotspot_day IS NULL RETURNING hotspot_day
       )
       INSERT INTO ${S}.ops_hotspot_daily AS h (day, grid_code, building_code, category_code, shard, cases)
       SELECT hotspot_day, $4, $5, $6, $7, 1 FROM first
       ON CONFLICT (day, grid_code, building_code, category_code, shard) DO UPDATE SET cases = h.cases + 1`,
      [
        r.caseId,
        r.reportedAt,
        this.config.timezone,
        r.location.gridCode ?? '',
        r.location.buildingCode ?? '',
        d.categoryCode ?? r.categoryCode ?? '',
        hotspotShard(r.caseId),
      ],
    );
    await this.history(
      m,
      e,
      e.occurredAt,
      r.caseId,
      d.status,
      d.lead?.unitId,
      d.lead?.unitName,
      d.triageReason ?? undefined,
    );
  }

  async lifecycle(m: EntityManager, e: EventEnvelope<CaseLifecyclePayload>): Promise<void> {
    const p = e.payload;
    const type = e.type;
    const isLead = p.taskRole !== 'support';
    const breached = type === 'case.sla-breached';
    await m.query(
      `INSERT INTO ${S}.ops_cases AS c (case_id, reference, status, status_at, status_rank, is_open, priority,
         category_code, lead_unit_id, lead_unit_name, lead_unit_type, lead_at, triage, assigned_at, accepted_at,
         resolved_at, closed_at, satisfaction, accept_breached, resolve_breached, breach_count, return_count, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $3 = 'triage', $13, $14, $15, $16, $17, $18, $19,
         $20, $21, now())
       ON CONFLICT (case_id) DO UPDATE SET
         reference = COALESCE(c.reference, EXCLUDED.reference),
         status = CASE WHEN ${WINS} THEN EXCLUDED.status ELSE c.status END,
         is_open = CASE WHEN ${WINS} THEN EXCLUDED.is_open ELSE c.is_open END,
         priority = CASE WHEN (${WINS} OR c.priority IS NULL) AND EXCLUDED.priority IS NOT NULL
           THEN EXCLUDED.priority ELSE c.priority END,
         category_code = CASE WHEN (${WINS} OR c.category_code IS NULL) AND EXCLUDED.category_code IS NOT NULL
           THEN EXCLUDED.category_code ELSE c.category_code END,
         status_rank = CASE WHEN ${WINS} THEN EXCLUDED.status_rank ELSE c.status_rank END,
         status_at = GREATEST(c.status_at, EXCLUDED.status_at),
         lead_unit_id = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_id ELSE c.lead_unit_id END,
         lead_unit_name = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_name ELSE c.lead_unit_name END,
         lead_unit_type = CASE WHEN EXCLUDED.lead_at >= COALESCE(c.lead_at, '-infinity') THEN EXCLUDED.lead_unit_type ELSE c.lead_unit_type END,
         lead_at = GREATEST(c.lead_at, EXCLUDED.lead_at),
         triage = c.triage OR EXCLUDED.triage,
         assigned_at = LEAST(c.assigned_at, EXCLUDED.assigned_at),
         accepted_at = LEAST(c.accepted_at, EXCLUDED.accepted_at),
         resolved_at = GREATEST(c.resolved_at, EXCLUDED.resolved_at),
         closed_at = GREATEST(c.closed_at, EXCLUDED.closed_at),
         satisfaction = COALESCE(EXCLUDED.satisfaction, c.satisfaction),
         accept_breached = c.accept_breached OR EXCLUDED.accept_breached,
         resolve_breached = c.resolve_breached OR EXCLUDED.resolve_breached,
         breach_count = c.breach_count + EXCLUDED.breach_count,
         return_count = c.return_count + EXCLUDED.return_count,
         updated_at = now()`,
      [
        p.caseId,
        p.reference,
        p.status,
        p.at,
        STATUS_RANK[p.status],
        isOpenStatus(p.status),
        p.priority ?? null,
        p.categoryCode ?? null,
        type === 'case.assigned' && isLead ? (p.unitId ?? null) : null,
        type === 'case.assigned' && isLead ? (p.unitName ?? null) : null,
        type === 'case.assigned' && isLead ? (p.unitType ?? null) : null,
        type === 'case.assigned' && isLead && p.unitId ? p.at : null,
        type === 'case.assigned' && isLead ? p.at : null,
        type === 'case.accepted' && isLead ? p.at : null,
        type === 'case.resolved' ? p.at : null,
        type === 'case.closed' ? p.at : null,
        type === 'case.closed' ? (p.satisfaction ?? null) : null,
        breached && p.deadline === 'accept',
        breached && p.deadline === 'resolve',
        breached ? 1 : 0,
        type === 'case.returned' ? 1 : 0,
      ],
    );
    if (p.taskId) await this.task(m, type, p);
    if (breached) {
      await m.query(
        `INSERT INTO ${S}.ops_breaches (breach_id, case_id, task_id, unit_id, unit_name, deadline, due_at, breached_at, late_by_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (breach_id) DO NOTHING`,
        [
          e.eventId,
          p.caseId,
          p.taskId ?? null,
          p.unitId ?? null,
          p.unitName ?? null,
          p.deadline ?? 'resolve',
          p.dueAt ?? null,
          p.at,
          p.lateBySeconds ?? null,
        ],
      );
    }
    if (type === 'case.escalation-acknowledged') {
      await m.query(
        `UPDATE ${S}.ops_breaches SET acknowledged_at = COALESCE(acknowledged_at, $2)
         WHERE case_id = $1 AND closed_at IS NULL AND ($3::uuid IS NULL OR task_id = $3::uuid)`,
        [p.caseId, p.at, p.taskId ?? null],
      );
    }
    // A breach stays on the board until its deadline is met (or the task/case ends), in any event order.
    await m.query(
      `UPDATE ${S}.ops_breaches b SET closed_at = $2
       FROM ${S}.ops_cases c
       WHERE b.case_id = $1 AND c.case_id = b.case_id AND b.closed_at IS NULL AND (
         NOT c.is_open
         OR (b.task_id IS NULL AND ((b.deadline = 'accept' AND c.accepted_at IS NOT NULL)
                                 OR (b.deadline = 'resolve' AND c.resolved_at IS NOT NULL)))
         OR EXISTS (SELECT 1 FROM ${S}.ops_tasks t WHERE t.task_id = b.task_id AND (
              t.returned_at IS NOT NULL
              OR (b.deadline = 'accept' AND t.accepted_at IS NOT NULL)
              OR (b.deadline = 'resolve' AND t.resolved_at IS NOT NULL))))`,
      [p.caseId, p.at],
    );
    await this.history(m, e, p.at, p.caseId, p.status, p.unitId, p.unitName, p.note);
  }

  private async task(m: EntityManager, type: string, p: CaseLifecyclePayload): Promise<void> {
    const breached = type === 'case.sla-breached';
    await m.query(
      `INSERT INTO ${S}.ops_tasks AS t (task_id, case_id, unit_id, unit_name, unit_type, role, assigned_at,
         accepted_at, resolved_at, returned_at, accept_by, resolve_by, accept_breached, resolve_breached, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
       ON CONFLICT (task_id) DO UPDATE SET
         unit_id = COALESCE(t.unit_id, EXCLUDED.unit_id),
         unit_name = COALESCE(t.unit_name, EXCLUDED.unit_name),
         unit_type = COALESCE(t.unit_type, EXCLUDED.unit_type),
         role = COALESCE(t.role, EXCLUDED.role),
         assigned_at = LEAST(t.assigned_at, EXCLUDED.assigned_at),
         accepted_at = LEAST(t.accepted_at, EXCLUDED.accepted_at),
         resolved_at = GREATEST(t.resolved_at, EXCLUDED.resolved_at),
         returned_at = GREATEST(t.returned_at, EXCLUDED.returned_at),
         accept_by = COALESCE(EXCLUDED.accept_by, t.accept_by),
         resolve_by = COALESCE(EXCLUDED.resolve_by, t.resolve_by),
         accept_breached = t.accept_breached OR EXCLUDED.accept_breached,
         resolve_breached = t.resolve_breached OR EXCLUDED.resolve_breached,
         updated_at = now()`,
      [
        p.taskId,
        p.caseId,
        p.unitId ?? null,
        p.unitName ?? null,
        p.unitType ?? null,
        p.taskRole ?? null,
        type === 'case.assigned' || type === 'case.reopened' ? p.at : null,
        type === 'case.accepted' ? p.at : null,
        type === 'case.resolved' ? p.at : null,
        type === 'case.returned' ? p.at : null,
        p.acceptBy ?? null,
        p.resolveBy ?? null,
        breached && p.deadline === 'accept',
        breached && p.deadline === 'resolve',
      ],
    );
  }

  private async history(
    m: EntityManager,
    e: EventRef,
    at: string,
    caseId: string,
    status: string,
    unitId: string | undefined,
    unitName: string | undefined,
    note: string | undefined,
  ): Promise<void> {
    await m.query(
      `INSERT INTO ${S}.ops_case_events (event_id, case_id, type, at, status, unit_id, unit_name, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
      [e.eventId, caseId, e.type, at, status, unitId ?? null, unitName ?? null, clip(note, 1000)],
    );
  }
}

/** One of 16 counter rows per place and category, by case id (see the hotspot-shards migration). */
function hotspotShard(caseId: string): number {
  return parseInt(caseId.slice(0, 2), 16) % 16;
}
