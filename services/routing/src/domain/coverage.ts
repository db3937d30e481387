import { AREA_LEVELS, AreaLevel, UnitType } from '@app/contracts';
import { memoizeByRef, normalizeText } from './text-match';

/** [lng, lat] */
export type LngLat = readonly [number, number];

/** street → community → grid → building */
export interface RoutingArea {
  code: string;
  level: AreaLevel;
  name?: string;
  /** Other names found in address text (e.g. a compound name `桂花苑3幢`). */
  aliases?: readonly string[];
  parentCode?: string;
  /** Outer ring, [lng, lat] pairs; closing point optional. */
  polygon?: readonly LngLat[];
  /** Default true. */
  active?: boolean;
}

export interface RoutingUnit {
  unitId: string;
  name: string;
  unitType: UnitType;
  /** Areas the unit covers (any level); it covers everything below them too. */
  areaCodes: readonly string[];
  active: boolean;
}

export interface LocationInput {
  gridCode?: string;
  buildingCode?: string;
  addressText?: string;
  lat?: number;
  lng?: number;
}

export type LocationSource = 'building' | 'grid' | 'coordinates' | 'address' | 'none';

export interface ResolvedLocation {
  /** Most specific first: building → grid → community → street. Empty when unplaced. */
  chain: RoutingArea[];
  via: LocationSource;
  reasons: string[];
}

export type CoverageResult =
  | { ok: true; unit: RoutingUnit; area: RoutingArea; reasons: string[] }
  | { ok: false; code: 'NO_COVERING_UNIT'; reasons: string[] };

/** Higher = more specific. */
const SPECIFICITY: Record<AreaLevel, number> = Object.fromEntries(
  AREA_LEVELS.map((l, i) => [l, i]),
) as Record<AreaLevel, number>;

export interface AreaIndex {
  byCode: ReadonlyMap<string, RoutingArea>;
  /** Active areas with a usable polygon, most specific level first. */
  withPolygon: readonly RoutingArea[];
  /** Active areas' names and aliases, normalized, longest first. */
  names: readonly { text: string; area: RoutingArea }[];
}

export const buildAreaIndex = memoizeByRef((areas: readonly RoutingArea[]): AreaIndex => {
  const active = areas.filter((a) => a.active !== false);
  const byCode = new Map(active.map((a) => [a.code, a]));
  const withPolygon = active
    .filter((a) => (a.polygon?.length ?? 0) >= 3)
    .sort(
      (a, b) =>
        SPECIFICITY[b.level] - SPECIFICITY[a.level] ||
        polygonArea(a.polygon ?? []) - polygonArea(b.polygon ?? []),
    );
  const names: { text: string; area: RoutingArea }[] = [];
  for (const a of active) {
    for (const n of [a.name, ...(a.aliases ?? [])]) {
      const text = n ? normalizeText(n).replace(/\s+/g, '') : '';
      if (text.length >= 2) names.push({ text, area: a });
    }
  }
  names.sort(
    (x, y) => y.text.length - x.text.length || SPECIFICITY[y.area.level] - SPECIFICITY[x.area.level],
  );
  return { byCode, withPolygon, names };
});

/** The area and its ancestors, most specific first; stops at an unknown parent or a cycle. */
export function ancestry(code: string, index: AreaIndex): RoutingArea[] {
  const chain: RoutingArea[] = [];
  const seen = new Set<string>();
  let current = index.byCode.get(code);
  while (current && !seen.has(current.code)) {
    chain.push(current);
    seen.add(current.code);
    current = current.parentCode ? index.byCode.get(current.parentCode) : undefined;
  }
  return chain;
}

/** Ray casting; points exactly on an edge may fall either way. */
export function pointInPolygon(point: LngLat, polygon: readonly LngLat[]): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Shoelace area in squared degrees (only compared, never shown). */
export function polygonArea(polygon: readonly LngLat[]): number {
  let sum = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    sum += polygon[j][0] * polygon[i][1] - polygon[i][0] * polygon[j][1];
  }
  return Math.abs(sum) / 2;
}

function describe(area: RoutingArea): string {
  return area.name ? `${area.level} ${area.code} (${area.name})` : `${area.level} ${area.code}`;
}

/**
 * Places a report in the area hierarchy. Precedence: building code, grid code, coordinates
 * (most specific polygon containing the point), address text (longest area name or alias it
 * contains). Unknown codes are reported and the next source is tried.
 */
export function resolveLocation(location: LocationInput, areas: readonly RoutingArea[]): ResolvedLocation {
  const index = buildAreaIndex(areas);
  const reasons: string[] = [];

  if (location.buildingCode) {
    const building = index.byCode.get(location.buildingCode);
    if (building) {
      const chain = ancestry(building.code, index);
      if (location.gridCode && !chain.some((a) => a.code === location.gridCode)) {
        reasons.push(`building ${building.code} is not in grid ${location.gridCode}; the building is used`);
      }
      reasons.push(`location: ${describe(building)} from the building code`);
      return { chain, via: 'building', reasons };
    }
    reasons.push(`building code ${location.buildingCode} is unknown`);
  }
  if (location.gridCode) {
    const grid = index.byCode.get(location.gridCode);
    if (grid) {
      reasons.push(`location: ${describe(grid)} from the grid code`);
      return { chain: ancestry(grid.code, index), via: 'grid', reasons };
    }
    reasons.push(`grid code ${location.gridCode} is unknown`);
  }
  if (typeof location.lat === 'number' && typeof location.lng === 'number') {
    const point: LngLat = [location.lng, location.lat];
    const hit = index.withPolygon.find((a) => pointInPolygon(point, a.polygon ?? []));
    if (hit) {
      reasons.push(`location: ${describe(hit)} contains ${location.lat}, ${location.lng}`);
      return { chain: ancestry(hit.code, index), via: 'coordinates', reasons };
    }
    reasons.push(`no area polygon contains ${location.lat}, ${location.lng}`);
  }
  if (location.addressText) {
    const address = normalizeText(location.addressText).replace(/\s+/g, '');
    const hit = index.names.find((n) => address.includes(n.text));
    if (hit) {
      reasons.push(`location: ${describe(hit.area)} named in the address`);
      return { chain: ancestry(hit.area.code, index), via: 'address', reasons };
    }
    reasons.push('the address names no known area');
  }
  reasons.push('the location could not be placed in the area hierarchy');
  return { chain: [], via: 'none', reasons };
}

/**
 * The most specific active unit of a type covering the location: a unit covering the building
 * beats one covering the grid, the community, then the street. Excluded units (those that
 * returned the case) are skipped. Ties at one level go to the smallest unitId.
 */
export function findCoveringUnit(
  unitType: UnitType,
  chain: readonly RoutingArea[],
  units: readonly RoutingUnit[],
  excludedUnitIds: readonly string[] = [],
): CoverageResult {
  const skipped: string[] = [];
  for (const area of chain) {
    const covering = units.filter((u) => u.unitType === unitType && u.areaCodes.includes(area.code));
    const eligible = covering
      .filter((u) => u.active && !excludedUnitIds.includes(u.unitId))
      .sort((a, b) => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0));
    for (const u of covering) {
      if (!u.active) skipped.push(`${u.name} (${u.unitId}) covers ${area.code} but is inactive`);
      else if (excludedUnitIds.includes(u.unitId)) skipped.push(`${u.name} (${u.unitId}) returned the case`);
    }
    const unit = eligible[0];
    if (unit) {
      const tie = eligible.length > 1 ? ` (first of ${eligible.length} by unit id)` : '';
      return {
        ok: true,
        unit,
        area,
        reasons: [...skipped, `unit ${unit.name} (${unit.unitId}) covers ${describe(area)}${tie}`],
      };
    }
  }
  const where = chain.length > 0 ? chain.map((a) => a.code).join(' → ') : 'an unplaced location';
  return {
    ok: false,
    code: 'NO_COVERING_UNIT',
    reasons: [...skipped, `no active ${unitType} unit covers ${where}`],
  };
}
