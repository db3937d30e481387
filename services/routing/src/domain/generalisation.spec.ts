import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Priority, UnitType } from '@app/contracts';
import { decide } from './decide';
import { parseRefData } from './ref-data';
import { foldTraditional, normalizeText } from './text-match';

/**
 * How the classifier does on reports it was not written against.
 * - blind-2a: written before the vocabulary pass, then used to guide it (tuned).
 * - blind-2b: the other half of the same batch, scored only at the end (held out).
 * - blind-3: a later, differently phrased batch, never tuned on (held out; hard).
 * Each prints its score and misses; the floors only guard against regressions.
 */

interface LabelledCase {
  text: string;
  expect: UnitType;
  priority?: Priority;
}

const SEED = path.join(__dirname, '../../seed/demo-district.json');
const ref = parseRefData(JSON.parse(readFileSync(SEED, 'utf8')));
const LOCATION = { gridCode: 'WL-GH-G1', buildingCode: 'WL-GH-G1-B02' };
const NOW = new Date('2026-11-24T10:00:00+08:00');

function accuracy(file: string): number {
  const cases = readFileSync(path.join(__dirname, '__fixtures__', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as LabelledCase);
  const misses: string[] = [];
  for (const c of cases) {
    const d = decide(
      { text: c.text, location: LOCATION, excludedUnitIds: [], returnCount: 0, attempt: 1 },
      ref,
      NOW,
    );
    const ok =
      d.kind === 'routed' &&
      d.unitType === c.expect &&
      (c.priority === undefined || d.priority === c.priority);
    if (!ok) {
      const got =
        d.kind === 'routed' ? `${d.unitType}/${d.priority} via ${d.categoryCode}` : `triage ${d.reason}`;
      misses.push(`  MISS expected ${c.expect}${c.priority ? `/${c.priority}` : ''}, got ${got}: ${c.text}`);
    }
  }
  const correct = cases.length - misses.length;
  process.stdout.write(
    `${[`[routing generalisation] ${file}: ${correct}/${cases.length} correct`, ...misses].join('\n')}\n`,
  );
  return correct / cases.length;
}

describe('classifier generalisation with the demo district seed', () => {
  it('routes the tuned half of blind batch 2 (blind-2a)', () => {
    expect(accuracy('blind-2a.jsonl')).toBeGreaterThanOrEqual(0.95);
  });

  it('routes the held-out half of blind batch 2 (blind-2b)', () => {
    expect(accuracy('blind-2b.jsonl')).toBeGreaterThanOrEqual(0.9);
  });

  it('reports the held-out blind batch 3 (no tuning; regression floor only)', () => {
    expect(accuracy('blind-3.jsonl')).toBeGreaterThanOrEqual(0.35);
  });
});

describe('traditional characters', () => {
  it('folds common traditional characters to simplified ones', () => {
    expect(foldTraditional('電梯門關不上,樓道燈壞了')).toBe('电梯门关不上,楼道灯坏了');
    expect(normalizeText('隔壁裝修噪音太大')).toBe('隔壁装修噪音太大');
  });

  it('leaves simplified text and English unchanged', () => {
    expect(foldTraditional('楼道灯坏了 the lift is broken')).toBe('楼道灯坏了 the lift is broken');
  });

  it('routes a report typed in traditional characters like its simplified form', () => {
    const d = decide(
      { text: '電梯又壞了,按鈕沒反應', location: LOCATION, excludedUnitIds: [], returnCount: 0, attempt: 1 },
      ref,
      NOW,
    );
    expect(d.kind).toBe('routed');
    expect(d.kind === 'routed' && d.categoryCode).toBe('lift_fault');
  });
});
