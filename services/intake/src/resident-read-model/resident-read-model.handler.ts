import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CaseLifecyclePayload, EventEnvelope } from '@app/contracts';
import type { InboxClaim } from '@app/messaging';
import { JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { foldLifecycle, LifecycleChange } from '../domain';
import { ReportsRepository } from '../shared/reports.repository';

/**
 * Keeps the resident's view current from case.lifecycle: status, responsible unit, expected
 * time, routed category (which also feeds duplicate detection) and resident-visible timeline
 * entries, in one statement that also records the event in the inbox (a redelivery is a no-op).
 */
@Injectable()
export class ResidentReadModelHandler {
  private readonly log: JsonLogger;

  constructor(
    private readonly reports: ReportsRepository,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('resident-read-model');
  }

  /** `inbox`: the event's inbox row, written by the same statement (one event handled alone). */
  handle(event: EventEnvelope<CaseLifecyclePayload>, m: EntityManager, inbox?: InboxClaim): Promise<void> {
    return this.apply([event], m, inbox);
  }

  /**
   * A chunk of events (one partition's, or a fetch's partitions' gathered: each case's in order);
   * `inbox`: all their rows, written by the same statement.
   */
  handleChunk(
    events: EventEnvelope<CaseLifecyclePayload>[],
    m: EntityManager,
    inbox?: InboxClaim,
  ): Promise<void> {
    return this.apply(events, m, inbox);
  }

  /**
   * One statement, no read first: the events folded to one patch per case, each case's view
   * updated and every resident-visible entry appended.
   */
  private async apply(
    events: EventEnvelope<CaseLifecyclePayload>[],
    m: EntityManager,
    inbox?: InboxClaim,
  ): Promise<void> {
    const known = await this.reports.applyLifecyclePatches(
      m,
      foldLifecycle(
        events.map((event) => ({
          caseId: event.payload.caseId,
          eventId: event.eventId,
          change: changeOf(event),
        })),
      ),
      inbox,
    );
    for (const event of events) if (!known.has(event.payload.caseId)) this.unknown(event);
  }

  /** A case intake did not take (e.g. opened by the center directly): nothing to show a resident. */
  private unknown(event: EventEnvelope<CaseLifecyclePayload>): void {
    this.log.debug('lifecycle event for a case intake does not know: ignored', {
      caseId: event.payload.caseId,
      type: event.type,
    });
  }
}

function changeOf(event: EventEnvelope<CaseLifecyclePayload>): LifecycleChange {
  const p = event.payload;
  return {
    type: event.type,
    status: p.status,
    unitName: p.unitName,
    taskRole: p.taskRole,
    categoryCode: p.categoryCode,
    resolveBy: p.resolveBy,
    residentVisible: p.residentVisible,
    residentNote: p.residentNote,
    mergedIntoReference: p.mergedIntoReference,
    at: p.at,
  };
}
