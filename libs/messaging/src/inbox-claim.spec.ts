import { InboxClaim, isInboxConflict, withInbox } from './consumer';

describe('InboxClaim: the event’s inbox row as the first CTE of the handler’s statement', () => {
  const claim = () =>
    new InboxClaim(
      'intake',
      '6f1c8a52-3d8e-4b4e-9a51-0d1f0c6f7a10',
      'resident-read-model',
      'case.lifecycle.v1',
    );

  it('leads a statement that has its own WITH, with its parameters after the statement’s', () => {
    const [sql, params] = claim().into('WITH r AS (UPDATE t SET a = $1 RETURNING id) SELECT id FROM r', [
      'x',
    ]);
    expect(sql).toBe(
      'WITH inbox_claim AS (INSERT INTO "intake".inbox (event_id, consumer, topic) VALUES ($2::uuid, $3::text, $4::text)), ' +
        'r AS (UPDATE t SET a = $1 RETURNING id) SELECT id FROM r',
    );
    expect(params).toEqual([
      'x',
      '6f1c8a52-3d8e-4b4e-9a51-0d1f0c6f7a10',
      'resident-read-model',
      'case.lifecycle.v1',
    ]);
  });

  it('wraps a plain statement, and keeps RECURSIVE where it is', () => {
    expect(claim().into('INSERT INTO t (a) VALUES ($1)', [1])[0]).toMatch(
      /^WITH inbox_claim AS \(INSERT .* VALUES \(\$2::uuid, \$3::text, \$4::text\)\) INSERT INTO t \(a\) VALUES \(\$1\)$/,
    );
    expect(claim().into('  with recursive x AS (SELECT 1) SELECT * FROM x', [])[0]).toMatch(
      /^ {2}with recursive inbox_claim AS \(INSERT .*\$1::uuid.*\), x AS \(SELECT 1\) SELECT \* FROM x$/,
    );
  });

  it('is claimed once per event, and withInbox leaves a statement alone without a claim', () => {
    const c = claim();
    c.into('SELECT 1', []);
    expect(c.claimed).toBe(true);
    expect(() => c.into('SELECT 1', [])).toThrow(/claimed once/);
    expect(withInbox(undefined, 'SELECT $1', [1])).toEqual(['SELECT $1', [1]]);
  });

  it('recognises a duplicate only by the inbox key', () => {
    expect(isInboxConflict({ driverError: { code: '23505', constraint: 'inbox_pkey' } })).toBe(true);
    expect(isInboxConflict({ code: '23505', constraint: 'inbox_pkey' })).toBe(true);
    expect(isInboxConflict({ code: '23505', constraint: 'cases_pkey' })).toBe(false);
    expect(isInboxConflict(new Error('boom'))).toBe(false);
  });
});
