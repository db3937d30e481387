import { createHash, randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  CaseReportedPayload,
  CaseRoutedPayload,
  SlaPolicyReferencePayload,
  Topic,
  UnitReferencePayload,
} from '@app/contracts';
import { ServiceProcess, spawnService, TestNamespace, TopicReader, waitFor } from '@app/testing';
import { adminHeaders, explain, routingNamespace } from './support';

/**
 * Two routing processes on one database: a rule created through replica A's admin API changes
 * replica B's next decision within seconds, without a restart; live routing uses it and records
 * the reference-data version. The admin API refuses invalid rules with 400s naming the problem,
 * keeps the history (who, when), and hands out a unit's partner API key once.
 */
const PLACE = { buildingCode: 'WL-GH-G1-B02' };
const TEXT = '楼下下水管堵了,污水冒出来';

describe('rule and reference-data changes across two replicas', () => {
  let ns: TestNamespace;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let db: Client;

  beforeAll(async () => {
    ns = await routingNamespace('rtrules');
    [a, b] = await Promise.all([spawnService('routing', ns.env), spawnService('routing', ns.env)]);
    db = new Client({ connectionString: ns.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await Promise.allSettled([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
    await ns?.cleanup();
  });

  const admin = (base: string, path: string, method: string, body?: unknown, headers = adminHeaders()) =>
    fetch(`${base}/v1/admin${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('loaded the demo seed exactly once although both replicas booted together', async () => {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM routing.reference_history WHERE entity_type = 'rule' AND entity_id = 'R-010'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it("changes the other replica's next decision within seconds of a rule edit", async () => {
    const before = await explain(b.url, { text: TEXT, location: PLACE });
    expect(before).toMatchObject({ unitType: 'property_management', unitId: 'U-PM-GHY' });

    const res = await admin(a.url, '/rules', 'POST', {
      id: 'R-005',
      priorityOrder: 5,
      description: '桂花社区下水道: 社区牵头, 物业协办 (e2e)',
      match: { categoryCodes: ['drainage_sewage'], areaCodes: ['WL-GH'] },
      then: {
        leadUnitType: 'community',
        supportUnitTypes: ['property_management'],
        priorityOverride: 'high',
      },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; version: number; active: boolean };
    expect(created).toMatchObject({ id: 'R-005', version: 1, active: true });

    const edited = Date.now();
    const after = await waitFor(
      async () => {
        const d = await explain(b.url, { text: TEXT, location: PLACE });
        return d.ruleId === 'R-005' ? d : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'replica B to use rule R-005' },
    );
    process.stdout.write(
      `[rule change] replica B used the new rule ${Date.now() - edited} ms after the edit\n`,
    );
    expect(after).toMatchObject({
      unitType: 'community',
      unitId: 'U-CC-GH',
      supportUnitIds: ['U-PM-GHY'],
      priority: 'high',
    });
    expect(after.ruleVersion).toBeGreaterThan(before.ruleVersion);

    // Live routing (whichever replica consumes it) uses the rule and records the version.
    const reader = await TopicReader.open<CaseRoutedPayload>(ns, Topic.CaseRouted);
    const producer: Producer = ns.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const caseId = randomUUID();
      const report: CaseReportedPayload = {
        caseId,
        reference: `WL-20261124-${caseId.slice(0, 6)}`,
        channel: 'hotline',
        description: TEXT,
        location: PLACE,
        reporter: { anonymous: true, confidential: false },
        media: [],
        reportedAt: new Date().toISOString(),
      };
      await producer.send({
        topic: `${ns.topicPrefix}${Topic.CaseReported}`,
        acks: -1,
        messages: [
          {
            key: caseId,
            value: JSON.stringify({
              eventId: randomUUID(),
              type: 'case.reported',
              schemaVersion: 1,
              key: caseId,
              caseId,
              correlationId: `e2e-${caseId}`,
              occurredAt: new Date().toISOString(),
              producer: 'test',
              payload: report,
            }),
          },
        ],
      });
      const e = await reader.waitForEvent(
        (x) => x.caseId === caseId,
        30_000,
        'case.routed with the new rule',
      );
      expect(e.payload).toMatchObject({ ruleId: 'R-005', ruleVersion: after.ruleVersion, priority: 'high' });
      expect(e.payload.lead.unitId).toBe('U-CC-GH');
      expect(e.payload.support.map((s) => s.unitId)).toEqual(['U-PM-GHY']);
    } finally {
      await producer.disconnect();
      await reader.close();
    }

    // Deactivated through replica B: replica A goes back to the category default.
    const off = await admin(b.url, '/rules/R-005/deactivate', 'POST', undefined, adminHeaders('bob'));
    expect(off.status).toBe(200);
    await waitFor(async () => (await explain(a.url, { text: TEXT, location: PLACE })).unitId === 'U-PM-GHY', {
      timeoutMs: 5_000,
      intervalMs: 100,
      what: 'replica A to drop rule R-005',
    });
    const history = (await (await admin(a.url, '/rules/R-005/history', 'GET')).json()) as {
      action: string;
      actor: string;
      version: number;
      at: string;
    }[];
    expect(history.map((h) => [h.action, h.actor, h.version])).toEqual([
      ['create', 'e2e-admin', 1],
      ['deactivate', 'bob', 2],
    ]);
    expect(Date.parse(history[1].at)).toBeGreaterThan(0);
  });

  it('catches up by the version check alone when the change announcement is lost', async () => {
    // A change committed without any Redis message (as if pub/sub were down): only the
    // reference-data version moves. Both replicas must pick it up within seconds.
    await db.query('BEGIN');
    await db.query(
      `UPDATE routing.categories SET data = jsonb_set(data, '{defaultUnitType}', '"city_management"'), version = version + 1
       WHERE id = 'drainage_sewage'`,
    );
    await db.query(`UPDATE routing.ref_version SET version = version + 1 WHERE id = 1`);
    await db.query('COMMIT');
    const started = Date.now();
    for (const replica of [a, b]) {
      await waitFor(
        async () =>
          (await explain(replica.url, { text: TEXT, location: PLACE })).unitType === 'city_management',
        { timeoutMs: 6_000, intervalMs: 100, what: 'the version check to reload the reference data' },
      );
    }
    process.stdout.write(
      `[version check] both replicas reloaded ${Date.now() - started} ms after the silent change\n`,
    );
    await db.query(
      `UPDATE routing.categories SET data = jsonb_set(data, '{defaultUnitType}', '"property_management"') WHERE id = 'drainage_sewage'`,
    );
    await db.query(`UPDATE routing.ref_version SET version = version + 1 WHERE id = 1`);
    for (const replica of [a, b]) {
      await waitFor(
        async () =>
          (await explain(replica.url, { text: TEXT, location: PLACE })).unitType === 'property_management',
        { timeoutMs: 6_000, intervalMs: 100, what: 'the restore to be seen' },
      );
    }
  });

  it.each([
    [
      'an unknown unit type',
      {
        id: 'R-BAD1',
        priorityOrder: 501,
        match: { categoryCodes: ['theft'] },
        then: { leadUnitType: 'wizards' },
      },
      'then.leadUnitType',
      /unknown unit type 'wizards'/,
    ],
    [
      'a priority order already used by an active rule',
      {
        id: 'R-BAD2',
        priorityOrder: 10,
        match: { categoryCodes: ['theft'] },
        then: { leadUnitType: 'police' },
      },
      'priorityOrder',
      /already used by active rule R-010/,
    ],
    [
      'an empty match',
      { id: 'R-BAD3', priorityOrder: 502, match: {}, then: { leadUnitType: 'police' } },
      'match',
      /is empty/,
    ],
    [
      'an unknown category',
      {
        id: 'R-BAD4',
        priorityOrder: 503,
        match: { categoryCodes: ['no_such'] },
        then: { leadUnitType: 'police' },
      },
      'match.categoryCodes',
      /unknown category no_such/,
    ],
  ])('refuses a rule with %s (400 naming the problem)', async (_what, body, field, problem) => {
    const res = await admin(a.url, '/rules', 'POST', body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as {
      code: string;
      message: string;
      details: { fields: { field: string; problems: string[] }[] };
    };
    expect(answer.code).toBe('VALIDATION_FAILED');
    const f = answer.details.fields.find((x) => x.field === field);
    expect(f?.problems.join('; ')).toMatch(problem);
    expect(answer.message).toMatch(problem);
    const gone = await admin(a.url, `/rules/${(body as { id: string }).id}`, 'GET');
    expect(gone.status).toBe(404);
  });

  it('refuses requests without the token (401) or without X-Actor (400)', async () => {
    const noToken = await fetch(`${a.url}/v1/admin/rules`, { headers: { 'x-actor': 'x' } });
    expect(noToken.status).toBe(401);
    const wrong = await fetch(`${a.url}/v1/admin/rules`, {
      headers: { authorization: 'Bearer nope', 'x-actor': 'x' },
    });
    expect(wrong.status).toBe(401);
    const headers = adminHeaders();
    delete headers['x-actor'];
    const noActor = await admin(a.url, '/rules', 'GET', undefined, headers);
    expect(noActor.status).toBe(400);
    expect(((await noActor.json()) as { message: string }).message).toMatch(/X-Actor/);
  });

  it('creates a unit with a partner API key shown once, stored and published only as its sha256', async () => {
    const units = await TopicReader.open<UnitReferencePayload>(ns, Topic.ReferenceUnits);
    try {
      const res = await admin(a.url, '/units', 'POST', {
        unitId: 'U-PM-NEW',
        name: '新物业',
        unitType: 'property_management',
        areaCodes: ['WL-HT-G1'],
        contact: { phone: '0571-86019999', email: 'duty@new.example.cn' },
        webhookUrl: 'http://localhost:9/hooks',
      });
      expect(res.status).toBe(201);
      const created = (await res.json()) as {
        apiKey: string;
        webhookSecret: string;
        unit: { apiKeyCount: number };
      };
      expect(created.apiKey).toMatch(/^rk_/);
      expect(created.unit.apiKeyCount).toBe(1);
      const hash = createHash('sha256').update(created.apiKey).digest('hex');
      const e = await units.waitForEvent((x) => x.key === 'U-PM-NEW', 20_000);
      expect(e.payload).toMatchObject({
        apiKeyHashes: [hash],
        webhookSecret: created.webhookSecret,
        active: true,
        version: 1,
      });
      const fetched = await (await admin(b.url, '/units/U-PM-NEW', 'GET')).text();
      expect(fetched).not.toContain(created.apiKey);
      expect(fetched).not.toContain(created.webhookSecret);
      const { rows } = await db.query(
        `SELECT key_hash FROM routing.unit_api_keys WHERE unit_id = 'U-PM-NEW'`,
      );
      expect(rows).toEqual([{ key_hash: hash }]);

      // An unknown area is a 400 naming it; nothing is written.
      const bad = await admin(a.url, '/units', 'POST', {
        unitId: 'U-PM-BAD',
        name: 'x',
        unitType: 'property_management',
        areaCodes: ['NOPE'],
        contact: {},
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toMatch(/areaCodes\[0\].*unknown area NOPE/);
      expect((await admin(a.url, '/units/U-PM-BAD', 'GET')).status).toBe(404);

      // The new unit now covers 荷塘公寓 grid 1 for property work (more specific than U-PM-HT's community).
      await waitFor(
        async () =>
          (await explain(b.url, { text: TEXT, location: { buildingCode: 'WL-HT-G1-B01' } })).unitId ===
          'U-PM-NEW',
        { timeoutMs: 5_000, intervalMs: 100, what: 'replica B to route to the new unit' },
      );
    } finally {
      await units.close();
    }
  });

  it('updates an SLA policy with PUT (new version published) and refuses to deactivate one still in use', async () => {
    const policies = await TopicReader.open<SlaPolicyReferencePayload>(ns, Topic.ReferenceSlaPolicies);
    try {
      const current = (await (await admin(a.url, '/sla-policies/SLA-HIGH', 'GET')).json()) as Record<
        string,
        unknown
      >;
      const { policyId: _id, active: _a, version: _v, createdAt: _c, updatedAt: _u, ...body } = current;
      const res = await admin(
        a.url,
        '/sla-policies/SLA-HIGH',
        'PUT',
        { ...body, warnAtFraction: 0.6 },
        adminHeaders('carol'),
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        policyId: 'SLA-HIGH',
        warnAtFraction: 0.6,
        version: 2,
        active: true,
      });
      const e = await policies.waitForEvent((x) => x.key === 'SLA-HIGH' && x.payload.version === 2, 20_000);
      expect(e.payload.warnAtFraction).toBe(0.6);
      const history = (await (await admin(b.url, '/sla-policies/SLA-HIGH/history', 'GET')).json()) as {
        action: string;
        actor: string;
        before: { warnAtFraction: number };
        after: { warnAtFraction: number };
      }[];
      expect(history.map((h) => [h.action, h.actor])).toEqual([
        ['seed', 'seed:demo-district'],
        ['update', 'carol'],
      ]);
      expect([history[1].before.warnAtFraction, history[1].after.warnAtFraction]).toEqual([0.75, 0.6]);

      const inUse = await admin(a.url, '/sla-policies/SLA-HIGH/deactivate', 'POST');
      expect(inUse.status).toBe(409);
      expect(((await inUse.json()) as { code: string }).code).toBe('ROUTING.IN_USE');
      expect((await admin(a.url, '/sla-policies/NOPE', 'PUT', body)).status).toBe(404);
    } finally {
      await policies.close();
    }
  });
});
