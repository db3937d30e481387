import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  CaseReturnedPayload,
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  Topic,
  UnitReferencePayload,
} from '@app/contracts';
import { ServiceProcess, spawnService, TestNamespace, TopicReader } from '@app/testing';
import { routingNamespace } from './support';

/**
 * A resident's report posted to the real intake service comes out of routing as case.routed to
 * the demo seed's covering unit; an unclassifiable one as case.triage-required; a task returned
 * by that unit (case.returned from dispatch) is routed again to a different unit; the seed's
 * reference events are on the compacted topics with the partner key hashes.
 */
describe('report → case.routed, triage, and re-routing after a return', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let routing: ServiceProcess;
  let routed: TopicReader<CaseRoutedPayload>;
  let triage: TopicReader<CaseTriageRequiredPayload>;
  let producer: Producer;
  let db: Client;

  beforeAll(async () => {
    ns = await routingNamespace('rtflow');
    [intake, routing] = await Promise.all([
      spawnService('intake', {
        ...ns.env,
        RATE_LIMIT_CLIENT_PER_MINUTE: '10000',
        RATE_LIMIT_PHONE_PER_HOUR: '10000',
      }),
      spawnService('routing', ns.env),
    ]);
    routed = await TopicReader.open<CaseRoutedPayload>(ns, Topic.CaseRouted);
    triage = await TopicReader.open<CaseTriageRequiredPayload>(ns, Topic.CaseTriageRequired);
    producer = ns.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = new Client({ connectionString: ns.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await Promise.allSettled([routed?.close(), triage?.close(), producer?.disconnect(), db?.end()]);
    await Promise.allSettled([intake?.kill('SIGTERM'), routing?.kill('SIGTERM')]);
    await ns?.cleanup();
  });

  async function postReport(description: string, location: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${intake.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'app',
        description,
        location,
        reporter: { anonymous: false, confidential: false, name: '王阿姨', phone: '13800138000' },
        media: [],
      }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`intake answered ${res.status}: ${text}`);
    return (JSON.parse(text) as { caseId: string }).caseId;
  }

  it('routes a report posted to intake to the covering unit of the demo district', async () => {
    const caseId = await postReport('楼下下水管堵了,污水冒出来流到我家', { buildingCode: 'WL-GH-G1-B02' });
    const event = await routed.waitForEvent((e) => e.caseId === caseId, 30_000, 'case.routed of the report');
    const p = event.payload;
    expect(event.type).toBe('case.routed');
    expect(event.key).toBe(caseId);
    expect(p.lead).toEqual({
      unitId: 'U-PM-GHY',
      unitType: 'property_management',
      unitName: '桂花苑物业服务中心',
    });
    expect(p.categoryCode).toBe('drainage_sewage');
    expect(p.priority).toBe('normal');
    expect(p.attempt).toBe(1);
    expect(p.excludedUnitIds).toEqual([]);
    expect(p.ruleVersion).toBeGreaterThanOrEqual(1);
    expect(p.slaPolicy).toMatchObject({ policyId: 'SLA-NORMAL', calendar: { kind: 'working' } });
    expect(p.slaPolicy.escalation.length).toBeGreaterThan(0);
    expect(p.report.caseId).toBe(caseId);
    expect(p.reasons.join('\n')).toMatch(/U-PM-GHY/);
    const rows = await db.query(
      `SELECT attempt, outcome, unit_id, rule_version FROM routing.routing_decisions WHERE case_id = $1`,
      [caseId],
    );
    expect(rows.rows).toEqual([
      { attempt: 1, outcome: 'routed', unit_id: 'U-PM-GHY', rule_version: String(p.ruleVersion) },
    ]);
  });

  it('sends an unclassifiable report to triage with the reason', async () => {
    // Says nothing about what is wrong: no category can claim it.
    const caseId = await postReport('嗯,就是那个事,你们知道的', { gridCode: 'WL-FL-G1' });
    const event = await triage.waitForEvent((e) => e.caseId === caseId, 30_000, 'case.triage-required');
    expect(event.payload.reason).toBe('LOW_CONFIDENCE');
    expect(event.payload.attempt).toBe(1);
    expect(event.payload.reasons.length).toBeGreaterThan(0);
    expect(routed.events((e) => e.caseId === caseId)).toEqual([]);
  });

  it('re-routes a returned task to a different unit, excluding every unit that returned it', async () => {
    // 桂花苑5幢 has its own property company (U-PM-SZL); the grid's company (U-PM-GHY) covers it too.
    const caseId = await postReport('卫生间地漏反水,污水冒出来', { buildingCode: 'WL-GH-G2-B05' });
    const first = await routed.waitForEvent((e) => e.caseId === caseId, 30_000, 'first routing');
    expect(first.payload.lead.unitId).toBe('U-PM-SZL');

    const returned = async (payload: CaseReturnedPayload): Promise<void> => {
      await producer.send({
        topic: `${ns.topicPrefix}${Topic.CaseReturned}`,
        acks: -1,
        messages: [
          {
            key: caseId,
            value: JSON.stringify({
              eventId: randomUUID(),
              type: 'case.returned',
              schemaVersion: 1,
              key: caseId,
              caseId,
              correlationId: `e2e-${caseId}`,
              occurredAt: new Date().toISOString(),
              producer: 'test',
              payload,
            } satisfies EventEnvelope<CaseReturnedPayload>),
          },
        ],
      });
    };
    await returned({
      report: first.payload.report,
      taskId: randomUUID(),
      unitId: 'U-PM-SZL',
      reason: '不是我们管的楼',
      excludedUnitIds: ['U-PM-SZL'],
      returnCount: 1,
      categoryCode: 'drainage_sewage',
    });
    const second = await routed.waitForEvent(
      (e) => e.caseId === caseId && e.payload.attempt === 2,
      30_000,
      're-routing after the return',
    );
    expect(second.payload.lead.unitId).toBe('U-PM-GHY');
    expect(second.payload.excludedUnitIds).toEqual(['U-PM-SZL']);
    expect(second.payload.reasons.join('\n')).toMatch(/U-PM-SZL/);

    // Both returned it; then the street-wide fallback company; after the third return: triage.
    await returned({
      report: first.payload.report,
      taskId: randomUUID(),
      unitId: 'U-PM-GHY',
      reason: '5幢归商住楼物业',
      excludedUnitIds: ['U-PM-SZL', 'U-PM-GHY'],
      returnCount: 2,
    });
    const third = await routed.waitForEvent((e) => e.caseId === caseId && e.payload.attempt === 3, 30_000);
    expect(third.payload.lead.unitId).toBe('U-PM-ZWY');
    await returned({
      report: first.payload.report,
      taskId: randomUUID(),
      unitId: 'U-PM-ZWY',
      reason: '不归我们',
      excludedUnitIds: ['U-PM-SZL', 'U-PM-GHY', 'U-PM-ZWY'],
      returnCount: 3,
    });
    const t = await triage.waitForEvent((e) => e.caseId === caseId, 30_000, 'triage after too many returns');
    expect(t.payload).toMatchObject({ reason: 'TOO_MANY_RETURNS', attempt: 4 });
    const { rows } = await db.query(
      `SELECT attempt, outcome FROM routing.routing_decisions WHERE case_id = $1 ORDER BY attempt`,
      [caseId],
    );
    expect(rows).toEqual([
      { attempt: 1, outcome: 'routed' },
      { attempt: 2, outcome: 'routed' },
      { attempt: 3, outcome: 'routed' },
      { attempt: 4, outcome: 'triage' },
    ]);
  });

  it('published the seed as reference events with hashed partner keys', async () => {
    const units = await TopicReader.open<UnitReferencePayload>(ns, Topic.ReferenceUnits);
    try {
      const all = await units.waitForCount(() => true, 18, 20_000);
      const ghy = all.find((e) => e.key === 'U-PM-GHY');
      expect(ghy?.payload).toMatchObject({ unitType: 'property_management', active: true, version: 1 });
      expect(ghy?.payload.apiKeyHashes).toHaveLength(1);
      expect(ghy?.payload.apiKeyHashes[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(all)).not.toContain('demo-key-');
    } finally {
      await units.close();
    }
  });
});
