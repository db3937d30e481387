import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchNamespace } from '../lib/namespace';
import { keepAliveAgent, postJson } from '../lib/load';
import { BenchProcess, freePort, REPO_ROOT, serviceRuntimeEnv, startProcess, DIST_ROOT } from '../lib/procs';
import type { Target } from '../lib/target';

export const SERVICES = ['routing', 'dispatch', 'notification', 'intake'] as const;
export type ServiceName = (typeof SERVICES)[number];

const ROUTING_TOKEN = process.env.ROUTING_ADMIN_TOKEN ?? 'routing-dev-token';

/**
 * Environment the bench gives the services on top of the namespace: the demo seed, dev
 * providers for SMS/email/WeChat (webhooks to units are always real HTTP), production mode, and
 * intake's per-client and per-phone rate limits raised (the load comes from one address; in
 * production it comes from many residents, each far below the limits).
 */
export function serviceEnv(ns: BenchNamespace, extra: Record<string, string>): Record<string, string> {
  return {
    ...ns.env,
    SEED_DEMO: 'true',
    SEED_DEMO_STAFF: 'true',
    NOTIFY_PROVIDER_MODE: 'dev',
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    // The bench runs its own build (.run/bench-dist): point routing at the seed in the sources.
    ROUTING_SEED_PATH: join(REPO_ROOT, 'services/routing/seed/demo-district.json'),
    RATE_LIMIT_CLIENT_PER_MINUTE: '100000000',
    RATE_LIMIT_PHONE_PER_HOUR: '100000000',
    ...extra,
  };
}

interface SeedUnit {
  unitId: string;
  name?: string;
  unitType?: string;
  areaCodes?: string[];
  contact?: Record<string, unknown>;
  supervisorContact?: Record<string, unknown>;
}

/** Demo partner API keys from the seed's README (lines naming a unit id and a key). */
export function demoPartnerKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  const fromEnv = process.env.BENCH_PARTNER_KEYS;
  if (fromEnv)
    for (const [u, k] of Object.entries(JSON.parse(fromEnv) as Record<string, string>)) keys.set(u, k);
  const readme = join(REPO_ROOT, 'services/routing/seed/README.md');
  if (existsSync(readme)) {
    for (const line of readFileSync(readme, 'utf8').split('\n')) {
      const unit = /\b(U-[A-Z0-9-]+[A-Z0-9])\b/.exec(line)?.[1];
      if (!unit || keys.has(unit)) continue;
      const key = [...line.matchAll(/`([^`\s]{12,})`/g)].map((m) => m[1]).find((k) => k !== unit);
      if (key) keys.set(unit, key);
    }
  }
  return keys;
}

async function api(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed };
}

/**
 * Points every demo unit's webhook at the bench's receiver through routing's admin API, and
 * gives each a partner API key when the admin API issues them (else the seed's demo keys).
 */
async function configureUnits(
  routingUrl: string,
  receiverUrl: string,
  log: (s: string) => void,
): Promise<Map<string, string>> {
  const seed = JSON.parse(
    readFileSync(join(REPO_ROOT, 'services/routing/seed/demo-district.json'), 'utf8'),
  ) as {
    units: SeedUnit[];
  };
  const auth = { authorization: `Bearer ${ROUTING_TOKEN}`, 'x-actor': 'bench' };
  const openapi = (await api('GET', `${routingUrl}/openapi.json`)).body as {
    paths?: Record<string, unknown>;
  };
  const paths = Object.keys(openapi?.paths ?? {});
  const keyPath = paths.find((p) => /units\/\{[^}]+\}\/(api-keys|keys|partner-keys)$/.test(p));
  const keys = demoPartnerKeys();
  let configured = 0;
  for (const u of seed.units) {
    const url = `${routingUrl}/v1/admin/units/${encodeURIComponent(u.unitId)}`;
    const webhookUrl = `${receiverUrl}/hooks/${encodeURIComponent(u.unitId)}`;
    // PUT replaces the definition: send the seed's own definition with the webhook changed
    // (the webhook secret is kept when omitted).
    // The seed's webhook secret is sent too: routing's PUT answered 500 (webhook_secret NOT NULL)
    // when it was omitted, although its API says the secret is kept.
    const body: Record<string, unknown> = {
      webhookUrl,
      webhookSecret: `demo-webhook-secret-${u.unitId.replace(/^U-/, '').toLowerCase()}`,
    };
    for (const k of ['name', 'unitType', 'areaCodes', 'contact', 'supervisorContact'] as const)
      if (u[k] !== undefined && u[k] !== null) body[k] = u[k];
    let r = await api('PUT', url, body, auth);
    if (r.status === 404 || r.status === 405) r = await api('PATCH', url, { webhookUrl }, auth);
    if (r.status >= 300) {
      log(
        `routing admin: setting ${u.unitId}'s webhook answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`,
      );
      continue;
    }
    configured++;
    if (keyPath && !keys.has(u.unitId)) {
      const k = await api(
        'POST',
        `${routingUrl}${keyPath.replace(/\{[^}]+\}/, encodeURIComponent(u.unitId))}`,
        { label: 'bench' },
        auth,
      );
      const b = k.body as Record<string, unknown> | undefined;
      const key = b && (b.apiKey ?? b.key ?? b.token);
      if (typeof key === 'string') keys.set(u.unitId, key);
    }
  }
  log(
    `routing admin: ${configured}/${seed.units.length} unit webhooks point at the receiver; ${keys.size} partner keys`,
  );
  return keys;
}

export async function startReal(
  ns: BenchNamespace,
  receiverUrl: string,
  logDir: string,
  log: (s: string) => void,
  nodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<Target> {
  const ports = new Map<ServiceName, number>();
  for (const s of SERVICES) ports.set(s, await freePort());
  const portEnv = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_PORT`, String(ports.get(s))]));
  const env = serviceEnv(ns, { ...serviceRuntimeEnv(), ...portEnv, ...extraEnv });
  const processes: BenchProcess[] = [];
  const started = await Promise.allSettled(
    SERVICES.map((s) =>
      startProcess(
        s,
        join(DIST_ROOT, 'services', s, 'src', 'main.js'),
        [],
        { ...env, PORT: String(ports.get(s)) },
        ports.get(s)!,
        '/health/ready',
        join(logDir, `${s}.log`),
        120_000,
        ['--enable-source-maps', ...nodeArgs],
      ),
    ),
  );
  for (const r of started) if (r.status === 'fulfilled') processes.push(r.value);
  const failed = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) {
    await Promise.all(processes.map((p) => p.stop()));
    throw new Error(failed.map((f) => String((f.reason as Error)?.message ?? f.reason)).join('\n'));
  }
  const url = (s: ServiceName) => `http://127.0.0.1:${ports.get(s)}`;
  const keys = await configureUnits(url('routing'), receiverUrl, log);
  const agent = keepAliveAgent(32);
  const p = ns.topicPrefix;
  return {
    name: 'real',
    reportUrl: `${url('intake')}/v1/reports`,
    processes,
    groupPrefix: p,
    // The ceiling's groups share the namespace's prefix; whatever they left unread is not ours.
    foreignGroup: (g) => g.startsWith(`${p}ceiling.`),
    stageTopics: {
      [`${p}case.routed.v1`]: 'routed',
      [`${p}case.triage-required.v1`]: 'triaged',
      [`${p}case.lifecycle.v1`]: 'assigned',
    },
    parseArrival(a) {
      const caseId = a.body.caseId;
      const eventType = a.body.eventType;
      return typeof caseId === 'string' && typeof eventType === 'string' ? { caseId, eventType } : undefined;
    },
    async partnerAct(a) {
      const data = (a.body.data ?? {}) as Record<string, unknown>;
      const taskId = data.taskId;
      const unitId =
        typeof data.unitId === 'string' ? data.unitId : decodeURIComponent(a.path.split('/').pop() ?? '');
      const key = keys.get(unitId);
      if (typeof taskId !== 'string' || !key) throw new Error(`no task id or key for ${unitId}`);
      const h = { authorization: `Bearer ${key}` };
      const acc = await postJson(agent, `${url('dispatch')}/partner/v1/tasks/${taskId}/accept`, {}, h);
      if (acc.status !== 200) throw new Error(`accept answered ${acc.status}`);
      const res = await postJson(
        agent,
        `${url('dispatch')}/partner/v1/tasks/${taskId}/resolve`,
        { note: '已派人到场处理，问题已解决 (bench)' },
        h,
      );
      if (res.status !== 200) throw new Error(`resolve answered ${res.status}`);
    },
    async stop() {
      const stops = await Promise.all(processes.map(async (pr) => ({ name: pr.name, ...(await pr.stop()) })));
      // A service that does not end on SIGTERM within 10 s is killed (and writes no --cpu-prof profile).
      for (const st of stops.filter((x) => x.killed || x.ms > 3000))
        log(
          `${st.name} ${st.killed ? 'did not stop within 10 s of SIGTERM: killed' : `took ${st.ms} ms to stop`}`,
        );
      agent.destroy();
    },
  };
}
