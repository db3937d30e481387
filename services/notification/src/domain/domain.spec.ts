import { afterAttempt, retryDelayMs } from './backoff';
import { parseQuietHours, quietHoursEnd } from './quiet-hours';
import { deliveryIdOf, signWebhook, verifyWebhook } from './signature';
import { formatShanghai, renderTemplate, TEMPLATE_KEYS } from './templates';

describe('quiet hours', () => {
  const q = parseQuietHours('22:00-07:00')!;
  it('parses and disables', () => {
    expect(q).toEqual({ startMin: 1320, endMin: 420, utcOffsetMin: 480 });
    expect(parseQuietHours('off')).toBeNull();
    expect(() => parseQuietHours('late')).toThrow(/QUIET_HOURS/);
  });
  it('ends the window the next morning in the evening part, the same morning after midnight', () => {
    expect(quietHoursEnd(new Date('2026-11-23T14:30:00Z'), q)?.toISOString()).toBe(
      '2026-11-23T23:00:00.000Z',
    ); // 22:30 local
    expect(quietHoursEnd(new Date('2026-11-23T20:00:00Z'), q)?.toISOString()).toBe(
      '2026-11-23T23:00:00.000Z',
    ); // 04:00 local
    expect(quietHoursEnd(new Date('2026-11-23T23:00:00Z'), q)).toBeNull(); // 07:00 local
    expect(quietHoursEnd(new Date('2026-11-23T04:00:00Z'), q)).toBeNull(); // 12:00 local
  });
  it('handles a window that does not wrap midnight', () => {
    const day = parseQuietHours('12:00-14:00')!;
    expect(quietHoursEnd(new Date('2026-11-23T04:30:00Z'), day)?.toISOString()).toBe(
      '2026-11-23T06:00:00.000Z',
    );
  });
});

describe('retries', () => {
  const policy = { baseMs: 500, capMs: 60_000, maxAttempts: 8 };
  it('grows exponentially with jitter and a cap', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(250);
    expect(retryDelayMs(1, policy, () => 1)).toBe(500);
    expect(retryDelayMs(4, policy, () => 1)).toBe(4000);
    expect(retryDelayMs(20, policy, () => 1)).toBe(60_000);
  });
  it('dead-letters after max attempts or a non-retriable failure', () => {
    expect(afterAttempt({ ok: true, retriable: false }, 1, policy)).toEqual({ next: 'delivered' });
    expect(afterAttempt({ ok: false, retriable: true }, 7, policy).next).toBe('retry');
    expect(afterAttempt({ ok: false, retriable: true }, 8, policy).next).toBe('dead');
    expect(afterAttempt({ ok: false, retriable: false }, 1, policy).next).toBe('dead');
  });
});

describe('webhook signature and delivery ids', () => {
  it('verifies what it signs and refuses tampering or stale timestamps', () => {
    const body = JSON.stringify({ deliveryId: 'x' });
    const sig = signWebhook('s3cret', 1_700_000_000, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook('s3cret', { timestamp: '1700000000', signature: sig }, body, 1_700_000_010)).toBe(
      true,
    );
    expect(
      verifyWebhook('s3cret', { timestamp: '1700000000', signature: sig }, `${body} `, 1_700_000_010),
    ).toBe(false);
    expect(verifyWebhook('other', { timestamp: '1700000000', signature: sig }, body, 1_700_000_010)).toBe(
      false,
    );
    expect(verifyWebhook('s3cret', { timestamp: '1700000000', signature: sig }, body, 1_700_001_000)).toBe(
      false,
    );
  });
  it('derives a stable uuid per (event, recipient, channel)', () => {
    const a = deliveryIdOf('e1', 'unit:u1', 'webhook');
    expect(a).toBe(deliveryIdOf('e1', 'unit:u1', 'webhook'));
    expect(a).not.toBe(deliveryIdOf('e1', 'unit:u1', 'email'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('templates', () => {
  it('exist in both languages and show Shanghai time', () => {
    for (const key of TEMPLATE_KEYS) {
      for (const locale of ['zh-CN', 'en'] as const) {
        const m = renderTemplate(key, locale, {
          reference: 'WL-1',
          summary: 's',
          trackingLink: 'http://t/WL-1',
          dueAt: '2026-11-23T10:00:00Z',
        });
        expect(m.subject).toContain('WL-1');
        expect(m.text).toContain('http://t/WL-1');
      }
    }
    expect(formatShanghai('2026-11-23T16:30:00Z')).toBe('2026-11-24 00:30');
  });
});
