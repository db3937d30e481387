import type { CaseStatus } from '@app/contracts';
import { isOpenStatus } from './duplicate';

/** Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): statuses, windows, field lists. */

export type Open311Status = 'open' | 'closed';

export const OPEN311_MAX_WINDOW_DAYS = 90;
export const OPEN311_MAX_RESULTS = 1000;

/** Fields of a service request as the spec lists them (GET requests), in the spec's order. */
export const OPEN311_REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
] as const;

export const OPEN311_SERVICE_FIELDS = [
  'service_code',
  'service_name',
  'description',
  'metadata',
  'type',
  'keywords',
  'group',
] as const;

const STATUS_LABELS: Record<CaseStatus, string> = {
  reported: 'Received / 已受理',
  triage: 'Being reviewed by the center / 综治中心研判中',
  routed: 'Routed to the responsible unit / 已分拨',
  assigned: 'Assigned to the responsible unit / 已派单',
  accepted: 'Accepted by the responsible unit / 已签收',
  in_progress: 'In progress / 处置中',
  resolved: 'Resolved, awaiting confirmation / 已办结待确认',
  closed: 'Closed / 已销号',
  cancelled: 'Cancelled / 已撤销',
  merged: 'Merged with another request / 已合并',
};

export function toOpen311Status(status: CaseStatus): Open311Status {
  return isOpenStatus(status) ? 'open' : 'closed';
}

/** Which of our statuses an Open311 status filter selects. */
export function statusesFor(filter: Open311Status[]): CaseStatus[] {
  const all = Object.keys(STATUS_LABELS) as CaseStatus[];
  return all.filter((s) => filter.includes(toOpen311Status(s)));
}

/** status_notes: the detailed status, then the latest note meant for the public, if any. */
export function statusNotes(
  status: CaseStatus,
  note?: string | null,
  mergedIntoReference?: string | null,
): string {
  const parts = [STATUS_LABELS[status]];
  if (status === 'merged' && mergedIntoReference) parts.push(`see ${mergedIntoReference}`);
  if (note) parts.push(note);
  return parts.join(' — ');
}

export interface WindowQuery {
  startDate?: Date;
  endDate?: Date;
  now: Date;
}

/**
 * The requested_datetime window of GET requests: default the last 90 days; start and end
 * together may not span more than 90 days. Returns an error description naming the field.
 */
export function requestWindow(q: WindowQuery): { from: Date; to: Date } | { error: string; field: string } {
  const maxMs = OPEN311_MAX_WINDOW_DAYS * 86_400_000;
  if (q.startDate && q.endDate) {
    if (q.endDate.getTime() < q.startDate.getTime())
      return { field: 'end_date', error: 'end_date must not be before start_date' };
    if (q.endDate.getTime() - q.startDate.getTime() > maxMs) {
      return {
        field: 'end_date',
        error: `start_date and end_date may not span more than ${OPEN311_MAX_WINDOW_DAYS} days`,
      };
    }
    return { from: q.startDate, to: q.endDate };
  }
  if (q.startDate) return { from: q.startDate, to: new Date(q.startDate.getTime() + maxMs) };
  if (q.endDate) return { from: new Date(q.endDate.getTime() - maxMs), to: q.endDate };
  return { from: new Date(q.now.getTime() - maxMs), to: q.now };
}

/** W3C datetime (the spec's format), e.g. 2026-11-23T10:00:00+08:00, in the given fixed offset. */
export function w3cDatetime(at: Date, offsetMinutes = 480): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local.toISOString().slice(0, 19)}${off}`;
}

/** Splits a comma-delimited Open311 parameter into trimmed, non-empty values. */
export function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}
