/**
 * The ops read model's rules, plain TypeScript (no Nest, TypeORM, kafkajs or Redis): how a status
 * ranks, which statuses are open, the aging buckets, points (积分) and period checks.
 */
import type { CaseStatus } from '@app/contracts';

/** Rank of a status in the forward flow; breaks ties between events with the same time. */
export const STATUS_RANK: Record<CaseStatus, number> = {
  reported: 0,
  triage: 1,
  routed: 2,
  assigned: 3,
  accepted: 4,
  in_progress: 5,
  resolved: 6,
  closed: 7,
  cancelled: 8,
  merged: 8,
};

export const FINAL_STATUSES: readonly CaseStatus[] = ['closed', 'cancelled', 'merged'];
export const isOpenStatus = (s: CaseStatus): boolean => !FINAL_STATUSES.includes(s);

/**
 * Whether an incoming status (at `at`) replaces the current one (at `currentAt`): the later event
 * wins; on the same instant the status further along the flow wins. So late-arriving events
 * (topics are not ordered relative to each other) never move a case backwards, while a real
 * reopen (a later event) does.
 */
export function statusWins(
  incoming: { status: CaseStatus; at: Date },
  current: { status: CaseStatus; at: Date } | undefined,
): boolean {
  if (!current) return true;
  const d = incoming.at.getTime() - current.at.getTime();
  if (d !== 0) return d > 0;
  return STATUS_RANK[incoming.status] >= STATUS_RANK[current.status];
}

export interface AgingBucket {
  key: string;
  /** Inclusive lower bound in seconds. */
  fromSeconds: number;
  /** Exclusive upper bound in seconds; null = no upper bound. */
  toSeconds: number | null;
  zh: string;
  en: string;
}

export const AGING_BUCKETS: readonly AgingBucket[] = [
  { key: 'lt_1h', fromSeconds: 0, toSeconds: 3600, zh: '1小时内', en: '< 1 h' },
  { key: '1h_4h', fromSeconds: 3600, toSeconds: 4 * 3600, zh: '1–4小时', en: '1–4 h' },
  { key: '4h_24h', fromSeconds: 4 * 3600, toSeconds: 24 * 3600, zh: '4–24小时', en: '4–24 h' },
  { key: '1d_3d', fromSeconds: 24 * 3600, toSeconds: 3 * 24 * 3600, zh: '1–3天', en: '1–3 d' },
  { key: '3d_7d', fromSeconds: 3 * 24 * 3600, toSeconds: 7 * 24 * 3600, zh: '3–7天', en: '3–7 d' },
  { key: 'gt_7d', fromSeconds: 7 * 24 * 3600, toSeconds: null, zh: '7天以上', en: '> 7 d' },
];

/** The bucket an age (seconds) falls in; negative ages (clock skew) count as the first bucket. */
export function agingBucketOf(ageSeconds: number): AgingBucket {
  const age = Math.max(0, ageSeconds);
  return AGING_BUCKETS.find((b) => age >= b.fromSeconds && (b.toSeconds === null || age < b.toSeconds))!;
}

export interface PointsRule {
  /** Points per task closed on time (OPS_POINTS_ON_TIME, default 10). */
  onTime: number;
  /** Points per SLA breach, usually negative (OPS_POINTS_BREACH, default -5). */
  breach: number;
}

/** 积分: points per task closed on time plus (negative) points per breach. */
export const pointsOf = (rule: PointsRule, onTimeClosed: number, breaches: number): number =>
  rule.onTime * onTimeClosed + rule.breach * breaches;

/** A rate rounded to 4 decimals, or null when there is nothing to divide by. */
export const rate = (part: number, whole: number): number | null =>
  whole > 0 ? Math.round((part / whole) * 10000) / 10000 : null;

export const MAX_PERIOD_DAYS = 400;

export type PeriodProblem = { field: 'from' | 'to'; problem: string };

/** Checks a [from, to) period: both valid, from before to, at most MAX_PERIOD_DAYS long. */
export function checkPeriod(from: Date, to: Date): PeriodProblem | undefined {
  if (Number.isNaN(from.getTime())) return { field: 'from', problem: 'from must be an ISO 8601 time' };
  if (Number.isNaN(to.getTime())) return { field: 'to', problem: 'to must be an ISO 8601 time' };
  if (from.getTime() >= to.getTime()) return { field: 'to', problem: 'to must be after from' };
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86400_000)
    return { field: 'to', problem: `the period may be at most ${MAX_PERIOD_DAYS} days` };
  return undefined;
}

/** How many buckets a series over [from, to) has at the interval. */
export const seriesLength = (from: Date, to: Date, interval: 'hour' | 'day'): number =>
  Math.ceil((to.getTime() - from.getTime()) / (interval === 'hour' ? 3600_000 : 86400_000));

export const MAX_SERIES_POINTS = 2000;

/** Whether an IANA zone name is known to the runtime (used before handing it to SQL). */
export function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
