/**
 * No SQL built by string concatenation of values: a static check of every `.query(...)` call in
 * services/ and libs/. Text interpolated into the SQL may only be SQL itself — schema and table
 * names, column lists, WHERE fragments made of `$n` placeholders, placeholder numbers, placeholders
 * from a parameter builder (`const v = new Params(); v.add(value, type)` pushes the value and
 * returns `$n::type`) — never a value (values go in the parameter array). A new kind of interpolation fails here until it is
 * reviewed and named below.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/** Names that hold SQL text or identifiers, never request values (leaf of an identifier/property/call). */
const SQL_NAMES =
  /^(S|s|schema|t|table|ident|dbName|WINS|base|series|building|where|sql|[A-Z][A-Z0-9_]*|\w*(Where|Filter|Sql|Columns|Clause|Order|Table|Schema))$/;
const SQL_HELPERS = new Set(['iso', 'uuidOf']);
/**
 * Helpers that answer an integer from a fixed set whatever their argument (a number in the text is
 * SQL): notification's claimSize(free), a power of two ≤ 1,024 as the claim's LIMIT.
 */
const INTEGER_HELPERS = new Set(['claimSize']);
/** `params.length` (the next placeholder number), with an optional offset. */
const PLACEHOLDER_NUMBER = /^params\.length(\s*[+-]\s*\d+)?$/;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test' || name === '__fixtures__') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.ts$/.test(name) && !/\.(spec|e2e-spec)\.ts$/.test(name)) out.push(p);
  }
  return out;
}

function leafName(e: ts.Expression): string | undefined {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isCallExpression(e)) return leafName(e.expression);
  return undefined;
}

/** Per scanned file: variables holding a `new Params()` builder, and names bound to its `add(...)`. */
const builders = new Set<string>();
const placeholders = new Set<string>();

const isPlaceholderCall = (e: ts.Node): boolean =>
  ts.isCallExpression(e) &&
  ts.isPropertyAccessExpression(e.expression) &&
  e.expression.name.text === 'add' &&
  ts.isIdentifier(e.expression.expression) &&
  builders.has(e.expression.expression.text);

function collectPlaceholders(sf: ts.SourceFile): void {
  builders.clear();
  placeholders.clear();
  const visit = (n: ts.Node) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
      const init = n.initializer;
      if (ts.isNewExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'Params')
        builders.add(n.name.text);
      else if (isPlaceholderCall(init)) placeholders.add(n.name.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

/** Whether an interpolated expression can only produce SQL text (see the file comment). */
function isSqlOnly(e: ts.Expression, sf: ts.SourceFile): boolean {
  const text = e.getText(sf).replace(/\s+/g, ' ');
  if (isPlaceholderCall(e) || (ts.isIdentifier(e) && placeholders.has(e.text))) return true;
  if (ts.isParenthesizedExpression(e)) return isSqlOnly(e.expression, sf);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return true;
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => isSqlOnly(s.expression, sf));
  if (ts.isConditionalExpression(e)) return isSqlOnly(e.whenTrue, sf) && isSqlOnly(e.whenFalse, sf);
  if (PLACEHOLDER_NUMBER.test(text)) return true;
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const method = e.expression.name.text;
    // fragments.join(' AND '), list.map(...).join(',') — the list's own name must say it is SQL.
    if (method === 'join')
      return (
        isSqlOnly(e.expression.expression, sf) ||
        /\b(where|rows|cols|columns|placeholders)\b/.test(text) ||
        /^[A-Z_]+\b/.test(text)
      );
    // this.table('unit'), this.table(kind): identifiers from a fixed map.
    if (method === 'table') return true;
  }
  // Helpers that write SQL expressions from SQL (sla-bench-seed: iso('assigned_at'), uuidOf(`$1 || …`)).
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && SQL_HELPERS.has(e.expression.text))
    return e.arguments.every((a) => isSqlOnly(a, sf));
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && INTEGER_HELPERS.has(e.expression.text))
    return true;
  const leaf = leafName(e);
  return !!leaf && SQL_NAMES.test(leaf);
}

interface Finding {
  file: string;
  line: number;
  expression: string;
}

function scan(file: string): Finding[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  collectPlaceholders(sf);
  const found: Finding[] = [];
  const report = (node: ts.Node) =>
    found.push({
      file: relative(ROOT, file),
      line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
      expression: node.getText(sf).replace(/\s+/g, ' ').slice(0, 120),
    });
  const checkSqlArgument = (arg: ts.Expression) => {
    if (ts.isTemplateExpression(arg)) {
      for (const span of arg.templateSpans) if (!isSqlOnly(span.expression, sf)) report(span.expression);
    } else if (ts.isBinaryExpression(arg) && arg.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      for (const side of [arg.left, arg.right]) {
        if (!isSqlOnly(side, sf)) report(side);
      }
    }
  };
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'query' &&
      node.arguments.length > 0
    ) {
      checkSqlArgument(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('SQL is built with parameters, never by concatenating values', () => {
  const files = [...sourceFiles(join(ROOT, 'services')), ...sourceFiles(join(ROOT, 'libs'))];

  it('scans the sources of every service and lib', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('interpolates only SQL text (identifiers, fragments, placeholder numbers) into .query() calls', () => {
    const findings = files.flatMap(scan);
    expect(findings).toEqual([]);
  });

  it('catches a value interpolated into SQL (the check itself works)', () => {
    const bad = ts.createSourceFile(
      'bad.ts',
      'db.query(`SELECT * FROM x WHERE name = \'${dto.name}\' AND id = ${id}`); db.query("SELECT " + req.query.col);',
      ts.ScriptTarget.ES2022,
      true,
    );
    const exprs: string[] = [];
    const visit = (n: ts.Node) => {
      if (ts.isTemplateExpression(n))
        for (const s of n.templateSpans)
          if (!isSqlOnly(s.expression, bad)) exprs.push(s.expression.getText(bad));
      if (ts.isBinaryExpression(n) && !isSqlOnly(n.right, bad)) exprs.push(n.right.getText(bad));
      ts.forEachChild(n, visit);
    };
    visit(bad);
    expect(exprs).toEqual(['dto.name', 'id', 'req.query.col']);
  });
});
