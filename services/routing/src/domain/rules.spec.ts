import { UNIT_TYPES } from '@app/contracts';
import {
  evaluateRule,
  inTimeWindow,
  localTimeOfDay,
  orderRules,
  RoutingRule,
  RuleContext,
  selectRule,
  validateRule,
} from './rules';

const rule = (
  id: string,
  priorityOrder: number,
  match: RoutingRule['match'],
  extra: Partial<RoutingRule> = {},
): RoutingRule => ({
  id,
  priorityOrder,
  active: true,
  match,
  then: { leadUnitType: 'police' },
  ...extra,
});

/** 10:00 and 23:30 in Shanghai (UTC+8). */
const DAY = new Date('2026-11-24T02:00:00Z');
const NIGHT = new Date('2026-11-24T15:30:00Z');
const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({
  categoryCode: 'noise',
  text: '隔壁装修太吵',
  areaChain: ['WL-GH-G1-B02', 'WL-GH-G1', 'WL-GH', 'WL'],
  now: DAY,
  ...over,
});
const NIGHT_WINDOW = { from: '22:00', to: '06:00', timezone: 'Asia/Shanghai' };

describe('time of day', () => {
  it('reads local time in the rule time zone', () => {
    expect(localTimeOfDay(NIGHT, 'Asia/Shanghai')).toBe('23:30');
    expect(localTimeOfDay(NIGHT, 'UTC')).toBe('15:30');
  });
  it('handles windows that wrap midnight, half-open at the end', () => {
    expect(inTimeWindow(NIGHT, NIGHT_WINDOW)).toBe(true);
    expect(inTimeWindow(DAY, NIGHT_WINDOW)).toBe(false);
    expect(inTimeWindow(new Date('2026-11-23T21:59:00Z'), NIGHT_WINDOW)).toBe(true); // 05:59
    expect(inTimeWindow(new Date('2026-11-23T22:00:00Z'), NIGHT_WINDOW)).toBe(false); // 06:00
    expect(inTimeWindow(DAY, { from: '08:30', to: '17:30', timezone: 'Asia/Shanghai' })).toBe(true);
    expect(inTimeWindow(DAY, { from: '00:00', to: '00:00', timezone: 'Asia/Shanghai' })).toBe(true);
  });
  it('never matches a malformed window', () => {
    expect(inTimeWindow(DAY, { from: '8:30', to: '17:30', timezone: 'Asia/Shanghai' })).toBe(false);
    expect(inTimeWindow(DAY, { from: '08:30', to: '17:30', timezone: 'Mars/Olympus' })).toBe(false);
  });
});

describe('evaluateRule / selectRule', () => {
  it('matches categories, ancestor areas, time and keywords together, with reasons', () => {
    const r = rule('R-1', 1, {
      categoryCodes: ['noise'],
      areaCodes: ['WL-GH'],
      timeOfDay: NIGHT_WINDOW,
      keywordsAny: ['装修', 'renovation'],
    });
    expect(evaluateRule(r, ctx({ now: NIGHT }))).toEqual({
      matched: true,
      reasons: [
        "category 'noise'",
        'area WL-GH',
        'time 23:30 within 22:00–06:00 Asia/Shanghai',
        'keywords 装修',
      ],
    });
    expect(evaluateRule(r, ctx()).matched).toBe(false);
    expect(evaluateRule(r, ctx({ now: NIGHT, areaChain: ['WL-FL', 'WL'] })).reasons).toEqual([
      'location outside the rule areas',
    ]);
    expect(evaluateRule(r, ctx({ now: NIGHT, text: 'loud renovation work upstairs' })).matched).toBe(true);
    expect(evaluateRule(r, ctx({ now: NIGHT, text: '狗叫' })).matched).toBe(false);
  });
  it('takes the first matching active rule by priorityOrder, skipping inactive and empty rules', () => {
    const rules = [
      rule('R-30', 30, { categoryCodes: ['noise'] }, { then: { leadUnitType: 'community' } }),
      rule('R-10', 10, { categoryCodes: ['noise'] }, { active: false }),
      rule('R-05', 5, {}),
      rule('R-20', 20, { categoryCodes: ['noise'], timeOfDay: NIGHT_WINDOW }),
    ];
    expect(orderRules(rules).map((r) => r.id)).toEqual(['R-05', 'R-20', 'R-30']);
    expect(selectRule(rules, ctx({ now: NIGHT }))?.rule.id).toBe('R-20');
    expect(selectRule(rules, ctx())?.rule.id).toBe('R-30');
    expect(selectRule(rules, ctx({ categoryCode: 'drainage' }))).toBeUndefined();
  });
  it('orders rules deterministically even with a duplicate priorityOrder', () => {
    const rules = [
      rule('R-b', 1, { categoryCodes: ['noise'] }),
      rule('R-a', 1, { categoryCodes: ['noise'] }),
    ];
    expect(selectRule(rules, ctx())?.rule.id).toBe('R-a');
  });
});

describe('validateRule', () => {
  const known = UNIT_TYPES;
  const existing = [
    rule('R-10', 10, { categoryCodes: ['noise'] }),
    rule('R-20', 20, { categoryCodes: ['x'] }, { active: false }),
  ];
  it('accepts a valid rule, and its own priorityOrder when it is edited', () => {
    expect(validateRule(rule('R-11', 11, { categoryCodes: ['noise'] }), known, existing)).toEqual([]);
    expect(validateRule(rule('R-10', 10, { areaCodes: ['WL'] }), known, existing)).toEqual([]);
    expect(validateRule(rule('R-21', 20, { areaCodes: ['WL'] }), known, existing)).toEqual([]); // R-20 is inactive
  });
  it('reports a duplicate priorityOrder with another active rule', () => {
    expect(validateRule(rule('R-12', 10, { categoryCodes: ['a'] }), known, existing)).toEqual([
      { field: 'priorityOrder', problem: '10 is already used by active rule R-10' },
    ]);
    expect(
      validateRule(rule('R-12', 10, { categoryCodes: ['a'] }, { active: false }), known, existing),
    ).toEqual([]);
  });
  it('reports unknown unit types, an empty match and malformed windows', () => {
    const bad: RoutingRule = {
      id: 'R-9',
      priorityOrder: 1.5,
      active: true,
      match: { categoryCodes: [] },
      then: { leadUnitType: 'plumber' as never, supportUnitTypes: ['police', 'painter' as never] },
    };
    expect(validateRule(bad, known, existing)).toEqual([
      { field: 'priorityOrder', problem: 'must be an integer' },
      {
        field: 'match',
        problem: 'is empty: give at least one of categoryCodes, keywordsAny, areaCodes, timeOfDay',
      },
      { field: 'then.leadUnitType', problem: "unknown unit type 'plumber'" },
      { field: 'then.supportUnitTypes[1]', problem: "unknown unit type 'painter'" },
    ]);
    const window = rule('R-8', 8, { timeOfDay: { from: '25:00', to: '6', timezone: 'Nowhere/City' } });
    expect(validateRule(window, known, []).map((p) => p.field)).toEqual([
      'match.timeOfDay.from',
      'match.timeOfDay.to',
      'match.timeOfDay.timezone',
    ]);
    const same = rule(
      'R-7',
      7,
      { areaCodes: ['WL'] },
      { then: { leadUnitType: 'police', supportUnitTypes: ['police'] } },
    );
    expect(validateRule(same, known, [])).toEqual([
      { field: 'then.supportUnitTypes[0]', problem: "'police' is already the lead unit type" },
    ]);
  });
});
