import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The compiled tree this bench runs from (`<outDir>/bench/lib/procs.js` → `<outDir>`): the services
 * are started from the same build, so another engineer's `npm run build` (which empties dist/)
 * cannot pull them away mid-run.
 */
export const DIST_ROOT = resolve(__dirname, '..', '..');

/** The repository root (the bench runs compiled from dist/bench or from source in bench/). */
export const REPO_ROOT = ((): string => {
  let dir = __dirname;
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'services'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
})();

export { freePort } from '@app/testing';

/**
 * The services' runtime settings (deploy/service-runtime.env: heap limit, malloc arenas), so the
 * bench and the fault test run them as `npm start` and the Docker image do.
 */
export function serviceRuntimeEnv(
  file = join(REPO_ROOT, 'deploy', 'service-runtime.env'),
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].trim();
  }
  return env;
}

export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process of the bench (a compiled service or a ceiling stage) with its output kept. */
export interface BenchProcess {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s: how long it took, and whether it had to be killed. */
  stop(): Promise<{ ms: number; killed: boolean }>;
}

export async function startProcess(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  readyPath: string,
  logFile: string,
  readyTimeoutMs = 90_000,
  nodeArgs: string[] = [],
): Promise<BenchProcess> {
  // Output goes to a file (as `npm start` does), not through the bench's own event loop.
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'w');
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const out = (): string => {
    try {
      const size = statSync(logFile).size;
      const buf = Buffer.alloc(Math.min(size, 8000));
      const f = openSync(logFile, 'r');
      readSync(f, buf, 0, buf.length, size - buf.length);
      closeSync(f);
      return buf.toString('utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}): ${out().slice(-3000)}`);
        const res = await fetch(`${url}${readyPath}`).catch(() => undefined);
        return res?.status === 200;
      },
      readyTimeoutMs,
      `${name} to be ready`,
      250,
    );
  } catch (err) {
    proc.kill('SIGKILL');
    await exited;
    throw new Error(`${(err as Error).message}\n--- ${name} output (tail) ---\n${out()}`);
  }
  return {
    name,
    port,
    url,
    proc,
    output: out,
    async stop() {
      const t0 = Date.now();
      let killed = false;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => {
          killed = true;
          proc.kill('SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(t);
      }
      return { ms: Date.now() - t0, killed };
    },
  };
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcSample {
  t: number;
  cpuSeconds: number;
  rssMb: number;
  hwmMb: number;
}

export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return {
      t: Date.now(),
      cpuSeconds: (utime + stime) / CLK_TCK,
      rssMb: kb('VmRSS') / 1024,
      hwmMb: kb('VmHWM') / 1024,
    };
  } catch {
    return undefined;
  }
}

/** The whole machine's busy CPU time (all cores, every process: ours and anyone else's). */
export function readMachine(): ProcSample | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return { t: Date.now(), cpuSeconds: busy / CLK_TCK, rssMb: 0, hwmMb: 0 };
  } catch {
    return undefined;
  }
}

/** Samples CPU and RSS of named processes every 500 ms; windows give CPU % and peak RSS. */
export class ProcSampler {
  private readonly samples = new Map<string, ProcSample[]>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: Map<string, number>) {}

  start(): void {
    this.sampleOnce();
    this.timer = setInterval(() => this.sampleOnce(), 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sampleOnce();
  }

  private sampleOnce(): void {
    const m = readMachine();
    if (m) {
      const list = this.samples.get('machine') ?? [];
      list.push(m);
      this.samples.set('machine', list);
    }
    for (const [name, pid] of this.pids) {
      const s = readProc(pid);
      if (!s) continue;
      const list = this.samples.get(name) ?? [];
      list.push(s);
      this.samples.set(name, list);
    }
  }

  /** CPU % of one core and peak RSS per process between two instants. */
  window(from: number, to: number): Record<string, { cpuPct: number; peakRssMb: number; hwmMb: number }> {
    const out: Record<string, { cpuPct: number; peakRssMb: number; hwmMb: number }> = {};
    for (const [name, list] of this.samples) {
      const inWin = list.filter((s) => s.t >= from - 600 && s.t <= to + 600);
      if (inWin.length < 2) continue;
      const a = inWin[0];
      const b = inWin[inWin.length - 1];
      const dt = (b.t - a.t) / 1000;
      out[name] = {
        cpuPct: dt > 0 ? Math.round(((b.cpuSeconds - a.cpuSeconds) / dt) * 1000) / 10 : 0,
        peakRssMb: Math.round(Math.max(...inWin.map((s) => s.rssMb))),
        hwmMb: Math.round(b.hwmMb),
      };
    }
    return out;
  }

  /** Lifetime peak RSS (VmHWM) per process. */
  peaks(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, list] of this.samples) {
      if (name === 'machine') continue;
      out[name] = Math.round(Math.max(...list.map((s) => Math.max(s.hwmMb, s.rssMb))));
    }
    return out;
  }
}
