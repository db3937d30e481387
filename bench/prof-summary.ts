/**
 * Where the CPU went: `node .run/bench-dist/bench/prof-summary.js .run/bench/prof/*.cpuprofile` prints, per
 * profile (one per service with `npm run bench -- --cpu-prof`), self time by package or project
 * folder and the hottest functions.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function bucket(url: string): string {
  if (!url) return '(native / GC / idle)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const own = /\/(libs\/[^/]+|services\/[^/]+\/src\/[^/]+)/.exec(url);
  return own ? own[1].replace(/\.js$/, '') : url;
}

export function summarize(file: string, top = 12): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)?.callFrame.functionName ?? ''))
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const fn = n.callFrame.functionName;
    if (fn === '(idle)' || fn === '(program)') continue;
    const b = fn === '(garbage collector)' ? '(garbage collector)' : bucket(n.callFrame.url);
    buckets.set(b, (buckets.get(b) ?? 0) + t);
    const key = `${fn || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|libs|services)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const pct = (t: number) => `${((t / busy) * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${(busy / 1e6).toFixed(1)} s busy of ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s`,
    '  by package / folder (self time):',
    ...[...buckets.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([b, t]) => `    ${pct(t)}  ${b}`),
    '  hottest functions (self time):',
    ...[...fns.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, t]) => `    ${pct(t)}  ${f}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  for (const f of process.argv.slice(2)) process.stdout.write(`${summarize(f)}\n\n`);
}
