import type { BenchProcess } from './procs';
import type { WebhookArrival } from './receiver';

/** A system the bench drives: the real four services, or the bare pipeline (the ceiling). */
export interface Target {
  name: 'real' | 'ceiling';
  /** POST a report here (intake's public API, or the ceiling's stand-in). */
  reportUrl: string;
  reportHeaders?: Record<string, string>;
  processes: BenchProcess[];
  /** Kafka group id prefix of this target's consumers (for lag). */
  groupPrefix: string;
  /** Groups under that prefix that are not this target's (another target's, run before it). */
  foreignGroup?: (groupId: string) => boolean;
  /** Topic (full name) → what a message on it means for the case tracker. */
  stageTopics: Record<string, 'routed' | 'assigned' | 'triaged'>;
  /** The case id and event type a webhook arrival carries (undefined: not a task notification). */
  parseArrival(a: WebhookArrival): { caseId: string; eventType: string } | undefined;
  /** The partner unit's system reacting to a task notification: accept, then resolve. */
  partnerAct(a: WebhookArrival): Promise<void>;
  stop(): Promise<void>;
}
