import type { MandatoryReportKind, Priority, UnitType } from '@app/contracts';
import {
  compileLexicon,
  CompiledLexicon,
  KeywordEntry,
  KeywordEvidence,
  matchLexicon,
  memoizeByRef,
  scoreOf,
} from './text-match';

export { detectSignals } from './signals';
export type { DetectedSignal, SignalDefinition, SignalDetection, SignalLexicon } from './signals';

/** A case category as the center edits it: vocabulary and default routing are data. */
export interface RoutingCategory {
  code: string;
  nameZh?: string;
  nameEn?: string;
  /** `"下水管:3"`, `"堵"`, `{ term: "煤气味", weight: 3 }`; a negative weight is a negative keyword. */
  keywordsZh: readonly KeywordEntry[];
  keywordsEn: readonly KeywordEntry[];
  defaultUnitType: UnitType;
  defaultPriority: Priority;
  mandatoryReportKind?: MandatoryReportKind;
  slaPolicyId: string;
  /** Default true. Inactive categories are neither classified into nor accepted from reporters. */
  active?: boolean;
}

export interface ClassifyOptions {
  /** Below this confidence the caller triages. */
  threshold: number;
  /** Score at which absolute strength reaches 1 − 1/e (default 4, i.e. about one strong phrase). */
  saturation?: number;
}

export interface CategoryScore {
  categoryCode: string;
  score: number;
}

export interface Classification {
  /** Best category, absent when nothing matched. */
  categoryCode?: string;
  confidence: number;
  score: number;
  runnerUp?: CategoryScore;
  /** Matched keywords of the best category, strongest first. */
  evidence: KeywordEvidence[];
  /** Up to five best categories with a positive score. */
  ranking: CategoryScore[];
  belowThreshold: boolean;
}

export const DEFAULT_SATURATION = 4;

/**
 * Confidence of the best category:
 *
 *   strength = 1 − e^(−s1 / S)                 absolute evidence, saturating (S = saturation)
 *   margin   = (s1 − s2) / s1                  how far ahead of the runner-up, in [0, 1]
 *   confidence = strength × (1 + margin) / 2
 *
 * s1, s2 are the best and second-best scores (sum of matched keyword weights). One strong phrase
 * (weight 3) alone gives 0.53; a tie halves the strength; no match gives 0.
 */
export function confidenceOf(best: number, second: number, saturation = DEFAULT_SATURATION): number {
  if (best <= 0) return 0;
  const strength = 1 - Math.exp(-best / saturation);
  const margin = Math.max(0, Math.min(1, (best - Math.max(0, second)) / best));
  return Math.round(strength * ((1 + margin) / 2) * 1000) / 1000;
}

/** Strength alone (no runner-up), used for a category established by an emergency signal. */
export function strengthOf(score: number, saturation = DEFAULT_SATURATION): number {
  if (score <= 0) return 0;
  return Math.round((1 - Math.exp(-score / saturation)) * 1000) / 1000;
}

const compileCategories = memoizeByRef((categories: readonly RoutingCategory[]): CompiledLexicon =>
  compileLexicon(
    categories
      .filter((c) => c.active !== false)
      .map((c) => ({ owner: c.code, zh: c.keywordsZh, en: c.keywordsEn })),
  ),
);

/**
 * Classifies a report's free text into one of the categories. Ties go to the category listed
 * first (they also get a low confidence, so they normally end in triage).
 */
export function classify(
  text: string,
  categories: readonly RoutingCategory[],
  options: ClassifyOptions,
): Classification {
  const evidence = matchLexicon(compileCategories(categories), text);
  const order = new Map(categories.map((c, i) => [c.code, i]));
  const scored = [...evidence.entries()]
    .map(([categoryCode, ev]) => ({ categoryCode, score: scoreOf(ev) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || (order.get(a.categoryCode) ?? 0) - (order.get(b.categoryCode) ?? 0));
  const best = scored[0];
  const runnerUp = scored[1];
  const confidence = best ? confidenceOf(best.score, runnerUp?.score ?? 0, options.saturation) : 0;
  return {
    categoryCode: best?.categoryCode,
    confidence,
    score: best?.score ?? 0,
    runnerUp,
    evidence: best ? (evidence.get(best.categoryCode) ?? []) : [],
    ranking: scored.slice(0, 5),
    belowThreshold: confidence < options.threshold,
  };
}
