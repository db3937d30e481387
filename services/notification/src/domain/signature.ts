import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Webhook signature: hex HMAC-SHA256 of `${timestamp}.${rawBody}` with the unit's secret. */
export function signWebhook(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** What a partner does (see WEBHOOKS.md): recompute, compare in constant time, check freshness. */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !headers.signature)
    return false;
  const expected = Buffer.from(signWebhook(secret, ts, rawBody));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * A deterministic UUID (version 5 layout, SHA-1 based) from the parts that make a delivery
 * unique: the same (event, recipient, channel) always gets the same deliveryId, across
 * redeliveries and restarts.
 */
export function deliveryIdOf(eventId: string, recipient: string, channel: string): string {
  const h = createHash('sha1')
    .update(`notification-delivery\u0000${eventId}\u0000${recipient}\u0000${channel}`)
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
