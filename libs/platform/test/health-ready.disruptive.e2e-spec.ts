import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { createServiceApp, PlatformModule } from '@app/platform';
import { createTestNamespace, REPO_ROOT, TestNamespace, waitFor } from '@app/testing';

@Module({
  imports: [PlatformModule.forRoot({ service: 'probe', defaultPort: 0, entities: [], migrations: [] })],
})
class ProbeModule {}

const infra = (cmd: string) =>
  execFileSync('bash', [join(REPO_ROOT, 'deploy/local/infra.sh'), cmd], { stdio: 'inherit' });

describe('/health/ready follows the real dependencies', () => {
  let ns: TestNamespace;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'health' });
    ns.apply();
    app = await createServiceApp(ProbeModule, { title: 'probe', description: 'probe', port: 0 });
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    infra('up');
    await app?.close();
    await ns?.cleanup();
  });

  const ready = async () => {
    const res = await fetch(`${url}/health/ready`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, { status: string }> } };
  };

  it('is ready with everything up, down while Postgres is stopped, and ready again after it restarts', async () => {
    expect((await ready()).status).toBe(200);
    expect((await fetch(`${url}/health/live`)).status).toBe(200);

    infra('stop-postgres');
    const down = await waitFor(
      async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 15_000, what: 'readiness to report down' },
    );
    expect(down.body.checks.postgres.status).toBe('down');
    expect(down.body.checks.redis.status).toBe('up');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);

    infra('start-postgres');
    await waitFor(async () => (await ready()).status === 200, {
      timeoutMs: 30_000,
      what: 'readiness to recover',
    });
  });

  it('reports Redis down while it is stopped, and recovers', async () => {
    infra('stop-redis');
    const down = await waitFor(
      async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 15_000, what: 'readiness to report Redis down' },
    );
    expect(down.body.checks.redis.status).toBe('down');
    infra('start-redis');
    await waitFor(async () => (await ready()).status === 200, {
      timeoutMs: 30_000,
      what: 'readiness to recover',
    });
  });
});
