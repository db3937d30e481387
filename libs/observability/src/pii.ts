/** Masks personal data before it reaches a log line. */

const PII_KEYS =
  /^(phone|mobile|tel|name|reportername|reporterphone|email|wechatopenid|address|addresstext|idcard|password|token|apikey|secret|authorization)$/i;
const PHONE = /(?<!\d)(\+?\d{2,4}[ -]?)?(1\d{2})[ -]?(\d{4})[ -]?(\d{4})(?!\d)/g;

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '***';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  return chars[0] + '*'.repeat(Math.min(chars.length - 1, 4));
}

/** Masks mobile numbers inside free text. */
export function maskText(text: string): string {
  return text.replace(PHONE, (_m, _cc, a: string, _b: string, c: string) => `${a}****${c}`);
}

/** Deep copy of a value with PII fields masked, bounded in depth and size. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return maskText(value.length > 2000 ? `${value.slice(0, 2000)}…` : value);
  if (typeof value !== 'object') return value;
  if (depth > 5) return '[…]';
  if (value instanceof Error)
    return { name: value.name, message: maskText(value.message), stack: value.stack };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (PII_KEYS.test(k) && v !== null && v !== undefined && v !== '') {
      out[k] =
        typeof v === 'string' && /phone|mobile|tel/i.test(k)
          ? maskPhone(v)
          : typeof v === 'string' && /name/i.test(k)
            ? maskName(v)
            : '[redacted]';
    } else {
      out[k] = redact(v, depth + 1);
    }
  }
  return out;
}
