import {
  ancestry,
  buildAreaIndex,
  findCoveringUnit,
  LngLat,
  pointInPolygon,
  resolveLocation,
  RoutingArea,
  RoutingUnit,
} from './coverage';

const square = (w: number, s: number, size: number): LngLat[] => [
  [w, s],
  [w + size, s],
  [w + size, s + size],
  [w, s + size],
];

const areas: RoutingArea[] = [
  { code: 'S', level: 'street', name: '五里街道', polygon: square(120, 30, 1) },
  { code: 'C1', level: 'community', parentCode: 'S', name: '桂花社区', polygon: square(120, 30, 0.5) },
  { code: 'C2', level: 'community', parentCode: 'S', name: '荷塘社区', polygon: square(120.5, 30, 0.5) },
  { code: 'G1', level: 'grid', parentCode: 'C1', name: '第1网格', polygon: square(120, 30, 0.25) },
  { code: 'G2', level: 'grid', parentCode: 'C1', name: '第2网格', polygon: square(120.25, 30, 0.25) },
  { code: 'G3', level: 'grid', parentCode: 'C2', name: '荷塘第1网格' }, // no polygon yet
  { code: 'B1', level: 'building', parentCode: 'G1', name: '桂花苑1幢', aliases: ['桂花苑1号楼'] },
  { code: 'B2', level: 'building', parentCode: 'G1', name: '桂花苑2幢' },
  { code: 'B9', level: 'building', parentCode: 'G2', name: '桂花苑9幢', active: false },
];

const unit = (unitId: string, areaCodes: string[], extra: Partial<RoutingUnit> = {}): RoutingUnit => ({
  unitId,
  name: `unit ${unitId}`,
  unitType: 'property_management',
  areaCodes,
  active: true,
  ...extra,
});

const chainOf = (loc: Parameters<typeof resolveLocation>[0]) =>
  resolveLocation(loc, areas).chain.map((a) => a.code);

describe('geometry', () => {
  it('tests points against polygons (open or closed rings)', () => {
    const sq = square(0, 0, 1);
    expect(pointInPolygon([0.5, 0.5], sq)).toBe(true);
    expect(pointInPolygon([1.5, 0.5], sq)).toBe(false);
    expect(pointInPolygon([0.5, 0.5], [...sq, sq[0]])).toBe(true);
    const l: LngLat[] = [
      [0, 0],
      [2, 0],
      [2, 1],
      [1, 1],
      [1, 2],
      [0, 2],
    ];
    expect(pointInPolygon([1.5, 1.5], l)).toBe(false);
    expect(pointInPolygon([0.5, 1.5], l)).toBe(true);
  });
});

describe('resolveLocation', () => {
  it('builds the chain building → grid → community → street from a building code', () => {
    const r = resolveLocation({ buildingCode: 'B2' }, areas);
    expect(r.chain.map((a) => a.code)).toEqual(['B2', 'G1', 'C1', 'S']);
    expect(r.via).toBe('building');
  });
  it('prefers the building and says so when the grid code disagrees', () => {
    const r = resolveLocation({ buildingCode: 'B1', gridCode: 'G2' }, areas);
    expect(r.chain[0].code).toBe('B1');
    expect(r.reasons[0]).toBe('building B1 is not in grid G2; the building is used');
  });
  it('falls back from an unknown or inactive building to the grid', () => {
    const r = resolveLocation({ buildingCode: 'B404', gridCode: 'G2' }, areas);
    expect(r.chain.map((a) => a.code)).toEqual(['G2', 'C1', 'S']);
    expect(r.reasons).toContain('building code B404 is unknown');
    expect(chainOf({ buildingCode: 'B9', gridCode: 'G2' })).toEqual(['G2', 'C1', 'S']);
  });
  it('places coordinates in the most specific polygon that contains them', () => {
    expect(chainOf({ lat: 30.1, lng: 120.3 })).toEqual(['G2', 'C1', 'S']);
    // a community whose grids have no polygons yet
    expect(chainOf({ lat: 30.1, lng: 120.7 })).toEqual(['C2', 'S']);
    expect(resolveLocation({ lat: 10, lng: 10 }, areas).via).toBe('none');
  });
  it('uses names and aliases in the address text when nothing else places it', () => {
    const r = resolveLocation({ addressText: '五里街道桂花苑1号楼3单元' }, areas);
    expect(r.chain[0].code).toBe('B1');
    expect(r.via).toBe('address');
    expect(chainOf({ addressText: '荷塘社区附近' })).toEqual(['C2', 'S']);
  });
  it('reports an unplaceable location', () => {
    const r = resolveLocation({ addressText: '火星' }, areas);
    expect(r).toMatchObject({ chain: [], via: 'none' });
    expect(r.reasons).toContain('the location could not be placed in the area hierarchy');
  });
  it('stops at a parent cycle instead of looping', () => {
    const cyclic: RoutingArea[] = [
      { code: 'X', level: 'grid', parentCode: 'Y' },
      { code: 'Y', level: 'community', parentCode: 'X' },
    ];
    expect(ancestry('X', buildAreaIndex(cyclic)).map((a) => a.code)).toEqual(['X', 'Y']);
  });
});

describe('findCoveringUnit', () => {
  const chain = resolveLocation({ buildingCode: 'B1' }, areas).chain;
  const units: RoutingUnit[] = [
    unit('PM-STREET', ['S']),
    unit('PM-COMMUNITY', ['C1']),
    unit('PM-GRID', ['G1']),
    unit('PM-BUILDING-B', ['B1']),
    unit('PM-BUILDING-A', ['B1', 'B2']),
    unit('POLICE', ['S'], { unitType: 'police' }),
  ];
  it('picks the most specific unit, ties broken by unit id', () => {
    const r = findCoveringUnit('property_management', chain, units);
    expect(r.ok && r.unit.unitId).toBe('PM-BUILDING-A');
    expect(r.reasons).toEqual([
      'unit unit PM-BUILDING-A (PM-BUILDING-A) covers building B1 (桂花苑1幢) (first of 2 by unit id)',
    ]);
  });
  it('skips excluded and inactive units and moves up the chain', () => {
    const r = findCoveringUnit('property_management', chain, units, ['PM-BUILDING-A', 'PM-BUILDING-B']);
    expect(r.ok && r.unit.unitId).toBe('PM-GRID');
    expect(r.reasons).toContain('unit PM-BUILDING-B (PM-BUILDING-B) returned the case');
    const inactive = units.map((u) => (u.unitId === 'PM-GRID' ? { ...u, active: false } : u));
    const r2 = findCoveringUnit('property_management', chain, inactive, ['PM-BUILDING-A', 'PM-BUILDING-B']);
    expect(r2.ok && r2.unit.unitId).toBe('PM-COMMUNITY');
  });
  it('finds street-wide units for other types', () => {
    const r = findCoveringUnit('police', chain, units);
    expect(r.ok && r.area.code).toBe('S');
  });
  it('answers NO_COVERING_UNIT with reasons', () => {
    expect(findCoveringUnit('water_utility', chain, units)).toEqual({
      ok: false,
      code: 'NO_COVERING_UNIT',
      reasons: ['no active water_utility unit covers B1 → G1 → C1 → S'],
    });
    const r = findCoveringUnit('police', chain, units, ['POLICE']);
    expect(r).toMatchObject({ ok: false, code: 'NO_COVERING_UNIT' });
    expect(r.reasons[0]).toBe('unit POLICE (POLICE) returned the case');
    expect(findCoveringUnit('police', [], units).reasons).toEqual([
      'no active police unit covers an unplaced location',
    ]);
  });
});
