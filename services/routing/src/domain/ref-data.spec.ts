import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DomainError, UNIT_TYPES } from '@app/contracts';
import { parseRefData, validateRefData } from './ref-data';

const SEED = path.join(__dirname, '../../seed/demo-district.json');
const raw = (): Record<string, unknown> => JSON.parse(readFileSync(SEED, 'utf8')) as Record<string, unknown>;

describe('the demo district seed', () => {
  const ref = parseRefData(raw());

  it('is valid reference data', () => {
    expect(validateRefData(ref)).toEqual([]);
  });
  it('has one street, three communities, grids with buildings, some grids with polygons', () => {
    const by = (level: string) => ref.areas.filter((a) => a.level === level);
    expect(by('street')).toHaveLength(1);
    expect(by('community')).toHaveLength(3);
    expect(by('grid').length).toBeGreaterThanOrEqual(9);
    expect(by('building').length).toBeGreaterThanOrEqual(by('grid').length * 2);
    expect(by('grid').some((g) => g.polygon)).toBe(true);
    expect(by('grid').some((g) => !g.polygon)).toBe(true);
  });
  it('has an active unit of every unit type, with contacts', () => {
    for (const t of UNIT_TYPES) expect(ref.units.some((u) => u.unitType === t && u.active)).toBe(true);
    const units = raw().units as { contact: { phone?: string; email?: string }; webhookUrl: unknown }[];
    for (const u of units) {
      expect(u.contact.phone).toMatch(/^[0-9-]+$/);
      expect(u.contact.email).toContain('@');
      expect(u.webhookUrl).toBeNull();
    }
    expect(ref.units.filter((u) => u.unitType === 'property_management').length).toBeGreaterThanOrEqual(3);
    expect(ref.units.filter((u) => u.unitType === 'volunteer_team')).toHaveLength(2);
  });
  it('has the urgent, normal and low SLA policies with escalation ladders', () => {
    const p = (id: string) => ref.slaPolicies.find((x) => x.policyId === id);
    expect(p('SLA-URGENT')).toMatchObject({
      acceptWithinSeconds: 900,
      resolveWithinSeconds: 4 * 3600,
      calendar: { kind: '24x7' },
    });
    expect(p('SLA-NORMAL')).toMatchObject({
      acceptWithinSeconds: 7200,
      calendar: {
        kind: 'working',
        timezone: 'Asia/Shanghai',
        weekdays: [1, 2, 3, 4, 5],
        dayStart: '08:30',
        dayEnd: '17:30',
      },
    });
    expect(p('SLA-NORMAL')?.calendar.holidays).toEqual(
      expect.arrayContaining(['2026-10-01', '2026-10-07', '2027-01-01']),
    );
    expect(p('SLA-LOW')).toBeDefined();
    for (const policy of ref.slaPolicies) {
      expect(policy.escalation.map((s) => s.action)).toEqual(
        expect.arrayContaining(['remind_unit', 'notify_supervisor', 'flag_supervision']),
      );
      expect(policy.escalation[0]).toEqual({ on: 'accept', afterSeconds: 0, action: 'remind_unit' });
    }
  });
  it('covers the everyday space with bilingual vocabulary', () => {
    expect(ref.categories.length).toBeGreaterThanOrEqual(30);
    for (const c of ref.categories) {
      expect(c.keywordsZh.length).toBeGreaterThanOrEqual(5);
      expect(c.keywordsEn.length).toBeGreaterThanOrEqual(5);
    }
    const kinds = new Set(ref.signalLexicon.signals.map((s) => s.mandatoryReport).filter(Boolean));
    expect([...kinds].sort()).toEqual([
      'collective_demand',
      'instability_factor',
      'organised_crime_clue',
      'safety_hazard',
    ]);
  });
});

describe('parseRefData', () => {
  it('refuses something that is not reference data', () => {
    expect(() => parseRefData(null)).toThrow(DomainError);
    expect(() => parseRefData({ categories: 'x' })).toThrow(/categories: must be an array of objects/);
  });
  it('lists every broken reference, with its path', () => {
    const data = raw();
    const areas = data.areas as Record<string, unknown>[];
    const units = data.units as Record<string, unknown>[];
    const categories = data.categories as Record<string, unknown>[];
    areas[5] = { ...areas[5], parentCode: 'NOWHERE' };
    units[0] = { ...units[0], unitType: 'plumber' };
    categories[0] = { ...categories[0], slaPolicyId: 'SLA-NONE', keywordsZh: ['ok', 42] };
    try {
      parseRefData(data);
      throw new Error('expected a DomainError');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      const e = err as DomainError;
      expect(e.code).toBe('ROUTING.INVALID_REF_DATA');
      expect(e.details?.problems).toEqual(
        expect.arrayContaining([
          { path: 'areas[5].parentCode', problem: 'unknown area NOWHERE' },
          { path: 'units[0].unitType', problem: "unknown 'plumber'" },
          { path: 'categories[0].slaPolicyId', problem: 'unknown SLA policy SLA-NONE' },
          {
            path: 'categories[0].keywordsZh[1]',
            problem: 'is not a keyword ("term", "term:weight" or {term, weight})',
          },
        ]),
      );
    }
  });
  it('catches a rule with a duplicate priorityOrder and an unknown category', () => {
    const data = raw();
    const rules = data.rules as { priorityOrder: number; match: { categoryCodes?: string[] } }[];
    rules[1].priorityOrder = rules[0].priorityOrder;
    rules[2].match.categoryCodes = ['no_such_category'];
    expect(() => parseRefData(data)).toThrow(/priorityOrder/);
  });
});
