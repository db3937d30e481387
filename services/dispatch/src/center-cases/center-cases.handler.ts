import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, NotFoundError, ValidationFailedError } from '@app/contracts';
import type { WorkContext } from '@app/observability';
import type { StaffPrincipal } from '../auth';
import {
  allowedCommands,
  CaseCommand,
  currentLeadTask,
  invalidTransition,
  isFinalStatus,
  isOpenTask,
  UnitAssignment,
} from '../domain';
import {
  CaseRepository,
  CaseViews,
  CaseWorkflow,
  decodeCursor,
  encodeCursor,
  LoadedCase,
  MutationRunner,
} from '../cases';
import { S } from '../dispatch.config';
import { UnitsRepository } from '../units';
import {
  AssignDto,
  GrantExtensionDto,
  MergeDto,
  ReassignDto,
  ReopenDto,
  SearchCasesQuery,
  TimelineQuery,
  TriageQueueQuery,
} from './center-cases.dto';

const CASE_NOT_FOUND = 'DISPATCH.CASE_NOT_FOUND';

type CaseRowForList = Parameters<CaseViews['caseSummary']>[0];

export type CenterAction =
  | { type: 'assign'; body: AssignDto }
  | { type: 'reassign'; body: ReassignDto }
  | { type: 'release_support'; taskId: string; reason?: string }
  | { type: 'grant_extension'; body: GrantExtensionDto }
  | { type: 'refuse_extension'; reason?: string }
  | { type: 'verify_close'; note?: string }
  | { type: 'cancel'; reason: string }
  | { type: 'merge'; body: MergeDto }
  | { type: 'flag_supervision'; reason?: string }
  | { type: 'reopen'; body: ReopenDto }
  | { type: 'request_info'; question: string };

/** The center's supervision tools: triage, assignment, extensions, closing, merging, search. */
@Injectable()
export class CenterCasesHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CaseRepository,
    private readonly workflow: CaseWorkflow,
    private readonly views: CaseViews,
    private readonly units: UnitsRepository,
    private readonly mutations: MutationRunner,
  ) {}

  // ---------------------------------------------------------------- reads

  async triageQueue(q: TriageQueueQuery) {
    const limit = q.limit ?? 50;
    const rows = (await this.dataSource.query(
      `SELECT *, count(*) OVER () AS total FROM ${S}.cases WHERE status = 'triage'
        ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, created_at, case_id
        LIMIT $1 OFFSET $2`,
      [limit, q.offset ?? 0],
    )) as (CaseRowForList & { total: string })[];
    return {
      items: rows.map((r) => this.views.caseSummary(r)),
      total: rows.length ? Number(rows[0].total) : 0,
    };
  }

  async search(q: SearchCasesQuery) {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (value: unknown, clause: (p: string) => string) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (q.status?.length) add(q.status, (p) => `c.status = ANY(${p}::text[])`);
    if (q.priority?.length) add(q.priority, (p) => `c.priority = ANY(${p}::text[])`);
    if (q.categoryCode) add(q.categoryCode, (p) => `c.category_code = ${p}`);
    if (q.areaCode)
      add(q.areaCode, (p) => `(c.grid_code = ${p} OR c.building_code = ${p} OR c.community_code = ${p})`);
    if (q.unitId)
      add(
        q.unitId,
        (p) => `EXISTS (SELECT 1 FROM ${S}.tasks t WHERE t.case_id = c.case_id AND t.unit_id = ${p})`,
      );
    if (q.from) add(new Date(q.from), (p) => `c.created_at >= ${p}`);
    if (q.to) add(new Date(q.to), (p) => `c.created_at < ${p}`);
    if (q.q) {
      const like = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      // case_text carries the trigram indexes (the cases row is updated by every transition).
      add(
        like,
        (p) =>
          `c.case_id IN (SELECT x.case_id FROM ${S}.case_text x WHERE x.description ILIKE ${p} OR x.reference ILIKE ${p})`,
      );
    }
    if (q.cursor) {
      const after = decodeCursor(q.cursor);
      if (!after)
        throw new ValidationFailedError('Invalid request: check cursor', [
          { field: 'cursor', problems: ['is not a cursor this API gave out'] },
        ]);
      params.push(after.at, after.id);
      where.push(`(c.created_at, c.case_id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    const limit = q.limit ?? 50;
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT c.* FROM ${S}.cases c ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY c.created_at DESC, c.case_id DESC LIMIT $${params.length}`,
      params,
    )) as CaseRowForList[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => this.views.caseSummary(r)),
      ...(rows.length > limit && last
        ? { nextCursor: encodeCursor(new Date(last.created_at), last.case_id) }
        : {}),
    };
  }

  get(caseId: string) {
    return this.views.centerCase(this.dataSource, caseId);
  }

  async timeline(caseId: string, q: TimelineQuery) {
    const [exists] = (await this.dataSource.query(`SELECT 1 FROM ${S}.cases WHERE case_id = $1`, [
      caseId,
    ])) as unknown[];
    if (!exists) throw new NotFoundError('Case', CASE_NOT_FOUND);
    return this.views.timeline(this.dataSource, caseId, q.audience ?? 'center', q.unitId);
  }

  // ---------------------------------------------------------------- changes

  act(
    staff: StaffPrincipal,
    caseId: string,
    action: CenterAction,
    idempotencyKey: string | undefined,
    work: WorkContext,
  ) {
    return this.mutations.run(
      work,
      `center:${staff.staffId}`,
      idempotencyKey,
      { caseId, action },
      async (manager) => {
        if (action.type === 'merge') return this.merge(manager, staff, caseId, action.body);
        const loaded = await this.lockOr404(manager, caseId);
        const command = await this.command(manager, staff, loaded, action);
        await this.workflow.apply(manager, loaded, command);
        return this.views.centerCase(manager, caseId);
      },
    );
  }

  private async command(
    manager: EntityManager,
    staff: StaffPrincipal,
    loaded: LoadedCase,
    a: CenterAction,
  ): Promise<CaseCommand> {
    const actorId = staff.username;
    switch (a.type) {
      case 'assign':
      case 'reassign': {
        const working =
          !!currentLeadTask(loaded.state) &&
          loaded.state.tasks.some((t) => t.role === 'lead' && isOpenTask(t));
        if (a.type === 'reassign' && !working) {
          throw invalidTransition(loaded.state.status, 'assign', allowedCommands(loaded.state));
        }
        if (a.type === 'assign' && working) {
          throw new DomainError(
            'DISPATCH.ALREADY_ASSIGNED',
            'The case already has an open lead task; use reassign to change the lead unit',
            { status: loaded.state.status, allowed: allowedCommands(loaded.state) },
            409,
          );
        }
        const b = a.body;
        const support = (b.supportUnitIds ?? []).filter((u) => u !== b.leadUnitId);
        return {
          type: 'assign',
          lead: await this.unitAssignment(manager, b.leadUnitId, 'leadUnitId'),
          support: await Promise.all(
            [...new Set(support)].map((u) => this.unitAssignment(manager, u, 'supportUnitIds')),
          ),
          ...(b.reason ? { reason: b.reason } : {}),
          ...(b.priority ? { priority: b.priority } : {}),
          ...(b.categoryCode ? { categoryCode: b.categoryCode } : {}),
          actorId,
        };
      }
      case 'release_support':
        return {
          type: 'release_support',
          taskId: a.taskId,
          ...(a.reason ? { reason: a.reason } : {}),
          actorId,
        };
      case 'grant_extension':
        return {
          type: 'grant_extension',
          ...(a.body.dueAt ? { dueAt: new Date(a.body.dueAt) } : {}),
          ...(a.body.note ? { note: a.body.note } : {}),
          actorId,
        };
      case 'refuse_extension':
        return { type: 'refuse_extension', ...(a.reason ? { reason: a.reason } : {}), actorId };
      case 'verify_close':
        return { type: 'verify_close', ...(a.note ? { note: a.note } : {}), actorId };
      case 'cancel':
        return { type: 'cancel', reason: a.reason, actorId };
      case 'flag_supervision':
        return {
          type: 'flag_supervision',
          ...(a.reason ? { reason: a.reason } : {}),
          source: 'staff',
          actorId,
        };
      case 'reopen': {
        const unit = a.body.unitId ? await this.unitAssignment(manager, a.body.unitId, 'unitId') : undefined;
        return {
          type: 'reopen',
          taskId: randomUUID(),
          reason: a.body.reason,
          ...(unit ? { unit } : {}),
          actorId,
        };
      }
      case 'request_info':
        return { type: 'request_info', question: a.question, actorId };
      case 'merge':
        throw new Error('merge is handled apart');
    }
  }

  /** 合并: the duplicate ends as merged; the surviving case gets a timeline entry. Both rows locked in id order. */
  private async merge(manager: EntityManager, staff: StaffPrincipal, caseId: string, body: MergeDto) {
    if (body.intoCaseId === caseId) {
      throw new ValidationFailedError('Invalid request: check intoCaseId', [
        { field: 'intoCaseId', problems: ['is this case itself'] },
      ]);
    }
    const [first, second] = [caseId, body.intoCaseId].sort();
    const a = await this.cases.lock(manager, first);
    const b = await this.cases.lock(manager, second);
    const source = first === caseId ? a : b;
    const target = first === caseId ? b : a;
    if (!source) throw new NotFoundError('Case', CASE_NOT_FOUND);
    if (!target) {
      throw new ValidationFailedError('Invalid request: check intoCaseId', [
        { field: 'intoCaseId', problems: ['no such case'] },
      ]);
    }
    if (isFinalStatus(target.state.status)) {
      throw new DomainError(
        'DISPATCH.MERGE_TARGET_FINAL',
        `Case ${target.reference} is ${target.state.status}; merge into an open case`,
        {
          intoCaseId: target.caseId,
          status: target.state.status,
        },
      );
    }
    const now = new Date();
    await this.workflow.apply(
      manager,
      source,
      {
        type: 'merge',
        intoCaseId: target.caseId,
        intoReference: target.reference,
        ...(body.reason ? { reason: body.reason } : {}),
        actorId: staff.username,
      },
      { now },
    );
    await this.workflow.note(manager, {
      caseId: target.caseId,
      at: now,
      actorKind: 'staff',
      actorId: staff.username,
      eventType: 'case.merge-received',
      visibility: ['center'],
      note: `${source.reference} merged into this case${body.reason ? `: ${body.reason}` : ''}`,
      data: { mergedCaseId: source.caseId, mergedReference: source.reference },
    });
    return this.views.centerCase(manager, caseId);
  }

  private async lockOr404(manager: EntityManager, caseId: string): Promise<LoadedCase> {
    const loaded = await this.cases.lock(manager, caseId);
    if (!loaded) throw new NotFoundError('Case', CASE_NOT_FOUND);
    return loaded;
  }

  private async unitAssignment(
    manager: EntityManager,
    unitId: string,
    field: string,
  ): Promise<UnitAssignment> {
    const unit = await this.units.byId(manager, unitId);
    if (!unit || !unit.active) {
      throw new ValidationFailedError(`Invalid request: check ${field}`, [
        { field, problems: [unit ? `unit ${unitId} is not active` : `unit ${unitId} is not known`] },
      ]);
    }
    return { taskId: randomUUID(), unitId: unit.unitId, unitType: unit.unitType, unitName: unit.name };
  }
}
