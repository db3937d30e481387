import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGKILL (no goodbye) or SIGTERM (graceful), then wait for exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a service as a real OS process (TypeScript through @swc-node/register, or compiled
 * JS from dist/ when SERVICES_FROM_DIST=1) and waits until /health/ready answers 200.
 */
export async function spawnService(
  name: 'intake' | 'routing' | 'dispatch' | 'notification',
  env: Record<string, string>,
  options: { port?: number; readyTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const fromDist = process.env.SERVICES_FROM_DIST === '1';
  const args = fromDist
    ? [join(REPO_ROOT, 'dist', 'services', name, 'src', 'main.js')]
    : ['-r', '@swc-node/register', join(REPO_ROOT, 'services', name, 'src', 'main.ts')];
  let out = '';
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, [`${name.toUpperCase()}_PORT`]: String(port), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    out += b.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`${name} exited with ${proc.exitCode}: ${out.slice(-3000)}`);
        const res = await fetch(`${url}/health/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 200, what: `${name} to be ready` },
    );
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${out.slice(-5000)}`);
  }
  return {
    name,
    port,
    url,
    proc,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
