import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password';

describe('staff passwords', () => {
  it('verifies the right password and refuses a wrong one; each hash is salted', async () => {
    const a = await hashPassword('dispatcher-demo-2026');
    const b = await hashPassword('dispatcher-demo-2026');
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$16384$8$1$')).toBe(true);
    await expect(verifyPassword('dispatcher-demo-2026', a)).resolves.toBe(true);
    await expect(verifyPassword('dispatcher-demo-2027', a)).resolves.toBe(false);
  });

  it('refuses malformed hashes and the dummy hash', async () => {
    await expect(verifyPassword('x', 'plain')).resolves.toBe(false);
    await expect(verifyPassword('', DUMMY_PASSWORD_HASH)).resolves.toBe(false);
  });
});
