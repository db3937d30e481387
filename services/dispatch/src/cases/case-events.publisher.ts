import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CaseLifecyclePayload,
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  Topic,
} from '@app/contracts';
import { NewEvent, workBoundTo } from '@app/messaging';
import { MessagingService } from '@app/platform';
import { OpsProjection, OpsStream } from '../ops';

/**
 * How dispatch publishes case events: through the outbox, and — in the same transaction — into
 * the ops read model (an inline projection: one statement per event, idempotent by event id).
 * Dispatch writes every lifecycle event itself, so its ops model needs no consumer of its own
 * topic; routing's answers are projected by the statement that creates the case (`routingProjection`).
 */
@Injectable()
export class CaseEventsPublisher {
  private nudgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly messaging: MessagingService,
    private readonly ops: OpsProjection,
    private readonly stream: OpsStream,
  ) {}

  async publish(manager: EntityManager, events: NewEvent[]): Promise<EventEnvelope[]> {
    const envelopes = await this.messaging.publish(manager, events);
    await this.project(manager, events, envelopes);
    return envelopes;
  }

  /**
   * The outbox INSERT for `events`, for the caller to run inside its own statement (placeholders
   * from `$<offset + 1>`); after that statement, `project` the returned envelopes.
   */
  statement(
    manager: EntityManager,
    events: NewEvent[],
    offset: number,
    /** SQL over the statement's other CTEs: no row is written unless it holds. */
    onlyIf?: string,
  ): { sql: string; params: unknown[]; envelopes: EventEnvelope[] } {
    return this.messaging.outboxStatement(events, workBoundTo(manager), offset, onlyIf);
  }

  /**
   * When the events hold exactly one lifecycle event, its ops projection as CTEs for the
   * caller's statement (placeholders from `$<offset + 1>`), saving a round trip; call
   * `projectedInline()` after that statement. Otherwise undefined: call `project`.
   */
  inlineProjection(
    events: NewEvent[],
    envelopes: EventEnvelope[],
    offset: number,
    /** SQL over the statement's other CTEs: nothing is written unless it holds. */
    guard?: string,
  ): { cteSql: string; params: unknown[] } | undefined {
    const lifecycle = events.flatMap((e, i) => (e.topic === Topic.CaseLifecycle ? [envelopes[i]] : []));
    if (lifecycle.length !== 1) return undefined;
    return this.ops.lifecycleStatement(
      lifecycle[0] as unknown as EventEnvelope<CaseLifecyclePayload>,
      offset,
      guard ? { guard } : {},
    );
  }

  /** After a statement that carried `inlineProjection`. */
  projectedInline(): void {
    this.nudgeBoard();
  }

  /** Applies written events to the ops read model, in the caller's transaction. */
  async project(manager: EntityManager, events: NewEvent[], envelopes: EventEnvelope[]): Promise<void> {
    let lifecycle = false;
    for (const [i, e] of events.entries()) {
      if (e.topic !== Topic.CaseLifecycle) continue;
      await this.ops.apply(manager, e.topic, envelopes[i]);
      lifecycle = true;
    }
    if (lifecycle) this.nudgeBoard();
  }

  /**
   * Routing's answer (`case.routed` / `case.triage-required`) as ops-projection CTEs for the
   * statement that creates the case (placeholders from `$<offset + 1>`).
   */
  routingProjection(
    topic: Topic.CaseRouted | Topic.CaseTriageRequired,
    event: EventEnvelope<unknown>,
    offset: number,
  ): { cteSql: string; params: unknown[] } {
    return topic === Topic.CaseRouted
      ? this.ops.routedStatement(event as EventEnvelope<CaseRoutedPayload>, offset)
      : this.ops.triageStatement(event as EventEnvelope<CaseTriageRequiredPayload>, offset);
  }

  /**
   * Routing's answer and the lead assignment made of it, as ops-projection CTEs for the statement
   * that creates the case already assigned (placeholders from `$<offset + 1>`, nothing written
   * unless `guard` holds); call `projectedInline()` after that statement.
   */
  routedAndAssignedProjection(
    routed: EventEnvelope<CaseRoutedPayload>,
    assigned: EventEnvelope,
    offset: number,
    guard: string,
  ): { cteSql: string; params: unknown[] } {
    return this.ops.routedAndAssignedStatement(
      routed,
      assigned as unknown as EventEnvelope<CaseLifecyclePayload>,
      offset,
      guard,
    );
  }

  /** The live board refreshes shortly after (the commit is the caller's; its periodic refresh backs this up). */
  private nudgeBoard(): void {
    if (this.nudgeTimer) return;
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = undefined;
      this.stream.nudge();
    }, 100);
    this.nudgeTimer.unref();
  }
}
