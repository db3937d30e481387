/**
 * kafkajs 2.2.4 (its last release) re-arms a 1 ms timer for ever on every broker connection whose
 * request queue is empty: `scheduleCheckPendingRequests` computes `throttledUntil - now`, which is
 * negative when nothing is throttled, and passes it to setTimeout whatever the queue holds
 * (tulios/kafkajs#1556, #1704; the fix in PR #1667 was never released). Each connection then
 * wakes the event loop about a thousand times a second; a service holds ten or so connections, so
 * an idle service burned ~6 % of a core and a busy one shared its event loop with the spin.
 *
 * The replacement keeps the method's contract: with requests pending it checks again after the
 * throttle (or 10 ms, as before); with none pending and no throttle it schedules nothing, because
 * `push` and every completion or timeout already call `checkPendingRequests`.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  prototype: RequestQueueInternals & { scheduleCheckPendingRequests(): void; __idleFix?: boolean };
};

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL = 10;

export function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
  else if (scheduleAt <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

/** Installs the fix once per process (idempotent); called where this library creates Kafka clients. */
export function installKafkajsIdleFix(): void {
  const proto = RequestQueue.prototype;
  if (proto.__idleFix) return;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  proto.__idleFix = true;
}
