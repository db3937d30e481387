/**
 * The million-row parts, run against the real dispatch service after the load steps:
 * - SLA due-scan: N open tasks (dispatch's own bench seed), then a few deadlines a few seconds
 *   ahead; measures deadline → `case.sla-breached` on case.lifecycle.v1 (target ≤ 2 s), and
 *   what the idle scanner costs with N open tasks.
 * - Ops queries: N cases in the ops read model (dispatch's ops seed), then every /ops/v1 query
 *   through HTTP as a supervisor, timed.
 * The seeds are loaded from dist at run time, so a missing one is reported, not a build failure.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { KafkaWatch } from '../lib/kafka-watch';
import type { BenchNamespace } from '../lib/namespace';
import { readProc, sleep, DIST_ROOT } from '../lib/procs';
import type { ScaleResult } from '../lib/report';
import { percentiles } from '../lib/stats';
import type { Target } from '../lib/target';

export interface ScaleOptions {
  quick: boolean;
  rows?: number;
  log: (s: string) => void;
}

interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

type SeedOpenTasks = (
  db: SqlRunner,
  n: number,
  o?: { dueSoon?: number; dueInMs?: number; spreadMs?: number; tag?: string; chunk?: number },
) => Promise<{ dueSoon: { caseId: string; taskId: string; dueAt: Date }[] }>;
type SeedOps = (db: SqlRunner, o: { cases: number; tag?: string }) => Promise<void>;

function load<T>(rel: string, name: string): T | undefined {
  const file = join(DIST_ROOT, rel);
  if (!existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as Record<string, unknown>;
  return mod[name] as T | undefined;
}

export async function runScaleParts(
  ns: BenchNamespace,
  target: Target,
  o: ScaleOptions,
): Promise<ScaleResult[]> {
  const rows = o.rows ?? (o.quick ? 100_000 : 1_000_000);
  const dispatch = target.processes.find((p) => p.name === 'dispatch');
  if (!dispatch) return [];
  const db = new Client({ connectionString: ns.databaseUrl, statement_timeout: 600_000 });
  await db.connect();
  const out: ScaleResult[] = [];
  try {
    out.push(await slaScan(ns, db, dispatch.url, dispatch.proc.pid, rows, o));
    out.push(await opsQueries(db, dispatch.url, rows, o));
  } finally {
    await db.end();
  }
  return out;
}

async function slaScan(
  ns: BenchNamespace,
  db: Client,
  _url: string,
  pid: number | undefined,
  rows: number,
  o: ScaleOptions,
): Promise<ScaleResult> {
  const name = 'SLA due-scan';
  const seed = load<SeedOpenTasks>('services/dispatch/src/sla/sla-bench-seed.js', 'seedOpenTasks');
  if (!seed)
    return {
      name,
      rows,
      ok: false,
      lines: ['dispatch has no SLA bench seed (sla-bench-seed) yet: pending'],
      metrics: {},
    };
  const soonCount = 20;
  o.log(`SLA: seeding ${rows.toLocaleString('en')} open tasks`);
  const t0 = Date.now();
  await seed(db, rows - soonCount, { dueSoon: 0, tag: `open${ns.id.slice(-4)}` });
  const seedS = (Date.now() - t0) / 1000;
  await db.query('ANALYZE "dispatch".cases; ANALYZE "dispatch".tasks; ANALYZE "dispatch".task_sla');
  const [{ open }] = (
    await db.query(`SELECT count(*)::int AS open FROM "dispatch".task_sla WHERE next_timer_at IS NOT NULL`)
  ).rows as { open: number }[];
  // The scanner's idle cost with the table full: dispatch CPU over 5 s with nothing due.
  const a = pid ? readProc(pid) : undefined;
  await sleep(5000);
  const b = pid ? readProc(pid) : undefined;
  const idleCpu =
    a && b ? Math.round(((b.cpuSeconds - a.cpuSeconds) / ((b.t - a.t) / 1000)) * 1000) / 10 : NaN;

  const fired = new Map<string, { ts: number; at?: number }>();
  const watch = new KafkaWatch(ns.kafka, `${ns.topicPrefix}bench-sla-${Date.now()}`, {
    [`${ns.topicPrefix}case.lifecycle.v1`]: (v, ts) => {
      if (v.type !== 'case.sla-breached' || typeof v.caseId !== 'string') return;
      const p = (v.payload ?? {}) as { at?: string };
      if (!fired.has(v.caseId)) fired.set(v.caseId, { ts, at: p.at ? Date.parse(p.at) : undefined });
    },
  });
  await watch.start();
  try {
    const soon = await seed(db, soonCount, {
      dueSoon: soonCount,
      dueInMs: 4000,
      spreadMs: 250,
      tag: `soon${ns.id.slice(-4)}`,
    });
    const last = Math.max(...soon.dueSoon.map((d) => d.dueAt.getTime()));
    const ids = new Set(soon.dueSoon.map((d) => d.caseId));
    while (Date.now() < last + 20_000 && [...ids].some((id) => !fired.has(id))) await sleep(100);
    const lags = soon.dueSoon
      .filter((d) => fired.has(d.caseId))
      .map((d) => fired.get(d.caseId)!.ts - d.dueAt.getTime());
    const scanLags = soon.dueSoon
      .filter((d) => fired.get(d.caseId)?.at !== undefined)
      .map((d) => fired.get(d.caseId)!.at! - d.dueAt.getTime());
    const p = percentiles(lags);
    const s = percentiles(scanLags);
    const missing = soonCount - lags.length;
    const ok = missing === 0 && p.max <= 2000;
    o.log(`SLA: ${open} open timers; breach lag p50 ${p.p50} ms, max ${p.max} ms, ${missing} missing`);
    return {
      name,
      rows: open,
      ok: missing === 0,
      lines: [
        `${open.toLocaleString('en')} open SLA timers seeded in ${seedS.toFixed(0)} s (dispatch's sla-bench-seed); dispatch idle CPU with them: ${idleCpu} % of a core`,
        `${soonCount} deadlines 4–9 s ahead: deadline → \`case.sla-breached\` on Kafka p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms` +
          (s.n ? ` (scanner's own \`at\` − deadline p50 ${s.p50} ms, max ${s.max} ms)` : '') +
          `${missing ? `; ${missing} breaches never arrived within 20 s` : ''} — target ≤ 2000 ms: ${ok ? 'met' : 'NOT met'}`,
      ],
      metrics: { open, breachLagP50: p.p50, breachLagMax: p.max, missing, idleCpu },
    };
  } finally {
    await watch.stop();
  }
}

async function opsQueries(db: Client, url: string, rows: number, o: ScaleOptions): Promise<ScaleResult> {
  const name = 'Ops queries';
  const seed = load<SeedOps>('services/dispatch/src/ops/ops-seed.js', 'seedOpsReadModel');
  if (!seed)
    return {
      name,
      rows,
      ok: false,
      lines: ['dispatch has no ops read-model seed yet: pending'],
      metrics: {},
    };
  o.log(`ops: seeding ${rows.toLocaleString('en')} cases into the ops read model`);
  const t0 = Date.now();
  await seed(db, { cases: rows, tag: 'opsbench' });
  const seedS = (Date.now() - t0) / 1000;
  await db.query(
    'ANALYZE "dispatch".ops_cases; ANALYZE "dispatch".ops_tasks; ANALYZE "dispatch".ops_breaches; ANALYZE "dispatch".ops_hotspot_daily',
  );
  const login = await fetch(`${url}/center/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: 'supervisor',
      password: process.env.BENCH_SUPERVISOR_PASSWORD ?? 'supervisor-demo-2026',
    }),
  });
  const token = ((await login.json().catch(() => ({}))) as { token?: string }).token;
  if (!token)
    return {
      name,
      rows,
      ok: false,
      lines: [`supervisor login answered ${login.status}: cannot query /ops/v1`],
      metrics: { seedS },
    };
  const [{ id }] = (
    await db.query(
      `SELECT case_id AS id FROM "dispatch".ops_cases WHERE is_open ORDER BY reported_at DESC LIMIT 1`,
    )
  ).rows as { id: string }[];
  const now = new Date();
  const ago = (days: number) => encodeURIComponent(new Date(now.getTime() - days * 86_400_000).toISOString());
  const queries: [string, string][] = [
    ['open cases (first page)', '/ops/v1/open-cases'],
    ['open cases, one grid', '/ops/v1/open-cases?grid=G001'],
    ['open cases, urgent of one unit', '/ops/v1/open-cases?unit=unit-7&priority=urgent'],
    ['aging buckets', '/ops/v1/aging'],
    ['breach board', '/ops/v1/breaches/open'],
    [
      'breach series, 30 days by day',
      `/ops/v1/breaches/series?from=${ago(30)}&to=${ago(0)}&interval=day&tz=Asia%2FShanghai`,
    ],
    [
      'breach series, 2 days by hour',
      `/ops/v1/breaches/series?from=${ago(2)}&to=${ago(0)}&interval=hour&tz=Asia%2FShanghai`,
    ],
    ['unit performance, 30 days', `/ops/v1/units/performance?from=${ago(30)}&to=${ago(0)}`],
    ['unit performance, 365 days', `/ops/v1/units/performance?from=${ago(365)}&to=${ago(0)}`],
    ['hotspots, 30 days', `/ops/v1/hotspots?from=${ago(30)}&to=${ago(0)}`],
    ['triage queue', '/ops/v1/triage'],
    ['one case', `/ops/v1/cases/${id}`],
  ];
  const lines = [
    `${rows.toLocaleString('en')} cases seeded in ${seedS.toFixed(0)} s (dispatch's ops-seed); 1 warm-up + 5 timed calls each, sequential:`,
  ];
  const metrics: Record<string, number> = { seedS };
  let ok = true;
  let worst = 0;
  for (const [label, path] of queries) {
    const times: number[] = [];
    let status = 0;
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      status = res.status;
      if (i > 0) times.push(performance.now() - t);
    }
    const p = percentiles(times);
    if (status !== 200) ok = false;
    worst = Math.max(worst, p.p50);
    lines.push(`${label}: p50 ${p.p50} ms, max ${p.max} ms${status !== 200 ? ` (HTTP ${status})` : ''}`);
  }
  metrics.worstP50 = worst;
  o.log(`ops: worst query p50 ${worst} ms over ${rows.toLocaleString('en')} cases`);
  return { name, rows, ok, lines, metrics };
}
