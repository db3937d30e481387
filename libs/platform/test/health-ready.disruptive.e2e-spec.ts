import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Controller, Get, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServiceApp, PlatformModule } from '@app/platform';
import { createTestNamespace, REPO_ROOT, TestNamespace, waitFor } from '@app/testing';

@Controller('probe')
class ProbeController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('db')
  async db(): Promise<{ ok: boolean }> {
    await this.dataSource.query('SELECT 1');
    return { ok: true };
  }
}

@Module({
  imports: [PlatformModule.forRoot({ service: 'probe', defaultPort: 0, entities: [], migrations: [] })],
  controllers: [ProbeController],
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
    // A request that needs the database is told to come back, not that the service is broken.
    const refused = await fetch(`${url}/probe/db`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(((await refused.json()) as { code: string }).code).toBe('UNAVAILABLE');

    infra('start-postgres');
    await waitFor(async () => (await ready()).status === 200, {
      timeoutMs: 30_000,
      what: 'readiness to recover',
    });
    await waitFor(async () => (await fetch(`${url}/probe/db`)).status === 200, {
      timeoutMs: 30_000,
      what: 'the database request to succeed again',
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
