import { randomBytes } from 'node:crypto';
import { seal, unseal } from './answer-seal';

describe('answer seal', () => {
  it('round-trips and never shows the secret', () => {
    const key = randomBytes(32);
    const sealed = seal(key, 'secret-token');
    expect(sealed).not.toContain('secret-token');
    expect(unseal(key, sealed)).toBe('secret-token');
    expect(() => unseal(randomBytes(32), sealed)).toThrow();
  });
});
