import type { CaseStatus } from '@app/contracts';

/**
 * Duplicate detection: a report of the same category at the same building (or, without a
 * building, the same grid) within the window, while the first case is open, joins that case
 * as a co-report. It needs a category: given by the reporter or routed later (a report
 * without a category cannot be matched at the moment it arrives, but can be matched against
 * once routing has decided its category).
 */
export const CLOSED_STATUSES: readonly CaseStatus[] = ['closed', 'cancelled', 'merged'];

export function isOpenStatus(status: string): boolean {
  return !(CLOSED_STATUSES as readonly string[]).includes(status);
}

/** Where a report is, for matching: the building if known, else the grid; none without either. */
export function locationKey(location: {
  buildingCode?: string | null;
  gridCode?: string | null;
}): string | undefined {
  const building = location.buildingCode?.trim();
  if (building) return `b:${building.toUpperCase()}`;
  const grid = location.gridCode?.trim();
  if (grid) return `g:${grid.toUpperCase()}`;
  return undefined;
}

/** The lock/matching key for a new report, or undefined when it cannot be matched. */
export function duplicateKey(
  categoryCode: string | undefined,
  location: { buildingCode?: string | null; gridCode?: string | null },
): string | undefined {
  const where = locationKey(location);
  if (!categoryCode || !where) return undefined;
  return `${categoryCode}|${where}`;
}

export interface DuplicateCandidate {
  caseId: string;
  status: string;
  reportedAt: Date;
  categoryCode?: string | null;
  locationKey?: string | null;
}

/** The case a new report joins, if any: the earliest open candidate of the same key within the window. */
export function findDuplicate(
  report: {
    categoryCode?: string;
    location: { buildingCode?: string | null; gridCode?: string | null };
    at: Date;
  },
  candidates: DuplicateCandidate[],
  windowMinutes: number,
): DuplicateCandidate | undefined {
  const key = locationKey(report.location);
  if (!report.categoryCode || !key) return undefined;
  const since = report.at.getTime() - windowMinutes * 60_000;
  return candidates
    .filter(
      (c) =>
        c.categoryCode === report.categoryCode &&
        c.locationKey === key &&
        isOpenStatus(c.status) &&
        c.reportedAt.getTime() >= since &&
        c.reportedAt.getTime() <= report.at.getTime(),
    )
    .sort((a, b) => a.reportedAt.getTime() - b.reportedAt.getTime())[0];
}
