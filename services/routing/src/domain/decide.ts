import {
  MandatoryReportKind,
  Priority,
  PRIORITY_RANK,
  SlaPolicyDto,
  TriageReason,
  UNIT_TYPE_LABELS,
  UnitType,
} from '@app/contracts';
import { CategoryScore, classify, Classification, RoutingCategory, strengthOf } from './classifier';
import { findCoveringUnit, LocationInput, resolveLocation, ResolvedLocation } from './coverage';
import type { RoutingRefData } from './ref-data';
import { selectRule } from './rules';
import { DetectedSignal, detectSignals, emergencyProfileOf, mostPressing, SignalDetection } from './signals';
import { formatEvidence } from './text-match';

export interface DecideInput {
  text: string;
  /** Chosen by the reporter or corrected by the center; trusted (confidence 1) when known. */
  categoryCode?: string;
  location: LocationInput;
  /** Units that returned the case; never chosen again. */
  excludedUnitIds: readonly string[];
  returnCount: number;
  /** 1 for the first routing, +1 per re-route. */
  attempt: number;
}

export interface UnitRef {
  unitId: string;
  unitType: UnitType;
  unitName: string;
}

interface DecisionCommon {
  priority: Priority;
  mandatoryReport?: MandatoryReportKind;
  /** Codes of the emergency / mandatory signals found in the text. */
  signals: string[];
  /** Area codes of the location, most specific first (empty when unplaced). */
  areaChain: string[];
  /** The classifier's best categories, when the category came from the text (for explain screens). */
  ranking?: CategoryScore[];
  /** Human-readable explanation, in decision order. */
  reasons: string[];
}

export interface RoutedDecision extends DecisionCommon {
  kind: 'routed';
  categoryCode: string;
  confidence: number;
  unitType: UnitType;
  lead: UnitRef;
  support: UnitRef[];
  slaPolicy: SlaPolicyDto;
  ruleId?: string;
}

export interface TriageDecision extends DecisionCommon {
  kind: 'triage';
  reason: TriageReason;
  categoryCode?: string;
  confidence?: number;
  suggestedUnitType?: UnitType;
  slaPolicy?: SlaPolicyDto;
}

export type RoutingDecision = RoutedDecision | TriageDecision;

interface CategoryChoice {
  category?: RoutingCategory;
  confidence: number;
  /** Present when the category came from the text. */
  ranking?: CategoryScore[];
}

const pct = (n: number): string => n.toFixed(2);

/**
 * Where a category would send this case (lead unit type and priority after the rules, before
 * signals): `property_management/normal`. Categories with the same outcome pool their evidence.
 */
function outcomeFor(
  input: DecideInput,
  ref: RoutingRefData,
  areaChain: readonly string[],
  now: Date,
): (categoryCode: string) => string {
  const byCode = new Map(ref.categories.map((c) => [c.code, c]));
  const cache = new Map<string, string>();
  return (categoryCode: string): string => {
    let key = cache.get(categoryCode);
    if (key === undefined) {
      const category = byCode.get(categoryCode);
      const rule = selectRule(ref.rules, { categoryCode, text: input.text, areaChain, now })?.rule;
      const unitType = rule?.then.leadUnitType ?? category?.defaultUnitType;
      const priority = rule?.then.priorityOverride ?? category?.defaultPriority;
      key = unitType && priority ? `${unitType}/${priority}` : categoryCode;
      cache.set(categoryCode, key);
    }
    return key;
  };
}

function describeClassification(c: Classification, category: RoutingCategory): string {
  const parts = [`score ${c.score}`];
  if (c.outcome && c.outcome.categoryCodes.length > 1) {
    parts.push(
      `outcome ${c.outcome.outcome} pooled ${c.outcome.score} from [${c.outcome.categoryCodes.join(', ')}]`,
    );
  }
  if (c.runnerUp) {
    const other =
      c.runnerUpOutcome && c.runnerUpOutcome.outcome !== c.runnerUp.categoryCode
        ? ` (outcome ${c.runnerUpOutcome.outcome} ${c.runnerUpOutcome.score})`
        : '';
    parts.push(`runner-up '${c.runnerUp.categoryCode}' ${c.runnerUp.score}${other}`);
  }
  parts.push(`confidence ${pct(c.confidence)}`);
  return `category '${category.code}' from keywords ${formatEvidence(c.evidence)} (${parts.join('; ')})`;
}

function chooseCategory(
  input: DecideInput,
  ref: RoutingRefData,
  detection: SignalDetection,
  reasons: string[],
  outcomeOf: (categoryCode: string) => string,
): CategoryChoice {
  const active = ref.categories.filter((c) => c.active !== false);
  const byCode = new Map(active.map((c) => [c.code, c]));
  if (input.categoryCode) {
    const given = byCode.get(input.categoryCode);
    if (given) {
      reasons.push(`category '${given.code}' given with the report`);
      return { category: given, confidence: 1 };
    }
    reasons.push(`category '${input.categoryCode}' is unknown or inactive; classifying the text`);
  }

  const classification = classify(input.text, ref.categories, {
    threshold: ref.confidenceThreshold,
    saturation: ref.confidenceSaturation,
    outcomeOf,
    emergency: {
      ...emergencyProfileOf(ref.signalLexicon),
      corroborated: new Set(
        detection.signals.flatMap((s) => (s.kind === 'emergency' && s.categoryCode ? [s.categoryCode] : [])),
      ),
    },
  });
  let category = classification.categoryCode ? byCode.get(classification.categoryCode) : undefined;
  let confidence = classification.confidence;
  const yielded = classification.emergencyYield;
  if (yielded) {
    reasons.push(
      `emergency words ${yielded.signalTerms.join(', ')} are left to the signals (priority), not the topic: ` +
        `'${yielded.categoryCode}' counted ${yielded.discountedScore} instead of ${yielded.score}`,
    );
  }
  if (category) {
    reasons.push(describeClassification(classification, category));
  } else {
    reasons.push('no category keyword found in the text');
  }

  const override = detection.signals.find(
    (s) => s.categoryMode === 'override' && byCode.has(s.categoryCode ?? ''),
  );
  if (override?.categoryCode && override.categoryCode !== category?.code) {
    category = byCode.get(override.categoryCode);
    confidence = Math.max(confidence, strengthOf(override.score, ref.confidenceSaturation));
    reasons.push(
      `signal '${override.code}' sets category '${override.categoryCode}' (confidence ${pct(confidence)})`,
    );
  } else if (confidence < ref.confidenceThreshold) {
    const fallback = detection.signals.find(
      (s) => s.categoryMode === 'fallback' && byCode.has(s.categoryCode ?? ''),
    );
    if (fallback?.categoryCode) {
      category = byCode.get(fallback.categoryCode);
      confidence = Math.max(confidence, strengthOf(fallback.score, ref.confidenceSaturation));
      reasons.push(
        `signal '${fallback.code}' sets category '${fallback.categoryCode}' (confidence ${pct(confidence)})`,
      );
    }
  }
  return { category, confidence, ranking: classification.ranking };
}

function describeSignal(s: DetectedSignal): string {
  const effects = [
    s.priority ? `priority ${s.priority}` : undefined,
    s.mandatoryReport ? `mandatory report ${s.mandatoryReport}` : undefined,
  ].filter((e): e is string => e !== undefined);
  return `signal '${s.code}'${s.label ? ` (${s.label})` : ''} from ${formatEvidence(s.evidence)}${
    effects.length ? ` → ${effects.join(', ')}` : ''
  }`;
}

function unitLabel(t: UnitType): string {
  return `${t} (${UNIT_TYPE_LABELS[t].zh})`;
}

/**
 * The whole routing decision as one pure function: used for live routing and for the explain
 * endpoint. Order: category (given, classified, or set by a signal) → signals (priority,
 * mandatory report) → too many returns → low confidence → mandatory triage → rule or category
 * defaults → SLA policy → location and covering units.
 */
export function decide(input: DecideInput, ref: RoutingRefData, now: Date): RoutingDecision {
  const reasons: string[] = [];
  if (input.attempt > 1 || input.excludedUnitIds.length > 0) {
    const excluded = input.excludedUnitIds.length
      ? `; excluding units that returned it: ${input.excludedUnitIds.join(', ')}`
      : '';
    reasons.push(`attempt ${input.attempt}, returned ${input.returnCount} time(s)${excluded}`);
  }

  const detection = detectSignals(input.text, ref.signalLexicon);
  const location: ResolvedLocation = resolveLocation(input.location, ref.areas);
  const areaChain = location.chain.map((a) => a.code);
  const choice = chooseCategory(input, ref, detection, reasons, outcomeFor(input, ref, areaChain, now));
  for (const s of detection.signals) reasons.push(describeSignal(s));

  const category = choice.category;
  const signalCodes = detection.signals.map((s) => s.code);
  const mandatoryReport: MandatoryReportKind | undefined =
    category?.mandatoryReportKind ?? detection.mandatoryReports[0];
  const common = (priority: Priority): DecisionCommon => ({
    priority,
    ...(mandatoryReport ? { mandatoryReport } : {}),
    signals: signalCodes,
    areaChain,
    ...(choice.ranking ? { ranking: choice.ranking } : {}),
    reasons,
  });
  const basePriority = category?.defaultPriority ?? 'normal';
  const triage = (
    reason: TriageReason,
    priority: Priority,
    extra: { suggestedUnitType?: UnitType; slaPolicy?: SlaPolicyDto } = {},
  ): TriageDecision => {
    const suggestedUnitType = extra.suggestedUnitType ?? category?.defaultUnitType;
    return {
      kind: 'triage',
      reason,
      ...(category ? { categoryCode: category.code, confidence: choice.confidence } : {}),
      ...(suggestedUnitType ? { suggestedUnitType } : {}),
      ...(extra.slaPolicy ? { slaPolicy: extra.slaPolicy } : {}),
      ...common(priority),
    };
  };
  const earlyPriority = mostPressing(basePriority, detection.priority) ?? 'normal';

  if (input.returnCount >= ref.maxReturns) {
    reasons.push(`returned ${input.returnCount} time(s), the limit is ${ref.maxReturns}: the center decides`);
    return triage('TOO_MANY_RETURNS', earlyPriority);
  }
  if (!category || choice.confidence < ref.confidenceThreshold) {
    reasons.push(
      category
        ? `confidence ${pct(choice.confidence)} is below ${pct(ref.confidenceThreshold)}: the center decides`
        : 'no category: the center decides',
    );
    return triage('LOW_CONFIDENCE', earlyPriority);
  }
  const triageSignal = detection.signals.find((s) => s.requireTriage);
  if (triageSignal) {
    reasons.push(`signal '${triageSignal.code}' requires the center to handle the case`);
    return triage('MANDATORY_REPORT', earlyPriority);
  }

  reasons.push(...location.reasons);
  const selection = selectRule(ref.rules, {
    categoryCode: category.code,
    text: input.text,
    areaChain,
    now,
  });
  const unitType = selection?.rule.then.leadUnitType ?? category.defaultUnitType;
  const supportTypes = (selection?.rule.then.supportUnitTypes ?? []).filter((t) => t !== unitType);
  const ruleOrCategoryPriority = selection?.rule.then.priorityOverride ?? category.defaultPriority;
  const priority = mostPressing(ruleOrCategoryPriority, detection.priority) ?? ruleOrCategoryPriority;
  if (selection) {
    const why = selection.reasons.length ? ` (${selection.reasons.join('; ')})` : '';
    reasons.push(`rule ${selection.rule.id} matched${why}: lead ${unitLabel(unitType)}`);
  } else {
    reasons.push(`no rule matched: category default ${unitLabel(unitType)}`);
  }
  if (priority !== ruleOrCategoryPriority) {
    reasons.push(`priority raised from ${ruleOrCategoryPriority} to ${priority} by signal`);
  } else {
    reasons.push(
      `priority ${priority} from ${selection?.rule.then.priorityOverride ? `rule ${selection.rule.id}` : 'the category'}`,
    );
  }
  if (mandatoryReport) {
    reasons.push(
      `mandatory report (四必报): ${mandatoryReport} from ${category.mandatoryReportKind ? 'the category' : 'a signal'}`,
    );
  }

  const raisedBySignal = PRIORITY_RANK[priority] < PRIORITY_RANK[ruleOrCategoryPriority];
  const policyId =
    (raisedBySignal ? ref.slaPolicyIdByPriority?.[priority] : undefined) ??
    selection?.rule.then.slaPolicyId ??
    category.slaPolicyId;
  const slaPolicy = ref.slaPolicies.find((p) => p.policyId === policyId && p.active !== false);
  if (!slaPolicy) {
    reasons.push(`SLA policy '${policyId}' is not configured or inactive`);
    return triage('NO_RULE', priority, { suggestedUnitType: unitType });
  }
  reasons.push(`SLA policy ${slaPolicy.policyId}${slaPolicy.name ? ` (${slaPolicy.name})` : ''}`);

  const lead = findCoveringUnit(unitType, location.chain, ref.units, input.excludedUnitIds);
  reasons.push(...lead.reasons);
  if (!lead.ok) return triage('NO_COVERING_UNIT', priority, { suggestedUnitType: unitType, slaPolicy });

  const support: UnitRef[] = [];
  for (const t of supportTypes) {
    const found = findCoveringUnit(t, location.chain, ref.units, [
      ...input.excludedUnitIds,
      lead.unit.unitId,
    ]);
    if (found.ok) {
      support.push({ unitId: found.unit.unitId, unitType: found.unit.unitType, unitName: found.unit.name });
      reasons.push(`support: ${found.reasons[found.reasons.length - 1]}`);
    } else {
      reasons.push(`support ${t} skipped: ${found.reasons[found.reasons.length - 1]}`);
    }
  }

  return {
    kind: 'routed',
    categoryCode: category.code,
    confidence: choice.confidence,
    unitType,
    lead: { unitId: lead.unit.unitId, unitType: lead.unit.unitType, unitName: lead.unit.name },
    support,
    slaPolicy,
    ...(selection ? { ruleId: selection.rule.id } : {}),
    ...common(priority),
  };
}
