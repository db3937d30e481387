import { maskName, maskPhone, maskText, redact } from './pii';

describe('PII masking', () => {
  it('masks phone numbers and names', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskName('张三丰')).toBe('张**');
    expect(maskText('call 13812345678 now')).toBe('call 138****5678 now');
  });
  it('redacts PII keys deeply and leaves the rest', () => {
    expect(
      redact({ reporter: { name: '李四', phone: '13900001111', confidential: true }, caseId: 'x' }),
    ).toEqual({
      reporter: { name: '李*', phone: '139****1111', confidential: true },
      caseId: 'x',
    });
    expect(redact({ apiKey: 'k-123', token: 't' })).toEqual({ apiKey: '[redacted]', token: '[redacted]' });
  });
});
