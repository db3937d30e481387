import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Priority, UnitType } from '@app/contracts';
import { decide, RoutingDecision } from './decide';
import { parseRefData } from './ref-data';

/**
 * Accuracy of the whole decision (classifier + signals + rules + coverage) with the demo seed:
 * the held-out acceptance sample in /work/shared and our own broader set. Both print a score.
 */

interface LabelledCase {
  text: string;
  expect: UnitType;
  priority?: Priority;
}

const SEED = path.join(__dirname, '../../seed/demo-district.json');
const SAMPLE = path.join(__dirname, '../../../../../shared/acceptance/routing-sample.jsonl');
const OWN = path.join(__dirname, '__fixtures__/routing-cases.jsonl');

const ref = parseRefData(JSON.parse(readFileSync(SEED, 'utf8')));
/** 桂花苑2幢, covered by the 桂花苑 property company; a Tuesday morning in Hangzhou. */
const LOCATION = { gridCode: 'WL-GH-G1', buildingCode: 'WL-GH-G1-B02' };
const NOW = new Date('2026-11-24T10:00:00+08:00');

function readCases(file: string): LabelledCase[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as LabelledCase);
}

interface Outcome {
  c: LabelledCase;
  d: RoutingDecision;
  ok: boolean;
}

function evaluate(cases: LabelledCase[]): { outcomes: Outcome[]; correct: number } {
  const outcomes = cases.map((c) => {
    const d = decide(
      { text: c.text, location: LOCATION, excludedUnitIds: [], returnCount: 0, attempt: 1 },
      ref,
      NOW,
    );
    const unitOk = d.kind === 'routed' && d.unitType === c.expect;
    const priorityOk = c.priority === undefined || d.priority === c.priority;
    return { c, d, ok: unitOk && priorityOk };
  });
  return { outcomes, correct: outcomes.filter((o) => o.ok).length };
}

function report(name: string, outcomes: Outcome[], correct: number): void {
  const lines = [`[routing accuracy] ${name}: ${correct}/${outcomes.length} correct`];
  for (const o of outcomes.filter((x) => !x.ok)) {
    const got =
      o.d.kind === 'routed'
        ? `${o.d.unitType}/${o.d.priority} via ${o.d.categoryCode} (${o.d.confidence})`
        : `triage ${o.d.reason} (${o.d.categoryCode ?? '-'} ${o.d.confidence ?? ''})`;
    lines.push(
      `  MISS expected ${o.c.expect}${o.c.priority ? `/${o.c.priority}` : ''}, got ${got}: ${o.c.text}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

describe('routing accuracy with the demo district seed', () => {
  it('meets the acceptance sample (≥ 24/25 unit types and priorities)', () => {
    if (!existsSync(SAMPLE)) {
      process.stdout.write(`[routing accuracy] SKIPPED: acceptance sample not found at ${SAMPLE}\n`);
      return;
    }
    const cases = readCases(SAMPLE);
    const { outcomes, correct } = evaluate(cases);
    report('acceptance sample', outcomes, correct);
    expect(correct).toBeGreaterThanOrEqual(Math.min(24, cases.length - 1));
  });

  it('routes our own broader set (≥ 60 reports in both languages) with ≥ 90% accuracy', () => {
    const cases = readCases(OWN);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const { outcomes, correct } = evaluate(cases);
    report('own set', outcomes, correct);
    expect(correct / cases.length).toBeGreaterThanOrEqual(0.9);
  });
});
