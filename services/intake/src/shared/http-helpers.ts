import type { Request } from 'express';
import { IDEMPOTENCY_KEY_PATTERN } from '@app/platform';
import type { LocationDto, ReporterDto } from '@app/contracts';
import { invalidField } from './intake-errors';

/** The Idempotency-Key header, checked; undefined when absent. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.header('idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw invalidField('Idempotency-Key', 'must be 8-128 characters of A-Z a-z 0-9 . _ : -');
  }
  return key;
}

/** The client address (Express resolves X-Forwarded-For only from the trusted loopback proxy). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Drops undefined fields so stored and published objects hold only what was given. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}

export function toLocation(l: LocationDto): LocationDto {
  return compact({
    gridCode: l.gridCode,
    buildingCode: l.buildingCode,
    addressText: l.addressText,
    lat: l.lat,
    lng: l.lng,
  });
}

export function toReporter(r: ReporterDto): ReporterDto {
  return compact({
    anonymous: r.anonymous,
    confidential: r.confidential,
    name: r.name,
    phone: r.phone,
    email: r.email,
    wechatOpenId: r.wechatOpenId,
    preferredContact: r.preferredContact,
    locale: r.locale,
  });
}
