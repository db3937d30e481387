import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

/**
 * docker-compose.yml cannot run on machines without a Docker engine (like CI here), so it is kept
 * honest by reading it against what the code and the local scripts expect.
 */
const ROOT = join(__dirname, '..', '..');
type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number>;
  ports?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
};
const compose = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};

describe('docker-compose.yml', () => {
  it('has the three infrastructure services and the four application services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['dispatch', 'intake', 'kafka', 'notification', 'postgres', 'provision', 'redis', 'routing'].sort(),
    );
    expect(compose.services.kafka.image).toMatch(/^apache\/kafka:4\./);
  });

  it.each([
    ['intake', 3001],
    ['routing', 3002],
    ['dispatch', 3003],
    ['notification', 3004],
  ])('%s is built from the Dockerfile, gets the required env and its default port %d', (name, port) => {
    const svc = compose.services[name];
    expect(svc.build?.dockerfile).toBe('deploy/Dockerfile');
    expect(existsSync(join(ROOT, svc.build!.dockerfile))).toBe(true);
    for (const v of ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL']) expect(svc.environment?.[v]).toBeTruthy();
    expect(svc.environment?.SERVICE).toBe(name);
    expect(svc.ports).toEqual([`${port}:${port}`]);
    expect(existsSync(join(ROOT, 'services', name, 'src', 'main.ts'))).toBe(true);
    expect(svc.depends_on?.provision?.condition).toBe('service_completed_successfully');
  });

  it('provisions with the same script npm start uses, and Kafka matches the local broker settings', () => {
    expect(compose.services.provision.command).toEqual(['node', 'dist/deploy/scripts/provision.js']);
    expect(existsSync(join(ROOT, 'deploy/scripts/provision.ts'))).toBe(true);
    const k = compose.services.kafka.environment!;
    const local = readFileSync(join(ROOT, 'deploy/local/kafka/server.properties'), 'utf8');
    expect(k.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(local).toMatch(/auto\.create\.topics\.enable=false/);
    expect(k.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe(1);
  });
});
