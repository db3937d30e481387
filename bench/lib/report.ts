import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, serviceRuntimeEnv } from './procs';
import type { StepResult } from './runner';
import { rateWithinP99 } from './stats';

export interface Machine {
  nproc: number;
  memoryGb: number;
  cpuModel: string;
  loadAtStart: string;
  node: string;
  commit: string;
  dirty: boolean;
  /** The services' runtime settings (deploy/service-runtime.env), as `K=v K=v`. */
  runtime: string;
}

export function machine(): Machine {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      return '';
    }
  };
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    nproc: Number(sh('nproc', [])) || cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel,
    loadAtStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    node: process.version,
    commit: sh('git', ['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: sh('git', ['status', '--porcelain', '--untracked-files=no']).length > 0,
    runtime: Object.entries(serviceRuntimeEnv())
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  };
}

export interface ScaleResult {
  name: string;
  rows: number;
  ok: boolean;
  lines: string[];
  /** Key numbers for the JSON line and the table. */
  metrics: Record<string, number>;
}

export interface Headline {
  throughput_cps: number;
  ceiling_cps: number;
  ratio: number;
  p50_ms: number;
  p99_ms: number;
  p99_ms_at_100cps: number;
  max_rss_mb: number;
}

/** The step the headline's p50/p99 come from: the highest that kept up (none: the first step's are used). */
export function headlineStep(real: StepResult[]): StepResult | undefined {
  return real.filter((r) => r.ok).pop();
}

export function headline(
  real: StepResult[],
  ceiling: StepResult[],
  realPeaks: Record<string, number>,
): Headline {
  const max = (rs: StepResult[]) => Math.max(0, ...rs.map((r) => r.achieved));
  const throughput = max(real);
  const ceilingCps = max(ceiling);
  const at = headlineStep(real) ?? real[0];
  // Null when no step ran at 100 cases/s (a partial run's own rates): never another step's p99.
  const first = real.find((r) => r.offered === 100);
  const num = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null) as number;
  return {
    throughput_cps: Math.round(throughput),
    ceiling_cps: Math.round(ceilingCps),
    ratio: ceilingCps > 0 ? Math.round((throughput / ceilingCps) * 1000) / 1000 : 0,
    p50_ms: num(at?.latency.e2e.p50),
    p99_ms: num(at?.latency.e2e.p99),
    p99_ms_at_100cps: num(first?.latency.e2e.p99),
    max_rss_mb: Math.max(0, ...Object.values(realPeaks)),
  };
}

const f = (x: number) => (Number.isFinite(x) ? String(x) : '–');

/** The p99 target of the issue (report → unit's webhook at 100 cases/s). */
export const P99_TARGET_MS = 150;

/** Where each pipeline still met the p99 target (`rateWithinP99`), and where it kept every rate condition. */
export function latencyTargetLine(real: StepResult[], ceiling: StepResult[]): string {
  const within = (steps: StepResult[], limitMs: number) => {
    if (!steps.length) return 'not run';
    const rate = rateWithinP99(
      steps.map((r) => ({ offered: r.offered, rateKept: r.rateKept, p99Ms: r.latency.e2e.p99 })),
      limitMs,
    );
    return rate > 0 ? `up to ${rate} cases/s` : `not at its lowest step (${steps[0].offered}/s)`;
  };
  return (
    `**p99 ≤ ${P99_TARGET_MS} ms** (report → unit's webhook, the target at 100 cases/s) held: real services ${within(real, P99_TARGET_MS)}; ` +
    `ceiling ${within(ceiling, P99_TARGET_MS)}. Rate kept with the units' side keeping pace (webhooks, drain, partner ` +
    `accept/resolve ≥ 90 %), at any p99: real services ${within(real, Infinity)}; ceiling ${within(ceiling, Infinity)}.`
  );
}

export function stepTable(rows: StepResult[]): string {
  if (!rows.length) return '_not run_\n';
  const procNames = [...new Set(rows.flatMap((r) => Object.keys(r.procs)))];
  const head =
    '| offered/s | achieved/s | partner tasks/s (backlog) · accept+resolve p50/p99 ms | sent | 201 | incomplete | 201 p50/p99 | →routed p50/p99 | →assigned p50/p99 | →webhook p50/p99 | **e2e p50/p95/p99 (ms)** | max lag | Postgres statements/s · exec ms/s (per report) | ' +
    procNames
      .map((p) => (p === 'machine' ? 'machine CPU% (all processes, 200 = 2 cores)' : `${p} CPU%/RSS MB`))
      .join(' | ') +
    ' | verdict |';
  const sep = head.replace(/[^|]+/g, '---');
  const body = rows.map((r) => {
    const l = r.latency;
    const pp = (p: { p50: number; p99: number }) => `${f(p.p50)} / ${f(p.p99)}`;
    return (
      `| ${r.offered} | ${r.achieved} | ${r.partnerRate} (${r.partnerBacklog}) · ${pp(r.partnerMs)} | ${r.sent} | ${r.accepted} | ${r.incomplete} | ${pp(l.intake)} | ${pp(l.routed)} | ${pp(l.assigned)} | ${pp(l.webhook)} | ` +
      `**${f(l.e2e.p50)} / ${f(l.e2e.p95)} / ${f(l.e2e.p99)}** | ${r.maxLag} | ` +
      `${r.pg ? `${f(r.pg.perSec)} · ${f(r.pg.execMsPerSec)} (${r.pg.perCase})` : '–'} | ` +
      procNames
        .map((p) =>
          !r.procs[p]
            ? '–'
            : p === 'machine'
              ? `${r.procs[p].cpuPct}`
              : `${r.procs[p].cpuPct} / ${r.procs[p].peakRssMb}`,
        )
        .join(' | ') +
      ` | ${r.ok ? 'kept up' : `saturated: ${r.why}`}${Object.keys(r.failures).length ? ` (answers: ${JSON.stringify(r.failures)})` : ''} |`
    );
  });
  return [head, sep, ...body].join('\n') + '\n';
}

export function appendSection(opts: {
  mode: string;
  started: Date;
  m: Machine;
  real: StepResult[];
  realNote?: string;
  ceiling: StepResult[];
  peaks: Record<string, number>;
  scale: ScaleResult[];
  h: Headline;
  notes: string[];
}): string {
  const { m, h } = opts;
  const lines: string[] = [];
  lines.push(`\n## ${opts.started.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${opts.mode} run`);
  lines.push('');
  lines.push(
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGb} GiB RAM, load average at start ${m.loadAtStart}; Node ${m.node}; commit \`${m.commit}\`${m.dirty ? ' (with uncommitted changes)' : ''}; services run with \`${m.runtime}\`.`,
  );
  lines.push('');
  const at = headlineStep(opts.real);
  const atText = at ? `the highest rate that kept up (${at.offered}/s)` : 'the first step (none kept up)';
  lines.push(
    `**Headline:** ${h.throughput_cps} cases/s end to end vs a ceiling of ${h.ceiling_cps} cases/s → **ratio ${h.ratio}**; ` +
      `e2e p50 ${h.p50_ms} ms / p99 ${h.p99_ms} ms at ${atText}; p99 at 100 cases/s ${h.p99_ms_at_100cps} ms; peak RSS ${h.max_rss_mb} MB.`,
  );
  lines.push('');
  lines.push(latencyTargetLine(opts.real, opts.ceiling));
  lines.push('');
  lines.push('### Real services (compiled, four processes)');
  lines.push('');
  if (opts.realNote) lines.push(`${opts.realNote}\n`);
  lines.push(stepTable(opts.real));
  if (Object.keys(opts.peaks).length)
    lines.push(
      `Peak RSS over the run (VmHWM): ${Object.entries(opts.peaks)
        .map(([k, v]) => `${k} ${v} MB`)
        .join(', ')}.\n`,
    );
  lines.push('### Ceiling (bare pipeline, same hops, no business logic)');
  lines.push('');
  lines.push(stepTable(opts.ceiling));
  if (opts.scale.length) {
    lines.push('### Scale parts (1,000,000 rows in a full run, 100,000 with --quick)');
    lines.push('');
    for (const s of opts.scale) {
      lines.push(`- **${s.name}** (${s.rows.toLocaleString('en')} rows)${s.ok ? '' : ' — NOT COMPLETE'}:`);
      for (const l of s.lines) lines.push(`  - ${l}`);
    }
    lines.push('');
  }
  if (opts.notes.length) {
    lines.push('Notes:');
    for (const n of opts.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  lines.push('```json');
  lines.push(JSON.stringify(h));
  lines.push('```');
  const section = lines.join('\n') + '\n';
  const file = join(REPO_ROOT, 'BENCHMARKS.md');
  if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n');
  appendFileSync(file, section);
  return section;
}
