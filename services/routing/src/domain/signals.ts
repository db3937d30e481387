import { MandatoryReportKind, Priority, PRIORITY_RANK } from '@app/contracts';
import {
  compileLexicon,
  CompiledLexicon,
  KeywordEntry,
  KeywordEvidence,
  matchLexicon,
  memoizeByRef,
  parseKeywordEntry,
  scoreOf,
  termKey,
} from './text-match';

/**
 * One signal of the lexicon: emergency (fire, gas, someone trapped …) or a mandatory-report kind
 * (四必报). Its terms are matched like category keywords, longest match first across the whole
 * lexicon, so a hazard phrase (`火灾隐患`) hides the shorter emergency word inside it.
 */
export interface SignalDefinition {
  code: string;
  kind: 'emergency' | 'mandatory' | 'other';
  label?: string;
  termsZh: readonly KeywordEntry[];
  termsEn: readonly KeywordEntry[];
  /** The signal fires when its score reaches this (default 1). */
  minScore?: number;
  /** Raises the case priority to at least this. */
  priority?: Priority;
  mandatoryReport?: MandatoryReportKind;
  /**
   * A category the signal implies. `fallback`: used only when the text does not classify
   * confidently (an emergency never waits in triage for want of a keyword). `override`: replaces
   * the classified category (a collective demand goes to the community whatever its topic).
   * Neither replaces a category given explicitly by the reporter or the center.
   */
  categoryCode?: string;
  categoryMode?: 'fallback' | 'override';
  /** Send the case to the center's triage (reason MANDATORY_REPORT) instead of a unit. */
  requireTriage?: boolean;
}

export interface SignalLexicon {
  signals: readonly SignalDefinition[];
}

export interface DetectedSignal {
  code: string;
  kind: SignalDefinition['kind'];
  label?: string;
  score: number;
  evidence: KeywordEvidence[];
  priority?: Priority;
  mandatoryReport?: MandatoryReportKind;
  categoryCode?: string;
  categoryMode?: 'fallback' | 'override';
  requireTriage: boolean;
}

export interface SignalDetection {
  /** Fired signals in lexicon order. */
  signals: DetectedSignal[];
  /** Most pressing priority any fired signal asks for. */
  priority?: Priority;
  /** Mandatory-report kinds of the fired signals, in lexicon order, without duplicates. */
  mandatoryReports: MandatoryReportKind[];
}

const compileSignals = memoizeByRef((lexicon: SignalLexicon): CompiledLexicon =>
  compileLexicon(lexicon.signals.map((s) => ({ owner: s.code, zh: s.termsZh, en: s.termsEn }))),
);

/** Most pressing of the given priorities (undefined when none). */
export function mostPressing(...priorities: (Priority | undefined)[]): Priority | undefined {
  let best: Priority | undefined;
  for (const p of priorities) {
    if (p !== undefined && (best === undefined || PRIORITY_RANK[p] < PRIORITY_RANK[best])) best = p;
  }
  return best;
}

/** Emergency and mandatory-report signals in a report's text; a negated alarm word (`没着火`) does not count. */
export function detectSignals(text: string, lexicon: SignalLexicon): SignalDetection {
  const evidence = matchLexicon(compileSignals(lexicon), text, { negation: true });
  const signals: DetectedSignal[] = [];
  for (const def of lexicon.signals) {
    const ev = evidence.get(def.code);
    if (!ev) continue;
    const score = scoreOf(ev);
    if (score <= 0 || score < (def.minScore ?? 1)) continue;
    signals.push({
      code: def.code,
      kind: def.kind,
      label: def.label,
      score,
      evidence: ev,
      priority: def.priority,
      mandatoryReport: def.mandatoryReport,
      categoryCode: def.categoryCode,
      categoryMode: def.categoryCode ? (def.categoryMode ?? 'fallback') : undefined,
      requireTriage: def.requireTriage === true,
    });
  }
  const mandatoryReports: MandatoryReportKind[] = [];
  for (const s of signals) {
    if (s.mandatoryReport && !mandatoryReports.includes(s.mandatoryReport))
      mandatoryReports.push(s.mandatoryReport);
  }
  return { signals, priority: mostPressing(...signals.map((s) => s.priority)), mandatoryReports };
}

/** What the classifier needs to know about emergency signals (see ClassifyOptions.emergency). */
export interface EmergencyProfile {
  /** Categories an emergency signal implies (`gas_leak`, `fire_smoke` …). */
  categoryCodes: ReadonlySet<string>;
  /** Keys (text-match `termKey`) of the positive terms of every emergency signal. */
  termKeys: readonly string[];
}

/** The emergency categories and words of a signal lexicon, computed once per lexicon. */
export const emergencyProfileOf = memoizeByRef((lexicon: SignalLexicon): EmergencyProfile => {
  const categoryCodes = new Set<string>();
  const termKeys = new Set<string>();
  for (const s of lexicon.signals) {
    if (s.kind !== 'emergency') continue;
    if (s.categoryCode) categoryCodes.add(s.categoryCode);
    for (const entry of [...s.termsZh, ...s.termsEn]) {
      const parsed = parseKeywordEntry(entry);
      if (parsed && parsed.weight > 0) termKeys.add(termKey(parsed.term));
    }
  }
  return { categoryCodes, termKeys: [...termKeys] };
});
