import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '@app/contracts';
import type { WorkContext } from '@app/observability';
import type { CaseCommand } from '../domain';
import {
  ApplyResult,
  CaseRepository,
  CaseViews,
  CaseWorkflow,
  decodeCursor,
  hasIdempotencyKey,
  LoadedCase,
  MutationRunner,
} from '../cases';
import { DISPATCH_CONFIG, DispatchConfig } from '../dispatch.config';
import type { PartnerPrincipal } from '../units';
import { InFlightGate } from './in-flight-gate';
import { ListTasksQuery, RequestExtensionDto, ResolveTaskDto } from './partner-tasks.dto';

export type PartnerAction =
  | { type: 'accept' }
  | { type: 'return'; reason: string }
  | { type: 'progress'; note: string }
  | ({ type: 'request_extension' } & RequestExtensionDto)
  | ({ type: 'resolve' } & ResolveTaskDto);

/** Partner units work their own tasks; another unit's task is "not found" (404), never "forbidden". */
@Injectable()
export class PartnerTasksHandler {
  private readonly gate: InFlightGate;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CaseRepository,
    private readonly workflow: CaseWorkflow,
    private readonly views: CaseViews,
    private readonly mutations: MutationRunner,
    @Inject(DISPATCH_CONFIG) config: DispatchConfig,
  ) {
    this.gate = new InFlightGate(config.partnerActionsInFlight, config.partnerActionsWaiting);
  }

  list(unit: PartnerPrincipal, q: ListTasksQuery) {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !after)
      throw new ValidationFailedError('Invalid request: check cursor', [
        { field: 'cursor', problems: ['is not a cursor this API gave out'] },
      ]);
    return this.views.partnerTaskList(unit, {
      ...(q.status ? { statuses: q.status } : {}),
      ...(q.updatedSince ? { updatedSince: new Date(q.updatedSince) } : {}),
      ...(after ? { after } : {}),
      limit: q.limit ?? 50,
    });
  }

  get(unit: PartnerPrincipal, taskId: string) {
    return this.views.partnerTask(this.dataSource, unit, taskId);
  }

  /**
   * Without an Idempotency-Key the action reads its case without a lock and writes it in one
   * statement that checks the case is still as read (two round trips, no transaction held while
   * the service works between them); should it change meanwhile (the other unit of a case with a
   * support task, the SLA scanner), it is read again, and after three such conflicts the action
   * takes the case lock. With a key the key's record commits with the effect: one transaction,
   * the case locked first. At most PARTNER_ACTIONS_IN_FLIGHT actions run at once (InFlightGate).
   */
  act(
    unit: PartnerPrincipal,
    taskId: string,
    action: PartnerAction,
    idempotencyKey: string | undefined,
    work: WorkContext,
  ): Promise<{ body: Record<string, unknown>; replayed: boolean }> {
    return this.gate.run(async () => {
      const command = this.command(unit, taskId, action);
      if (!hasIdempotencyKey(idempotencyKey)) {
        const body = await this.mutations.optimistic(work, async (manager, transaction) => {
          const loaded = await this.cases.readByTask(manager, taskId, unit.unitId);
          if (!loaded) throw new NotFoundError('Task', 'DISPATCH.TASK_NOT_FOUND');
          const applied = await this.workflow.applyUnlocked(manager, transaction, loaded, command, {
            readBack: this.views.partnerTaskReadBack(unit, taskId, loaded.caseId),
          });
          return applied && this.after(unit, taskId, loaded, applied);
        });
        if (body) return { body, replayed: false };
      }
      return this.mutations.run(
        work,
        `partner:${unit.unitId}`,
        idempotencyKey,
        { taskId, action },
        async (manager) => {
          const loaded = await this.cases.lockByTask(manager, taskId, unit.unitId);
          if (!loaded) throw new NotFoundError('Task', 'DISPATCH.TASK_NOT_FOUND');
          const applied = await this.workflow.apply(manager, loaded, command, {
            readBack: this.views.partnerTaskReadBack(unit, taskId, loaded.caseId),
          });
          return this.after(unit, taskId, loaded, applied);
        },
      );
    });
  }

  /** The task as the action left it: read by the transition's own statement (no round trip of its own). */
  private after(unit: PartnerPrincipal, taskId: string, loaded: LoadedCase, applied: ApplyResult) {
    return this.views.partnerTaskAfter(unit, taskId, applied.answer, {
      state: applied.state,
      report: loaded.report,
    });
  }

  private command(unit: PartnerPrincipal, taskId: string, a: PartnerAction): CaseCommand {
    const base = { taskId, unitId: unit.unitId, actorId: unit.unitId };
    switch (a.type) {
      case 'accept':
        return { type: 'accept', ...base };
      case 'return':
        return { type: 'return', ...base, reason: a.reason };
      case 'progress':
        return { type: 'progress', ...base, note: a.note };
      case 'request_extension':
        return {
          type: 'request_extension',
          ...base,
          reason: a.reason,
          requestedDueAt: new Date(a.requestedDueAt),
        };
      case 'resolve':
        return {
          type: 'resolve',
          ...base,
          note: a.note,
          evidence: (a.evidence ?? []).map((e) => ({
            url: e.url,
            ...(e.contentType ? { contentType: e.contentType } : {}),
          })),
        };
    }
  }
}
