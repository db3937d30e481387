import { spawn } from 'node:child_process';
import { join } from 'node:path';

const FIXTURE = join(__dirname, '..', 'test', 'fixtures', 'run-service-fixture.ts');

function run(
  failure: string,
): Promise<{ code: number | null; lines: Record<string, unknown>[]; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE], {
      env: { ...process.env, FIXTURE_FAILURE: failure, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, lines, out });
    });
  });
}

describe('runService', () => {
  jest.setTimeout(30_000);

  it.each([
    ['error-event', 'uncaught exception; the process exits', 'connection lost, nobody listening'],
    ['rejection', 'unhandled promise rejection; the process exits', 'nobody awaited this'],
    ['start', 'fixture failed to start; the process exits', 'the database is not there'],
  ])('%s: one JSON error line with the cause and its stack, then exit 1', async (failure, msg, cause) => {
    const { code, lines, out } = await run(failure);
    expect({ code, out }).toMatchObject({ code: 1 });
    const fatal = lines.filter((l) => l.level === 'error');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ service: 'fixture', scope: 'process', msg });
    const err = fatal[0].err as { message: string; stack: string };
    expect(err.message).toBe(cause);
    expect(err.stack).toContain('run-service-fixture');
  });

  it('a process that does not fail is left alone', async () => {
    const { code, lines } = await run('none');
    expect(code).toBe(0);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
