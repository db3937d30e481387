/** Shared by the sla-*.e2e-spec.ts files: policies of a few seconds and the checks on what fired. */
import { Client } from 'pg';
import type { CaseLifecyclePayload, EventEnvelope, SlaPolicyDto } from '@app/contracts';
import { waitFor } from '@app/testing';
import type { DispatchHarness } from './dispatch-harness';

export const SLA_TYPES = new Set([
  'case.sla-warning',
  'case.sla-breached',
  'case.escalated',
  'case.supervision-flagged',
]);

/** accept 3 s, resolve 6 s, warn at 50 %; accept ladder at +1/+2/+3 s, resolve ladder at +1/+2 s. */
export function fastPolicy(acceptSeconds = 3, resolveSeconds = 6): SlaPolicyDto {
  return {
    policyId: `fast-${acceptSeconds}-${resolveSeconds}`,
    acceptWithinSeconds: acceptSeconds,
    resolveWithinSeconds: resolveSeconds,
    warnAtFraction: 0.5,
    calendar: { kind: '24x7' },
    escalation: [
      { on: 'accept', afterSeconds: 1, action: 'remind_unit' },
      { on: 'accept', afterSeconds: 2, action: 'notify_supervisor' },
      { on: 'accept', afterSeconds: 3, action: 'flag_supervision' },
      { on: 'resolve', afterSeconds: 1, action: 'remind_unit' },
      { on: 'resolve', afterSeconds: 2, action: 'flag_supervision' },
    ],
  };
}

export interface ExpectedFiring {
  label: string;
  type: string;
  deadline: 'accept' | 'resolve';
  step?: number;
  /** When it must fire. */
  at: number;
}

/** Every timer of fastPolicy for a task assigned at `t0` (ms), in firing order. */
export function expectedFirings(t0: number, p: SlaPolicyDto): ExpectedFiring[] {
  const acceptBy = t0 + p.acceptWithinSeconds * 1000;
  const resolveBy = t0 + p.resolveWithinSeconds * 1000;
  const out: ExpectedFiring[] = [
    {
      label: 'accept warning',
      type: 'case.sla-warning',
      deadline: 'accept',
      at: t0 + p.acceptWithinSeconds * 1000 * p.warnAtFraction,
    },
    {
      label: 'resolve warning',
      type: 'case.sla-warning',
      deadline: 'resolve',
      at: t0 + p.resolveWithinSeconds * 1000 * p.warnAtFraction,
    },
    { label: 'accept breach', type: 'case.sla-breached', deadline: 'accept', at: acceptBy },
    { label: 'resolve breach', type: 'case.sla-breached', deadline: 'resolve', at: resolveBy },
  ];
  p.escalation.forEach((s, step) =>
    out.push({
      label: `${s.on} escalation ${step} (${s.action})`,
      type: 'case.escalated',
      deadline: s.on,
      step,
      at: (s.on === 'accept' ? acceptBy : resolveBy) + s.afterSeconds * 1000,
    }),
  );
  return out.sort((a, b) => a.at - b.at);
}

/**
 * The case's SLA events as consumers see them: deduplicated by eventId. The outbox relay is
 * at-least-once (a relay killed after the send, before marking the row, sends it again with the
 * same eventId; consumers' inboxes drop the repeat); "fired once" means one eventId per timer.
 */
export function slaEvents(h: DispatchHarness, caseId: string): EventEnvelope<CaseLifecyclePayload>[] {
  const seen = new Set<string>();
  return h.events(caseId).filter((e) => {
    if (!SLA_TYPES.has(e.type) || seen.has(e.eventId)) return false;
    seen.add(e.eventId);
    return true;
  });
}

/** Redeliveries of one event (same eventId) on the wire, for reporting. */
export function redeliveries(h: DispatchHarness, caseId: string): number {
  const all = h.events(caseId).filter((e) => SLA_TYPES.has(e.type));
  return all.length - new Set(all.map((e) => e.eventId)).size;
}

export function matching(events: EventEnvelope<CaseLifecyclePayload>[], x: ExpectedFiring) {
  return events.filter(
    (e) =>
      e.type === x.type &&
      e.payload.deadline === x.deadline &&
      (x.step === undefined || e.payload.escalationStep === x.step),
  );
}

/**
 * Waits until nothing is left to fire for the case (no pending timer) and every SLA event
 * dispatch wrote to its outbox for the case is on the topic: then the reader holds all there is
 * (no fixed sleep needed to prove "no duplicate later").
 */
export async function settled(h: DispatchHarness, caseId: string, timeoutMs = 20_000): Promise<void> {
  const db = new Client({ connectionString: h.ns.databaseUrl });
  await db.connect();
  try {
    await waitFor(
      async () => {
        const pending = await db.query(
          `SELECT 1 FROM dispatch.task_sla WHERE case_id = $1 AND next_timer_at IS NOT NULL`,
          [caseId],
        );
        if (pending.rows.length) return false;
        const out = await db.query(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished
             FROM dispatch.outbox WHERE message_key = $1 AND event_type = ANY($2::text[])`,
          [caseId, [...SLA_TYPES]],
        );
        const { n, unpublished } = out.rows[0] as { n: number; unpublished: number };
        return unpublished === 0 && slaEvents(h, caseId).length >= n;
      },
      { timeoutMs, what: `SLA timers of ${caseId} to be all fired and on the topic`, intervalMs: 100 },
    );
  } finally {
    await db.end();
  }
}

/** Asserts each expected firing happened exactly once, within `toleranceMs` of its instant. */
export function assertFiredOnceOnTime(
  events: EventEnvelope<CaseLifecyclePayload>[],
  expected: ExpectedFiring[],
  toleranceMs = 2000,
  notBefore?: (x: ExpectedFiring) => number,
): void {
  for (const x of expected) {
    const found = matching(events, x);
    if (found.length !== 1)
      throw new Error(`${x.label}: expected exactly one ${x.type}, got ${found.length}`);
    const at = new Date(found[0].payload.at).getTime();
    const occurred = new Date(found[0].occurredAt).getTime();
    const due = Math.max(x.at, notBefore?.(x) ?? 0);
    if (at < x.at - 5) throw new Error(`${x.label}: fired ${x.at - at} ms early`);
    if (at - due > toleranceMs || occurred - due > toleranceMs)
      throw new Error(`${x.label}: fired ${at - due} ms after its moment (limit ${toleranceMs} ms)`);
  }
}
