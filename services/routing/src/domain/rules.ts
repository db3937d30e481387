import { Priority, PRIORITIES, UnitType } from '@app/contracts';
import { compileLexicon, CompiledLexicon, KeywordEntry, matchLexicon, memoizeByRef } from './text-match';

export interface TimeOfDayWindow {
  /** Local time 'HH:mm', inclusive. */
  from: string;
  /** Local time 'HH:mm', exclusive. `to` earlier than `from` wraps midnight (22:00 → 07:00). */
  to: string;
  /** IANA zone, e.g. Asia/Shanghai. */
  timezone: string;
}

export interface RuleMatch {
  categoryCodes?: readonly string[];
  /** Any of these terms in the text (same matching as category keywords; weights ignored). */
  keywordsAny?: readonly KeywordEntry[];
  /** Matches when the case's area or any of its ancestors is listed. */
  areaCodes?: readonly string[];
  timeOfDay?: TimeOfDayWindow;
}

export interface RuleAction {
  leadUnitType: UnitType;
  supportUnitTypes?: readonly UnitType[];
  priorityOverride?: Priority;
  slaPolicyId?: string;
}

export interface RoutingRule {
  id: string;
  /** Unique among active rules; lower runs first. */
  priorityOrder: number;
  active: boolean;
  description?: string;
  match: RuleMatch;
  then: RuleAction;
}

export interface RuleContext {
  categoryCode: string;
  text: string;
  /** Area codes of the case location, most specific first (building → … → street). */
  areaChain: readonly string[];
  now: Date;
}

export interface RuleEvaluation {
  matched: boolean;
  /** Why it matched (each criterion met) or the first criterion that failed. */
  reasons: string[];
}

export interface RuleProblem {
  field: string;
  problem: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutesOf(hhmm: string): number | undefined {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local 'HH:mm' of an instant in a zone; throws RangeError for an unknown zone. */
export function localTimeOfDay(now: Date, timezone: string): string {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  const parts = f.formatToParts(now);
  const hh = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const mm = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return `${hh}:${mm}`;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    localTimeOfDay(new Date(0), timezone);
    return true;
  } catch {
    return false;
  }
}

/** Whether local time falls in [from, to), wrapping midnight when to < from; from == to is all day. */
export function inTimeWindow(now: Date, window: TimeOfDayWindow): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from === undefined || to === undefined || !isValidTimezone(window.timezone)) return false;
  const t = minutesOf(localTimeOfDay(now, window.timezone));
  if (t === undefined) return false;
  if (from === to) return true;
  return from < to ? t >= from && t < to : t >= from || t < to;
}

const compileRuleKeywords = memoizeByRef((match: RuleMatch): CompiledLexicon =>
  compileLexicon([{ owner: 'rule', zh: match.keywordsAny ?? [] }]),
);

/** Evaluates one rule's match block against a case (active flag not considered). */
export function evaluateRule(rule: RoutingRule, ctx: RuleContext): RuleEvaluation {
  const m = rule.match;
  const reasons: string[] = [];
  if (m.categoryCodes && m.categoryCodes.length > 0) {
    if (!m.categoryCodes.includes(ctx.categoryCode)) {
      return {
        matched: false,
        reasons: [`category '${ctx.categoryCode}' not in [${m.categoryCodes.join(', ')}]`],
      };
    }
    reasons.push(`category '${ctx.categoryCode}'`);
  }
  if (m.areaCodes && m.areaCodes.length > 0) {
    const hit = ctx.areaChain.find((code) => m.areaCodes?.includes(code));
    if (!hit) return { matched: false, reasons: ['location outside the rule areas'] };
    reasons.push(`area ${hit}`);
  }
  if (m.timeOfDay) {
    const local = isValidTimezone(m.timeOfDay.timezone) ? localTimeOfDay(ctx.now, m.timeOfDay.timezone) : '?';
    const window = `${m.timeOfDay.from}–${m.timeOfDay.to} ${m.timeOfDay.timezone}`;
    if (!inTimeWindow(ctx.now, m.timeOfDay))
      return { matched: false, reasons: [`time ${local} outside ${window}`] };
    reasons.push(`time ${local} within ${window}`);
  }
  if (m.keywordsAny && m.keywordsAny.length > 0) {
    const ev = (matchLexicon(compileRuleKeywords(m), ctx.text).get('rule') ?? []).filter((e) => e.weight > 0);
    if (ev.length === 0) return { matched: false, reasons: ['none of the rule keywords in the text'] };
    reasons.push(`keywords ${ev.map((e) => e.term).join(', ')}`);
  }
  return { matched: true, reasons };
}

/** Whether a match block has at least one criterion. */
export function hasCriteria(m: RuleMatch): boolean {
  return (
    (m.categoryCodes?.length ?? 0) > 0 ||
    (m.keywordsAny?.length ?? 0) > 0 ||
    (m.areaCodes?.length ?? 0) > 0 ||
    m.timeOfDay !== undefined
  );
}

/** Active rules in evaluation order: priorityOrder ascending, then id (deterministic). */
export function orderRules(rules: readonly RoutingRule[]): RoutingRule[] {
  return rules
    .filter((r) => r.active)
    .sort((a, b) => a.priorityOrder - b.priorityOrder || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface RuleSelection {
  rule: RoutingRule;
  reasons: string[];
}

/** First matching active rule (a rule without criteria never matches), or undefined: use category defaults. */
export function selectRule(rules: readonly RoutingRule[], ctx: RuleContext): RuleSelection | undefined {
  for (const rule of orderRules(rules)) {
    if (!hasCriteria(rule.match)) continue;
    const ev = evaluateRule(rule, ctx);
    if (ev.matched) return { rule, reasons: ev.reasons };
  }
  return undefined;
}

/**
 * Problems with a rule before it is saved: unknown unit types, a priorityOrder already used by
 * another active rule, an empty match, malformed time windows. Empty array = valid.
 */
export function validateRule(
  rule: RoutingRule,
  knownUnitTypes: readonly string[],
  existingRules: readonly RoutingRule[],
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (typeof rule.id !== 'string' || rule.id.trim().length === 0)
    problems.push({ field: 'id', problem: 'is empty' });
  if (!Number.isInteger(rule.priorityOrder)) {
    problems.push({ field: 'priorityOrder', problem: 'must be an integer' });
  } else if (rule.active) {
    const clash = existingRules.find(
      (r) => r.active && r.id !== rule.id && r.priorityOrder === rule.priorityOrder,
    );
    if (clash) {
      problems.push({
        field: 'priorityOrder',
        problem: `${rule.priorityOrder} is already used by active rule ${clash.id}`,
      });
    }
  }
  const m = rule.match ?? {};
  if (!hasCriteria(m)) {
    problems.push({
      field: 'match',
      problem: 'is empty: give at least one of categoryCodes, keywordsAny, areaCodes, timeOfDay',
    });
  }
  if (m.timeOfDay) {
    if (minutesOf(m.timeOfDay.from) === undefined) {
      problems.push({ field: 'match.timeOfDay.from', problem: `'${m.timeOfDay.from}' is not HH:mm` });
    }
    if (minutesOf(m.timeOfDay.to) === undefined) {
      problems.push({ field: 'match.timeOfDay.to', problem: `'${m.timeOfDay.to}' is not HH:mm` });
    }
    if (!isValidTimezone(m.timeOfDay.timezone)) {
      problems.push({
        field: 'match.timeOfDay.timezone',
        problem: `'${m.timeOfDay.timezone}' is not a known time zone`,
      });
    }
  }
  const then = rule.then;
  if (!then || !knownUnitTypes.includes(then.leadUnitType)) {
    problems.push({ field: 'then.leadUnitType', problem: `unknown unit type '${then?.leadUnitType ?? ''}'` });
  }
  (then?.supportUnitTypes ?? []).forEach((t, i) => {
    if (!knownUnitTypes.includes(t)) {
      problems.push({ field: `then.supportUnitTypes[${i}]`, problem: `unknown unit type '${t}'` });
    } else if (t === then.leadUnitType) {
      problems.push({
        field: `then.supportUnitTypes[${i}]`,
        problem: `'${t}' is already the lead unit type`,
      });
    }
  });
  if (
    then?.priorityOverride !== undefined &&
    !(PRIORITIES as readonly string[]).includes(then.priorityOverride)
  ) {
    problems.push({
      field: 'then.priorityOverride',
      problem: `unknown priority '${String(then.priorityOverride)}'`,
    });
  }
  return problems;
}
