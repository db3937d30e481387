import type { MandatoryReportKind, Priority, UnitType } from '@app/contracts';
import {
  compileLexicon,
  CompiledLexicon,
  KeywordEntry,
  KeywordEvidence,
  matchLexicon,
  memoizeByRef,
  scoreOf,
  termKey,
  termKeysOverlap,
} from './text-match';
import type { EmergencyProfile } from './signals';

export { detectSignals, emergencyProfileOf } from './signals';
export type {
  DetectedSignal,
  EmergencyProfile,
  SignalDefinition,
  SignalDetection,
  SignalLexicon,
} from './signals';

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
  /**
   * The routing outcome a category leads to (e.g. `property_management/normal`, rules applied).
   * Categories with the same outcome pool their evidence for the confidence: a report whose words
   * split between "drain" and "pipe leak" is still clearly a job for the property company. Default:
   * every category is its own outcome.
   */
  outcomeOf?: (categoryCode: string) => string;
  /**
   * Emergency categories and the words of the emergency signals. When the best category is an
   * emergency one whose own signal did not fire (its lead rests on another signal's words, or on
   * a negated one: `电线冒火花` → fire, `热水器打不着火` → fire), and a non-emergency category has
   * stronger topical evidence, the signal words count at EMERGENCY_WORD_FACTOR for the emergency
   * categories: the signals still raise the priority, the topic decides the category.
   */
  emergency?: EmergencyProfile & {
    /** Emergency categories whose own signal fired in this text; they never yield. */
    corroborated?: ReadonlySet<string>;
  };
}

export interface CategoryScore {
  categoryCode: string;
  score: number;
}

/** Pooled evidence of the categories sharing one routing outcome. */
export interface OutcomeScore {
  outcome: string;
  /** Sum of the distinct matched terms of its categories (each term once, at its best weight). */
  score: number;
  /** Its categories with a positive score, best first. */
  categoryCodes: string[];
}

/** An emergency category that gave way to the report's topic (see ClassifyOptions.emergency). */
export interface EmergencyYield {
  categoryCode: string;
  score: number;
  discountedScore: number;
  /** Its evidence shared with emergency signals. */
  signalTerms: string[];
}

export interface Classification {
  /** Best category, absent when nothing matched. */
  categoryCode?: string;
  confidence: number;
  score: number;
  /** Best category leading to a different outcome than the chosen one. */
  runnerUp?: CategoryScore;
  /** Matched keywords of the best category, strongest first. */
  evidence: KeywordEvidence[];
  /** Up to five best categories with a positive score. */
  ranking: CategoryScore[];
  /** The chosen category's outcome and its pooled score (the confidence is computed on outcomes). */
  outcome?: OutcomeScore;
  /** The best different outcome. */
  runnerUpOutcome?: OutcomeScore;
  emergencyYield?: EmergencyYield;
  belowThreshold: boolean;
}

/** Weight kept by signal words in an emergency category that yields to the report's topic. */
export const EMERGENCY_WORD_FACTOR = 0.5;
/** A non-emergency category needs at least this score to take over from an emergency one. */
export const MIN_TOPIC_SCORE = 2;

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

interface Scored {
  categoryCode: string;
  evidence: KeywordEvidence[];
  score: number;
  order: number;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function byScore(a: { score: number; order: number }, b: { score: number; order: number }): number {
  return b.score - a.score || a.order - b.order;
}

function isSignalWord(e: KeywordEvidence, profile: EmergencyProfile): boolean {
  const key = termKey(e.term);
  return e.weight > 0 && profile.termKeys.some((k) => termKeysOverlap(key, k));
}

/**
 * When the best category is an emergency one, its own signal did not fire, and a non-emergency
 * category beats it once the emergency category's signal words are discounted, discounts those words in every emergency
 * category (the signal itself still fires and raises the priority).
 */
function yieldEmergency(
  scored: Scored[],
  profile: NonNullable<ClassifyOptions['emergency']>,
): EmergencyYield | undefined {
  const best = scored[0];
  if (!best || !profile.categoryCodes.has(best.categoryCode)) return undefined;
  if (profile.corroborated?.has(best.categoryCode)) return undefined;
  const discount = (s: Scored): KeywordEvidence[] =>
    s.evidence.map((e) =>
      isSignalWord(e, profile) ? { ...e, weight: round3(e.weight * EMERGENCY_WORD_FACTOR) } : e,
    );
  const discountedBest = scoreOf(discount(best));
  const topical = scored.find((s) => !profile.categoryCodes.has(s.categoryCode));
  if (!topical || topical.score < MIN_TOPIC_SCORE || topical.score <= discountedBest) return undefined;
  const result: EmergencyYield = {
    categoryCode: best.categoryCode,
    score: best.score,
    discountedScore: discountedBest,
    signalTerms: best.evidence.filter((e) => isSignalWord(e, profile)).map((e) => e.term),
  };
  for (const s of scored) {
    if (!profile.categoryCodes.has(s.categoryCode)) continue;
    s.evidence = discount(s);
    s.score = scoreOf(s.evidence);
  }
  return result;
}

/** Pools categories by outcome; each distinct term counts once, at its best weight. */
function poolOutcomes(scored: Scored[], outcomeOf: (code: string) => string): OutcomeScore[] {
  const groups = new Map<string, { terms: Map<string, number>; members: Scored[] }>();
  for (const s of scored) {
    const key = outcomeOf(s.categoryCode);
    const g = groups.get(key) ?? { terms: new Map<string, number>(), members: [] };
    for (const e of s.evidence) {
      const prev = g.terms.get(e.term);
      if (prev === undefined || e.weight > prev) g.terms.set(e.term, e.weight);
    }
    g.members.push(s);
    groups.set(key, g);
  }
  return [...groups.entries()]
    .map(([outcome, g]) => {
      const pooled = Math.max(
        0,
        [...g.terms.values()].reduce((a, w) => a + w, 0),
      );
      const lead = g.members[0];
      return {
        outcome,
        score: round3(Math.max(pooled, lead.score)),
        categoryCodes: g.members.map((m) => m.categoryCode),
        lead,
      };
    })
    .sort((a, b) => b.score - a.score || byScore(a.lead, b.lead))
    .map(({ outcome, score, categoryCodes }) => ({ outcome, score, categoryCodes }));
}

/**
 * Classifies a report's free text into one of the categories. The best routing outcome (pooled
 * evidence of its categories) wins and its best category is reported; the confidence weighs that
 * outcome against the best different one. Ties go to the category listed first (they also get a
 * low confidence, so they normally end in triage).
 */
export function classify(
  text: string,
  categories: readonly RoutingCategory[],
  options: ClassifyOptions,
): Classification {
  const evidence = matchLexicon(compileCategories(categories), text);
  const order = new Map(categories.map((c, i) => [c.code, i]));
  const scored: Scored[] = [...evidence.entries()]
    .map(([categoryCode, ev]) => ({
      categoryCode,
      evidence: ev,
      score: scoreOf(ev),
      order: order.get(categoryCode) ?? 0,
    }))
    .filter((s) => s.score > 0)
    .sort(byScore);
  const emergencyYield = options.emergency ? yieldEmergency(scored, options.emergency) : undefined;
  const ranked = scored.filter((s) => s.score > 0).sort(byScore);

  const outcomeOf = options.outcomeOf ?? ((code: string): string => code);
  const outcomes = poolOutcomes(ranked, outcomeOf);
  const outcome = outcomes[0];
  const runnerUpOutcome = outcomes[1];
  const best = outcome ? ranked.find((s) => s.categoryCode === outcome.categoryCodes[0]) : undefined;
  const runner = runnerUpOutcome
    ? ranked.find((s) => s.categoryCode === runnerUpOutcome.categoryCodes[0])
    : undefined;
  const confidence = outcome
    ? confidenceOf(outcome.score, runnerUpOutcome?.score ?? 0, options.saturation)
    : 0;
  return {
    categoryCode: best?.categoryCode,
    confidence,
    score: best?.score ?? 0,
    runnerUp: runner ? { categoryCode: runner.categoryCode, score: runner.score } : undefined,
    evidence: best?.evidence ?? [],
    ranking: ranked.slice(0, 5).map((s) => ({ categoryCode: s.categoryCode, score: s.score })),
    ...(outcome ? { outcome } : {}),
    ...(runnerUpOutcome ? { runnerUpOutcome } : {}),
    ...(emergencyYield ? { emergencyYield } : {}),
    belowThreshold: confidence < options.threshold,
  };
}
