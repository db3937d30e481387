import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { JsonLogger } from '@app/observability';
import { addKafkaRequests, KafkaSettings } from './kafka-settings';
import { OutboxRelayOptions, relayMetrics } from './relay';
import { startWorker } from './start-worker';

/** What the relay thread is started with (structured-cloned into it). */
export interface RelayWorkerData {
  service: string;
  logLevel: string;
  kafka: KafkaSettings;
  options: Omit<OutboxRelayOptions, 'connect' | 'observer' | 'onLock' | 'onCycle'>;
}

/**
 * RelayWorkerData and the nudge flag, shared by both threads (not copied): 1 from a nudge's
 * message until the relay's next cycle begins. Only the nudge that sets it posts a message; the
 * others in between are answered by that cycle's read, which starts after they were given.
 */
export interface RelayThreadData extends RelayWorkerData {
  nudged: Int32Array;
}

/** Messages from the relay thread. */
export type RelayThreadToMain =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'lock'; holds: boolean }
  | { kind: 'published'; rows: { topic: string; delaySeconds: number }[]; requests: Record<string, number> }
  | { kind: 'backlog'; rows: number; oldestAgeSeconds: number }
  | { kind: 'stopped'; requests: Record<string, number> };

/** The thread's entry: compiled next to this file, or the TypeScript source when run from it. */
function entry(): string {
  const js = join(__dirname, 'relay-worker.js');
  return existsSync(js) ? js : join(__dirname, 'relay-worker.ts');
}

/**
 * The outbox relay on a thread of its own (OUTBOX_RELAY_THREAD, default on): the same OutboxRelay,
 * with its own producer, connections and event loop. On the main thread every await of the relay
 * (its read, its send, its linger) waited behind whatever else was ready: under load, dispatch's
 * partner requests and consumer lanes made each of those waits tens of milliseconds, and a row
 * waited a few hundred for its publish. Same surface as OutboxRelay (start, nudge, relaying,
 * stop); its metrics and Kafka request counts are reported to this thread's registry. A thread
 * that dies is started again (after 1 s), as the relay itself retries its connection.
 */
export class RelayThread {
  private worker?: Worker;
  /** Whether the thread's relay holds the relay lock (named as OutboxRelay's field). */
  holdsLock = false;
  private stopping = false;
  private readonly nudged = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly data: RelayWorkerData,
    private readonly logger: JsonLogger,
  ) {}

  get relaying(): boolean {
    return this.holdsLock;
  }

  /** Starts the thread; resolves once its producer is connected and its relay running. */
  start(): Promise<void> {
    this.stopping = false;
    return this.spawn();
  }

  /**
   * Wakes the thread's relay after a commit. Under load commits come far faster than the relay's
   * cycles, and every message costs this thread a serialization and a wake-up of the other
   * (postMessage had ~5 % of the main threads' profile samples at 100 cases/s): a message goes
   * only when none is pending since the relay's last cycle began (`RelayThreadData.nudged`).
   */
  nudge(): void {
    if (this.worker && Atomics.exchange(this.nudged, 0, 1) === 0) this.worker.postMessage('nudge');
  }

  /** Stops the relay (it marks what the broker acknowledged) and ends the thread (10 s at most). */
  async stop(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    await w.terminate();
  }

  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const file = entry();
      // Run from TypeScript (tests, development): the thread needs the same loader.
      const execArgv =
        file.endsWith('.ts') && !process.execArgv.includes('@swc-node/register')
          ? [...process.execArgv, '-r', '@swc-node/register']
          : process.execArgv;
      // A new thread has no message pending.
      Atomics.store(this.nudged, 0, 0);
      const data: RelayThreadData = { ...this.data, nudged: this.nudged };
      const w = startWorker(
        file,
        {
          workerData: data,
          execArgv,
          // A relay holds a batch at a time: a small young generation keeps the thread's memory
          // down (every service's RSS counts it; the relay's garbage is short-lived).
          resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 },
        },
        (flags) =>
          this.logger.info(
            `outbox relay thread started without ${flags.join(' ')} (they hold for the whole process)`,
          ),
      );
      this.worker = w;
      let started = false;
      w.on('message', (m: RelayThreadToMain) => {
        switch (m.kind) {
          case 'ready':
            started = true;
            resolve();
            break;
          case 'failed':
            this.logger.error(`outbox relay thread failed to start: ${m.error}`);
            void w.terminate();
            break;
          case 'lock':
            this.holdsLock = m.holds;
            break;
          case 'published':
            relayMetrics.published(m.rows);
            addKafkaRequests('relay-producer', m.requests);
            break;
          case 'backlog':
            relayMetrics.backlog(m.rows, m.oldestAgeSeconds);
            break;
          case 'stopped':
            addKafkaRequests('relay-producer', m.requests);
            break;
        }
      });
      w.on('error', (err) => this.logger.error('outbox relay thread error', err));
      w.on('exit', (code) => {
        this.holdsLock = false;
        if (this.worker === w) this.worker = undefined;
        if (!started) {
          reject(new Error(`outbox relay thread exited (${code}) before it was ready`));
          return;
        }
        if (this.stopping) return;
        this.logger.error(`outbox relay thread exited (${code}); starting it again`);
        this.respawn(1);
      });
    });
  }

  private respawn(attempt: number): void {
    setTimeout(
      () => {
        if (this.stopping) return;
        this.spawn().catch((err) => {
          this.logger.error(`outbox relay thread did not start again (attempt ${attempt})`, err);
          this.respawn(attempt + 1);
        });
      },
      Math.min(10_000, 1000 * attempt),
    ).unref();
  }
}
