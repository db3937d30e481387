/**
 * Authorization matrix: every partner endpoint called with another unit's key on a task it does
 * not own answers 404 and changes nothing; every center endpoint without the right role
 * answers 403 (and 401 without a token); bad keys and failed logins are limited (429).
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@app/testing';
import { DispatchHarness, makeReport, stableView, TestUnit } from './support/dispatch-harness';

describe('authorization matrix', () => {
  let h: DispatchHarness;
  let owner: TestUnit;
  let other: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('dspauthz');
    [owner, other] = await Promise.all([
      h.unit('property_management', '物业甲'),
      h.unit('property_management', '物业乙'),
    ]);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("answers 404 for every partner endpoint on another unit's task and changes nothing", async () => {
    const report = makeReport();
    await h.routed(report, owner);
    const task = await h.taskOf(owner, report.caseId);
    await h.partner(owner, 'POST', `/partner/v1/tasks/${task.taskId}/accept`);
    const before = await h.center('admin', 'GET', `/center/v1/cases/${report.caseId}`);
    const eventsBefore = h.events(report.caseId).length;

    const calls: [string, string, unknown?][] = [
      ['GET', `/partner/v1/tasks/${task.taskId}`],
      ['POST', `/partner/v1/tasks/${task.taskId}/accept`],
      ['POST', `/partner/v1/tasks/${task.taskId}/return`, { reason: '不是我们的' }],
      ['POST', `/partner/v1/tasks/${task.taskId}/progress`, { note: '处理中' }],
      [
        'POST',
        `/partner/v1/tasks/${task.taskId}/extension`,
        { reason: '需要时间', requestedDueAt: new Date(Date.now() + 86_400_000).toISOString() },
      ],
      ['POST', `/partner/v1/tasks/${task.taskId}/resolve`, { note: '已处理' }],
    ];
    for (const [method, path, body] of calls) {
      const r = await h.partner(other, method, path, body, { 'idempotency-key': `x-${randomUUID()}` });
      expect({ path, status: r.status, code: r.body.code }).toEqual({
        path,
        status: 404,
        code: 'DISPATCH.TASK_NOT_FOUND',
      });
    }
    const list = await h.partner<{ items: { taskId: string }[] }>(other, 'GET', '/partner/v1/tasks');
    expect(list.body.items.map((t) => t.taskId)).not.toContain(task.taskId);

    const after = await h.center('admin', 'GET', `/center/v1/cases/${report.caseId}`);
    expect(stableView(after.body)).toEqual(stableView(before.body));
    // Nothing was published either: a later change of the owner shows up right after the accept.
    await h.partner(owner, 'POST', `/partner/v1/tasks/${task.taskId}/progress`, { note: 'marker' });
    await h.waitEvent(report.caseId, 'case.progress');
    expect(h.events(report.caseId).length).toBe(eventsBefore + 1);
  });

  it('refuses partner calls without a valid key (401), an inactive unit (401), and limits failed attempts (429)', async () => {
    expect((await h.http('GET', '/partner/v1/tasks', {})).status).toBe(401);
    const inactive = await h.unit('volunteer_team', '停用的志愿队', { active: false });
    const refused = await h.partner(inactive, 'GET', '/partner/v1/tasks');
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 401,
      code: 'PARTNER.UNIT_INACTIVE',
    });
    // A newer version re-activates it (the highest version wins; an older one is ignored).
    await h.publishUnit(inactive, { active: true, version: 3 });
    await h.waitUnitVersion(inactive, 3);
    await h.waitConsumed(await h.publishUnit(inactive, { active: false, version: 2 }));
    await waitFor(async () => (await h.partner(inactive, 'GET', '/partner/v1/tasks')).status === 200, {
      what: 'the unit cache to expire',
      timeoutMs: 10_000,
      intervalMs: 500,
    });
    // Bearer form works as well as X-Api-Key.
    expect(
      (await h.http('GET', '/partner/v1/tasks', { authorization: `Bearer ${owner.apiKey}` })).status,
    ).toBe(200);
    let last = 0;
    let retryAfter: string | null = null;
    for (let i = 0; i < 25 && last !== 429; i++) {
      const r = await h.http('GET', '/partner/v1/tasks', { 'x-api-key': `wrong-key-${i}-abcdefgh` });
      last = r.status;
      retryAfter = r.headers.get('retry-after');
    }
    expect(last).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('answers 401 without a token and 403 for every center endpoint without the right role', async () => {
    const report = makeReport();
    await h.routed(report, owner);
    await h.taskOf(owner, report.caseId);
    const id = report.caseId;
    const supervisorOnly: [string, string, unknown][] = [
      ['POST', `/center/v1/cases/${id}/extension/approve`, {}],
      ['POST', `/center/v1/cases/${id}/extension/refuse`, {}],
      ['POST', `/center/v1/cases/${id}/verify-close`, {}],
      ['POST', `/center/v1/cases/${id}/supervision`, {}],
      ['POST', `/center/v1/cases/${id}/reopen`, { reason: '重办' }],
    ];
    const dispatcherLevel: [string, string, unknown?][] = [
      ['GET', '/center/v1/triage'],
      ['GET', '/center/v1/cases'],
      ['GET', `/center/v1/cases/${id}`],
      ['GET', `/center/v1/cases/${id}/timeline`],
      ['POST', `/center/v1/cases/${id}/assign`, { leadUnitId: other.unitId }],
      ['POST', `/center/v1/cases/${id}/reassign`, { leadUnitId: other.unitId, reason: '换单位' }],
      ['POST', `/center/v1/cases/${id}/tasks/${randomUUID()}/release`, {}],
      ['POST', `/center/v1/cases/${id}/cancel`, { reason: '取消' }],
      ['POST', `/center/v1/cases/${id}/merge`, { intoCaseId: randomUUID() }],
      ['POST', `/center/v1/cases/${id}/request-info`, { question: '请补充' }],
    ];
    const before = await h.center('admin', 'GET', `/center/v1/cases/${id}`);
    for (const [method, path, body] of [...supervisorOnly, ...dispatcherLevel]) {
      const r = await h.http(method, path, {}, body);
      expect({ path, status: r.status }).toEqual({ path, status: 401 });
      const bad = await h.http(method, path, { authorization: 'Bearer not-a-real-token-0123456789' }, body);
      expect({ path, status: bad.status }).toEqual({ path, status: 401 });
    }
    for (const [method, path, body] of supervisorOnly) {
      const r = await h.center('dispatcher', method, path, body);
      expect({ path, status: r.status, code: r.body.code }).toEqual({
        path,
        status: 403,
        code: 'AUTH.FORBIDDEN',
      });
    }
    // A partner key is not a staff token.
    for (const [method, path, body] of dispatcherLevel) {
      const r = await h.http(method, path, { authorization: `Bearer ${owner.apiKey}` }, body);
      expect({ path, status: r.status }).toEqual({ path, status: 401 });
    }
    const after = await h.center('admin', 'GET', `/center/v1/cases/${id}`);
    expect(stableView(after.body)).toEqual(stableView(before.body));
    // The supervisor and admin may; the cookie works like the bearer token.
    const login = await h.http<{ token: string }>(
      'POST',
      '/center/v1/auth/login',
      {},
      { username: 'supervisor', password: 'supervisor-demo-2026' },
    );
    const byCookie = await h.http(
      'POST',
      `/center/v1/cases/${id}/supervision`,
      { cookie: `center_token=${login.body.token}` },
      { reason: '督办' },
    );
    expect(byCookie.status).toBe(200);
    const out = await h.http('POST', '/center/v1/auth/logout', {
      authorization: `Bearer ${login.body.token}`,
    });
    expect(out.status).toBe(204);
    expect(
      (await h.http('GET', '/center/v1/auth/me', { authorization: `Bearer ${login.body.token}` })).status,
    ).toBe(401);
  });

  it('limits failed logins per username (429 + Retry-After), even for the right password afterwards', async () => {
    expect(
      (await h.http('POST', '/center/v1/auth/login', {}, { username: 'admin', password: 'wrong' })).status,
    ).toBe(401);
    for (let i = 0; i < 5; i++)
      await h.http('POST', '/center/v1/auth/login', {}, { username: 'admin', password: `wrong-${i}` });
    const blocked = await h.http(
      'POST',
      '/center/v1/auth/login',
      {},
      { username: 'admin', password: 'admin-demo-2026' },
    );
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
