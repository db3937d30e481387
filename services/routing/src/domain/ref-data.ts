import {
  AREA_LEVELS,
  DomainError,
  ESCALATION_ACTIONS,
  MANDATORY_REPORT_KINDS,
  Priority,
  PRIORITIES,
  SLA_DEADLINE_KINDS,
  SlaPolicyDto,
  UNIT_TYPES,
} from '@app/contracts';
import type { RoutingCategory } from './classifier';
import type { RoutingArea, RoutingUnit } from './coverage';
import { RoutingRule, validateRule } from './rules';
import type { SignalLexicon } from './signals';
import { parseKeywordEntry } from './text-match';

/** An SLA policy as routing stores it (the reference payload adds active and version). */
export interface RoutingSlaPolicy extends SlaPolicyDto {
  /** Default true. An inactive policy is never attached to a decision. */
  active?: boolean;
}

/** Everything `decide` needs besides the report: the center's editable reference data. */
export interface RoutingRefData {
  categories: readonly RoutingCategory[];
  rules: readonly RoutingRule[];
  units: readonly RoutingUnit[];
  areas: readonly RoutingArea[];
  slaPolicies: readonly RoutingSlaPolicy[];
  signalLexicon: SignalLexicon;
  /** Classifier confidence below which the case goes to triage (LOW_CONFIDENCE). */
  confidenceThreshold: number;
  /** returnCount ≥ maxReturns → triage (TOO_MANY_RETURNS). */
  maxReturns: number;
  /**
   * SLA policy per priority, used when a signal raised the priority above what the rule or
   * category asked for (a gas smell in a "drainage" report gets the urgent clock).
   */
  slaPolicyIdByPriority?: Partial<Record<Priority, string>>;
  /** Classifier saturation S (see confidenceOf); default 4. */
  confidenceSaturation?: number;
}

export interface RefDataProblem {
  path: string;
  problem: string;
}

const LEVEL_RANK = new Map<string, number>(AREA_LEVELS.map((l, i) => [l, i]));

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

function checkKeywords(list: unknown, path: string, out: RefDataProblem[]): void {
  if (!Array.isArray(list)) {
    out.push({ path, problem: 'must be an array' });
    return;
  }
  list.forEach((e: unknown, i) => {
    const ok =
      (typeof e === 'string' && parseKeywordEntry(e) !== undefined) ||
      (isObject(e) &&
        typeof e.term === 'string' &&
        (e.weight === undefined || typeof e.weight === 'number') &&
        parseKeywordEntry({ term: e.term, weight: typeof e.weight === 'number' ? e.weight : undefined }) !==
          undefined);
    if (!ok)
      out.push({
        path: `${path}[${i}]`,
        problem: 'is not a keyword ("term", "term:weight" or {term, weight})',
      });
  });
}

/** Cross-checks reference data (codes unique, references resolvable, vocabularies known). */
export function validateRefData(ref: RoutingRefData): RefDataProblem[] {
  const out: RefDataProblem[] = [];
  const unitTypes: readonly string[] = UNIT_TYPES;
  const priorities: readonly string[] = PRIORITIES;
  const mandatory: readonly string[] = MANDATORY_REPORT_KINDS;

  const policyIds = new Set(ref.slaPolicies.map((p) => p.policyId));
  for (const d of duplicates(ref.slaPolicies.map((p) => p.policyId))) {
    out.push({ path: 'slaPolicies', problem: `duplicate policyId ${d}` });
  }
  ref.slaPolicies.forEach((p, i) => {
    if (!(p.acceptWithinSeconds > 0) || !(p.resolveWithinSeconds > 0)) {
      out.push({ path: `slaPolicies[${i}]`, problem: 'accept/resolve durations must be positive' });
    }
    if (!['24x7', 'working'].includes(p.calendar?.kind)) {
      out.push({ path: `slaPolicies[${i}].calendar.kind`, problem: `unknown '${String(p.calendar?.kind)}'` });
    }
    (p.escalation ?? []).forEach((s, j) => {
      if (
        !(SLA_DEADLINE_KINDS as readonly string[]).includes(s.on) ||
        !(ESCALATION_ACTIONS as readonly string[]).includes(s.action)
      ) {
        out.push({ path: `slaPolicies[${i}].escalation[${j}]`, problem: 'unknown deadline kind or action' });
      }
    });
  });

  const areaCodes = new Map(ref.areas.map((a) => [a.code, a]));
  for (const d of duplicates(ref.areas.map((a) => a.code)))
    out.push({ path: 'areas', problem: `duplicate code ${d}` });
  ref.areas.forEach((a, i) => {
    if (!LEVEL_RANK.has(a.level))
      out.push({ path: `areas[${i}].level`, problem: `unknown level '${a.level}'` });
    if (a.parentCode !== undefined) {
      const parent = areaCodes.get(a.parentCode);
      if (!parent) out.push({ path: `areas[${i}].parentCode`, problem: `unknown area ${a.parentCode}` });
      else if ((LEVEL_RANK.get(parent.level) ?? 0) >= (LEVEL_RANK.get(a.level) ?? 0)) {
        out.push({
          path: `areas[${i}].parentCode`,
          problem: `a ${a.level} cannot sit under a ${parent.level}`,
        });
      }
    } else if (a.level !== 'street') {
      out.push({ path: `areas[${i}].parentCode`, problem: `a ${a.level} needs a parent` });
    }
    if (
      a.polygon &&
      (a.polygon.length < 3 || a.polygon.some((p) => p.length !== 2 || !p.every(Number.isFinite)))
    ) {
      out.push({ path: `areas[${i}].polygon`, problem: 'needs at least 3 [lng, lat] points' });
    }
  });

  for (const d of duplicates(ref.units.map((u) => u.unitId)))
    out.push({ path: 'units', problem: `duplicate unitId ${d}` });
  ref.units.forEach((u, i) => {
    if (!unitTypes.includes(u.unitType))
      out.push({ path: `units[${i}].unitType`, problem: `unknown '${u.unitType}'` });
    u.areaCodes.forEach((c, j) => {
      if (!areaCodes.has(c)) out.push({ path: `units[${i}].areaCodes[${j}]`, problem: `unknown area ${c}` });
    });
  });

  const categoryCodes = new Set(ref.categories.map((c) => c.code));
  for (const d of duplicates(ref.categories.map((c) => c.code))) {
    out.push({ path: 'categories', problem: `duplicate code ${d}` });
  }
  ref.categories.forEach((c, i) => {
    const p = `categories[${i}]`;
    if (!unitTypes.includes(c.defaultUnitType))
      out.push({ path: `${p}.defaultUnitType`, problem: `unknown '${c.defaultUnitType}'` });
    if (!priorities.includes(c.defaultPriority))
      out.push({ path: `${p}.defaultPriority`, problem: `unknown '${c.defaultPriority}'` });
    if (!policyIds.has(c.slaPolicyId))
      out.push({ path: `${p}.slaPolicyId`, problem: `unknown SLA policy ${c.slaPolicyId}` });
    if (c.mandatoryReportKind !== undefined && !mandatory.includes(c.mandatoryReportKind)) {
      out.push({ path: `${p}.mandatoryReportKind`, problem: `unknown '${c.mandatoryReportKind}'` });
    }
    checkKeywords(c.keywordsZh, `${p}.keywordsZh`, out);
    checkKeywords(c.keywordsEn, `${p}.keywordsEn`, out);
  });

  ref.rules.forEach((r, i) => {
    const p = `rules[${i}]`;
    for (const prob of validateRule(r, unitTypes, ref.rules))
      out.push({ path: `${p}.${prob.field}`, problem: prob.problem });
    (r.match.categoryCodes ?? []).forEach((c) => {
      if (!categoryCodes.has(c))
        out.push({ path: `${p}.match.categoryCodes`, problem: `unknown category ${c}` });
    });
    (r.match.areaCodes ?? []).forEach((c) => {
      if (!areaCodes.has(c)) out.push({ path: `${p}.match.areaCodes`, problem: `unknown area ${c}` });
    });
    if (r.match.keywordsAny) checkKeywords(r.match.keywordsAny, `${p}.match.keywordsAny`, out);
    if (r.then.slaPolicyId !== undefined && !policyIds.has(r.then.slaPolicyId)) {
      out.push({ path: `${p}.then.slaPolicyId`, problem: `unknown SLA policy ${r.then.slaPolicyId}` });
    }
  });
  for (const d of duplicates(ref.rules.map((r) => r.id)))
    out.push({ path: 'rules', problem: `duplicate id ${d}` });

  for (const d of duplicates(ref.signalLexicon.signals.map((s) => s.code))) {
    out.push({ path: 'signalLexicon.signals', problem: `duplicate code ${d}` });
  }
  ref.signalLexicon.signals.forEach((s, i) => {
    const p = `signalLexicon.signals[${i}]`;
    if (s.priority !== undefined && !priorities.includes(s.priority))
      out.push({ path: `${p}.priority`, problem: `unknown '${s.priority}'` });
    if (s.mandatoryReport !== undefined && !mandatory.includes(s.mandatoryReport)) {
      out.push({ path: `${p}.mandatoryReport`, problem: `unknown '${s.mandatoryReport}'` });
    }
    if (s.categoryCode !== undefined && !categoryCodes.has(s.categoryCode)) {
      out.push({ path: `${p}.categoryCode`, problem: `unknown category ${s.categoryCode}` });
    }
    checkKeywords(s.termsZh, `${p}.termsZh`, out);
    checkKeywords(s.termsEn, `${p}.termsEn`, out);
  });

  for (const [priority, id] of Object.entries(ref.slaPolicyIdByPriority ?? {})) {
    if (!priorities.includes(priority))
      out.push({ path: 'slaPolicyIdByPriority', problem: `unknown priority ${priority}` });
    if (id !== undefined && !policyIds.has(id))
      out.push({ path: `slaPolicyIdByPriority.${priority}`, problem: `unknown SLA policy ${id}` });
  }
  if (!(ref.confidenceThreshold >= 0 && ref.confidenceThreshold <= 1)) {
    out.push({ path: 'confidenceThreshold', problem: 'must be within [0, 1]' });
  }
  if (!Number.isInteger(ref.maxReturns) || ref.maxReturns < 1)
    out.push({ path: 'maxReturns', problem: 'must be an integer ≥ 1' });
  return out;
}

const REQUIRED_ARRAYS = ['categories', 'rules', 'units', 'areas', 'slaPolicies'] as const;

/**
 * Turns parsed JSON (e.g. seed/demo-district.json) into reference data, or throws
 * DomainError ROUTING.INVALID_REF_DATA listing every problem. Extra fields (unit contacts,
 * webhook URLs, names) are kept as they are.
 */
export function parseRefData(raw: unknown): RoutingRefData {
  const problems: RefDataProblem[] = [];
  if (!isObject(raw)) {
    throw new DomainError(
      'ROUTING.INVALID_REF_DATA',
      'reference data must be a JSON object',
      { problems: [] },
      400,
    );
  }
  for (const key of REQUIRED_ARRAYS) {
    const list = raw[key];
    if (!Array.isArray(list) || !list.every(isObject))
      problems.push({ path: key, problem: 'must be an array of objects' });
  }
  const lexicon = raw.signalLexicon;
  if (!isObject(lexicon) || !Array.isArray(lexicon.signals) || !lexicon.signals.every(isObject)) {
    problems.push({ path: 'signalLexicon.signals', problem: 'must be an array of objects' });
  }
  if (typeof raw.confidenceThreshold !== 'number')
    problems.push({ path: 'confidenceThreshold', problem: 'must be a number' });
  if (typeof raw.maxReturns !== 'number') problems.push({ path: 'maxReturns', problem: 'must be a number' });
  if (problems.length === 0) {
    const shape: [string, unknown[], string[]][] = [
      [
        'categories',
        raw.categories as unknown[],
        ['code', 'defaultUnitType', 'defaultPriority', 'slaPolicyId'],
      ],
      ['rules', raw.rules as unknown[], ['id']],
      ['units', raw.units as unknown[], ['unitId', 'name', 'unitType']],
      ['areas', raw.areas as unknown[], ['code', 'level']],
      ['slaPolicies', raw.slaPolicies as unknown[], ['policyId']],
    ];
    for (const [name, list, fields] of shape) {
      list.forEach((item, i) => {
        const obj = item as Record<string, unknown>;
        for (const f of fields) {
          if (typeof obj[f] !== 'string')
            problems.push({ path: `${name}[${i}].${f}`, problem: 'must be a string' });
        }
        if (name === 'units' && (!Array.isArray(obj.areaCodes) || typeof obj.active !== 'boolean')) {
          problems.push({ path: `${name}[${i}]`, problem: 'needs areaCodes[] and active' });
        }
        if (
          name === 'rules' &&
          (typeof obj.priorityOrder !== 'number' ||
            typeof obj.active !== 'boolean' ||
            !isObject(obj.match) ||
            !isObject(obj.then))
        ) {
          problems.push({ path: `${name}[${i}]`, problem: 'needs priorityOrder, active, match and then' });
        }
        if (name === 'slaPolicies' && (!isObject(obj.calendar) || !Array.isArray(obj.escalation))) {
          problems.push({ path: `${name}[${i}]`, problem: 'needs calendar and escalation[]' });
        }
      });
    }
  }
  if (problems.length === 0) {
    const ref = raw as unknown as RoutingRefData;
    problems.push(...validateRefData(ref));
    if (problems.length === 0) return ref;
  }
  throw new DomainError(
    'ROUTING.INVALID_REF_DATA',
    `reference data has ${problems.length} problem(s): ${problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.problem}`)
      .join('; ')}`,
    { problems },
    400,
  );
}
