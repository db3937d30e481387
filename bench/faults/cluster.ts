import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { BenchNamespace } from '../lib/namespace';
import { BenchProcess, freePort, REPO_ROOT, serviceRuntimeEnv, sleep, startProcess } from '../lib/procs';

export const SERVICES = ['routing', 'dispatch', 'notification', 'intake'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Lines of a dead service's log printed by deathReport (of its last 8 KB). */
const DEATH_REPORT_LINES = 30;

export type InfraAction = 'restart-kafka' | 'restart-postgres' | 'stop-redis' | 'start-redis';

/**
 * The four compiled services as child processes of the fault test, each on a fixed port for the
 * whole run (a restarted service comes back where the clients expect it). Every generation of a
 * process logs to its own file (`<svc>.<n>.log`) so a SIGKILLed process's last lines are kept.
 */
export class Cluster {
  readonly ports = new Map<ServiceName, number>();
  private readonly procs = new Map<ServiceName, BenchProcess>();
  private readonly generation = new Map<ServiceName, number>();
  /** Services the test itself is killing or starting: not dead on their own meanwhile. */
  private readonly busy = new Set<ServiceName>();

  constructor(
    private readonly ns: BenchNamespace,
    private readonly distDir: string,
    private readonly logDir: string,
    private readonly extraEnv: Record<string, string>,
  ) {}

  url(s: ServiceName): string {
    return `http://127.0.0.1:${this.ports.get(s)}`;
  }

  private env(s: ServiceName): Record<string, string> {
    const portEnv = Object.fromEntries(
      SERVICES.map((x) => [`${x.toUpperCase()}_PORT`, String(this.ports.get(x))]),
    );
    return {
      ...serviceRuntimeEnv(),
      ...this.ns.env,
      SEED_DEMO: 'true',
      SEED_DEMO_STAFF: 'true',
      NOTIFY_PROVIDER_MODE: 'dev',
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'info',
      RATE_LIMIT_CLIENT_PER_MINUTE: '100000000',
      RATE_LIMIT_PHONE_PER_HOUR: '100000000',
      // 10 s (the lib's default): at 6 s, members busy on a starved 2-core machine were evicted
      // mid-batch and rejoined over and over (the fault test's first runs).
      KAFKA_SESSION_TIMEOUT_MS: process.env.KAFKA_SESSION_TIMEOUT_MS ?? '10000',
      ...portEnv,
      ...this.extraEnv,
      PORT: String(this.ports.get(s)),
    };
  }

  async startAll(): Promise<void> {
    for (const s of SERVICES) this.ports.set(s, await freePort());
    const started = await Promise.allSettled(SERVICES.map((s) => this.start(s)));
    const failed = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) {
      await this.stopAll();
      throw new Error(failed.map((f) => String((f.reason as Error)?.message ?? f.reason)).join('\n'));
    }
  }

  start(s: ServiceName): Promise<BenchProcess> {
    return this.whileBusy(s, () => this.startProcess(s));
  }

  /** Runs the test's own work on a service; meanwhile deadServices() does not count it. */
  private async whileBusy<T>(s: ServiceName, work: () => Promise<T>): Promise<T> {
    this.busy.add(s);
    try {
      return await work();
    } finally {
      this.busy.delete(s);
    }
  }

  private async startProcess(s: ServiceName): Promise<BenchProcess> {
    const gen = (this.generation.get(s) ?? 0) + 1;
    this.generation.set(s, gen);
    const p = await startProcess(
      s,
      join(this.distDir, 'services', s, 'src', 'main.js'),
      [],
      this.env(s),
      this.ports.get(s)!,
      '/health/ready',
      join(this.logDir, `${s}.${gen}.log`),
      120_000,
      ['--enable-source-maps'],
    );
    this.procs.set(s, p);
    return p;
  }

  /** SIGKILL (no shutdown hooks, in-flight work cut), then start again on the same port. */
  killAndRestart(s: ServiceName): Promise<number> {
    return this.whileBusy(s, async () => {
      const p = this.procs.get(s);
      if (p && p.proc.exitCode === null && p.proc.signalCode === null) {
        const exited = new Promise<void>((r) => p.proc.once('exit', () => r()));
        p.proc.kill('SIGKILL');
        await exited;
      }
      const t0 = Date.now();
      await this.startProcess(s);
      return Date.now() - t0;
    });
  }

  /** Services that died on their own (not by the fault test). */
  deadServices(): ServiceName[] {
    return SERVICES.filter((s) => {
      if (this.busy.has(s)) return false;
      const p = this.procs.get(s);
      return !p || p.proc.exitCode !== null || p.proc.signalCode !== null;
    });
  }

  /** How a process that has exited went: `exit code N` or `signal SIG…`. */
  exitHow(s: ServiceName): string {
    const p = this.procs.get(s)?.proc;
    if (!p) return 'never started';
    return p.signalCode ? `signal ${p.signalCode}` : `exit code ${p.exitCode}`;
  }

  async readiness(): Promise<Record<ServiceName, number>> {
    const out = {} as Record<ServiceName, number>;
    await Promise.all(
      SERVICES.map(async (s) => {
        const r = await fetch(`${this.url(s)}/health/ready`, { signal: AbortSignal.timeout(3000) }).catch(
          () => undefined,
        );
        out[s] = r?.status ?? 0;
        const text = (await r?.text().catch(() => '')) ?? '';
        if (out[s] !== 200) this.lastNotReady.set(s, text.slice(0, 300) || 'no answer');
      }),
    );
    return out;
  }

  private readonly lastNotReady = new Map<ServiceName, string>();

  /** Waits until /health/ready answers 200 for every service; throws with the last answers. */
  async waitHealthy(timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    let last: Record<string, number> = {};
    while (Date.now() - t0 < timeoutMs) {
      last = await this.readiness();
      if (Object.values(last).every((c) => c === 200)) return Date.now() - t0;
      const dead = this.deadServices();
      if (dead.length) throw new Error(`service(s) exited by themselves: ${dead.join(', ')}`);
      await sleep(250);
    }
    const why = SERVICES.filter((s) => last[s] !== 200).map((s) => `${s}: ${this.lastNotReady.get(s) ?? ''}`);
    throw new Error(
      `not every service ready after ${timeoutMs} ms: ${JSON.stringify(last)} ${why.join(' | ')}`,
    );
  }

  tail(s: ServiceName): string {
    return this.procs.get(s)?.output() ?? '';
  }

  /**
   * How a service that died on its own went: its exit code or signal and the last lines it wrote
   * (an uncaught error's stack is among them), for the run's output: on CI that output is all
   * there is, the log files stay on the machine that ran it.
   */
  deathReport(s: ServiceName): string {
    const lines = this.tail(s)
      .trimEnd()
      .split('\n')
      .filter((l) => !/^\{"time":"[^"]*","level":"(info|debug)"/.test(l))
      .slice(-DEATH_REPORT_LINES);
    const log = `${s}.${this.generation.get(s)}.log`;
    return `${s} exited by itself (${this.exitHow(s)}); ${
      lines.length
        ? `the last lines of ${log} above info level:\n${lines.join('\n')}`
        : `${log} ends in info lines`
    }`;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop().catch(() => undefined)));
  }
}

/** deploy/local/infra.sh <action> (restarts the machine's shared Kafka/Postgres/Redis). */
export function infra(action: InfraAction): Promise<{ ms: number; output: string }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [join(REPO_ROOT, 'deploy', 'local', 'infra.sh'), action],
      { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (err) reject(new Error(`infra.sh ${action} failed: ${err.message}\n${output.slice(-2000)}`));
        else resolve({ ms: Date.now() - t0, output });
      },
    );
  });
}
