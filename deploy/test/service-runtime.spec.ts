import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, serviceRuntimeEnv } from '../../bench/lib/procs';

/** deploy/service-runtime.env is the one place the services' Node runtime settings live. */
describe('service runtime settings', () => {
  it('reads KEY=value lines and skips comments and blanks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-env-'));
    const file = join(dir, 'x.env');
    writeFileSync(
      file,
      '# note\n\nNODE_OPTIONS=--max-old-space-size=64 --no-warnings\n  A_B=2 \nnot a line\n',
    );
    expect(serviceRuntimeEnv(file)).toEqual({
      NODE_OPTIONS: '--max-old-space-size=64 --no-warnings',
      A_B: '2',
    });
  });

  it('caps the heap and the malloc arenas, and fixes glibc’s mmap threshold', () => {
    const env = serviceRuntimeEnv();
    expect(env.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    expect(env.MALLOC_ARENA_MAX).toMatch(/^\d+$/);
    expect(env.MALLOC_MMAP_THRESHOLD_).toMatch(/^\d+$/);
  });

  it('is applied by npm start and the Docker image alike', () => {
    const start = readFileSync(join(REPO_ROOT, 'deploy', 'local', 'start.sh'), 'utf8');
    expect(start).toMatch(/set -a\s+(#.*\n\s*)*source deploy\/service-runtime\.env\s+set \+a/);
    const docker = readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    expect(docker).toContain('COPY deploy/service-runtime.env ./deploy/service-runtime.env');
    expect(docker).toMatch(/CMD .*\. \.\/deploy\/service-runtime\.env; set \+a; exec node/);
  });
});
