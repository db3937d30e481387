/**
 * Secrets are compared in constant time: every place that checks a presented secret uses
 * crypto.timingSafeEqual on fixed-length digests, and no secret is compared with === anywhere
 * in services/ or libs/ (a static check). Behaviour of the shared helpers is checked too.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Request } from 'express';
import * as ts from 'typescript';
import { bearerMatches, tokenDigest } from '@app/platform';

const ROOT = join(__dirname, '..', '..');

/** Where presented secrets are checked, and what each checks. */
const SECRET_CHECKS: Record<string, string> = {
  'libs/platform/src/static-token.ts': 'routing and notification admin bearer tokens',
  'services/dispatch/src/units/partner-auth.guard.ts': 'partner API keys (by sha256)',
  'services/dispatch/src/auth/password.ts': 'staff passwords (scrypt)',
  'services/intake/src/domain/tracking-token.ts': "residents' tracking tokens (sha256)",
  'services/notification/src/domain/signature.ts': 'webhook signatures (HMAC-SHA256)',
};

const SECRET_NAME = /(token(?!s\b)|apikey|api_key|secret|password|signature|keyhash|tokenhash|hmac)/i;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.ts$/.test(name) && !/\.(spec|e2e-spec)\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** `a === b` where one side names a secret and the other is not a literal, undefined or typeof. */
function secretEqualities(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const trivial = (e: ts.Expression) =>
    ts.isLiteralExpression(e) ||
    ts.isNoSubstitutionTemplateLiteral(e) ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(e) && e.text === 'undefined') ||
    ts.isTypeOfExpression(e) ||
    /\.length$|\.size$/.test(e.getText(sf)) ||
    ts.isPrefixUnaryExpression(e);
  const visit = (n: ts.Node) => {
    if (
      ts.isBinaryExpression(n) &&
      [
        ts.SyntaxKind.EqualsEqualsEqualsToken,
        ts.SyntaxKind.ExclamationEqualsEqualsToken,
        ts.SyntaxKind.EqualsEqualsToken,
        ts.SyntaxKind.ExclamationEqualsToken,
      ].includes(n.operatorToken.kind) &&
      !trivial(n.left) &&
      !trivial(n.right) &&
      (SECRET_NAME.test(n.left.getText(sf)) || SECRET_NAME.test(n.right.getText(sf)))
    ) {
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      found.push(`${relative(ROOT, file)}:${line}: ${n.getText(sf)}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('secrets are compared in constant time', () => {
  it.each(Object.entries(SECRET_CHECKS))('%s uses timingSafeEqual (%s)', (file) => {
    const src = readFileSync(join(ROOT, file), 'utf8');
    expect(src).toMatch(/timingSafeEqual\(/);
  });

  it('compares no secret with === / !== anywhere in services/ and libs/', () => {
    const files = [...sourceFiles(join(ROOT, 'services')), ...sourceFiles(join(ROOT, 'libs'))];
    expect(files.flatMap(secretEqualities)).toEqual([]);
  });

  it('bearerMatches takes any length and content without throwing, and matches only the token', () => {
    const expected = tokenDigest('the-admin-token-1234');
    const req = (authorization?: string) =>
      ({ header: (n: string) => (n === 'authorization' ? authorization : undefined) }) as unknown as Request;
    expect(bearerMatches(req('Bearer the-admin-token-1234'), expected)).toBe(true);
    expect(bearerMatches(req('Bearer the-admin-token-123'), expected)).toBe(false);
    expect(bearerMatches(req(`Bearer ${'x'.repeat(10_000)}`), expected)).toBe(false);
    expect(bearerMatches(req('Bearer '), expected)).toBe(false);
    expect(bearerMatches(req(undefined), expected)).toBe(false);
    // Only digests are kept in memory for the comparison.
    expect(expected.equals(createHash('sha256').update('the-admin-token-1234').digest())).toBe(true);
  });
});
