import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CaseLifecyclePayload, EventEnvelope } from '@app/contracts';
import type { InboxClaim } from '@app/messaging';
import { JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { foldLifecycle, LifecycleChange, lifecyclePatch } from '../domain';
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
  async handle(
    event: EventEnvelope<CaseLifecyclePayload>,
    m: EntityManager,
    inbox?: InboxClaim,
  ): Promise<void> {
    const { patch, entry } = lifecyclePatch(changeOf(event));
    // One statement: the view's update and the resident's timeline entry (no read first).
    const known = await this.reports.applyLifecyclePatch(
      m,
      event.payload.caseId,
      patch,
      entry,
      event.eventId,
      inbox,
    );
    if (!known) this.unknown(event);
  }

  /**
   * A chunk of events (one partition's, in order; their inbox rows written by the runner) in ONE
   * statement: folded to one patch per case, with every resident-visible entry.
   */
  async handleChunk(events: EventEnvelope<CaseLifecyclePayload>[], m: EntityManager): Promise<void> {
    const known = await this.reports.applyLifecyclePatches(
      m,
      foldLifecycle(
        events.map((event) => ({
          caseId: event.payload.caseId,
          eventId: event.eventId,
          change: changeOf(event),
        })),
      ),
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
