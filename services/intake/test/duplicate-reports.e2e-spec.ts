import type { Producer } from 'kafkajs';
import { CaseReportedPayload, CaseResidentPayload, Topic } from '@app/contracts';
import {
  createTestNamespace,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import { call, LENIENT_LIMITS, lifecycle, produce, report, sql } from './support';

type Answer = {
  caseId: string;
  reference: string;
  trackingToken: string;
  duplicateOf?: { caseId: string; reference: string };
  coReportId?: string;
};

describe('duplicate reports: same category, same place, case still open → one case with co-reporters', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let reported: TopicReader<CaseReportedPayload>;
  let resident: TopicReader<CaseResidentPayload>;
  let producer: Producer;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'dup' });
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS, DUPLICATE_WINDOW_MINUTES: '60' });
    reported = await TopicReader.open<CaseReportedPayload>(ns, Topic.CaseReported);
    resident = await TopicReader.open<CaseResidentPayload>(ns, Topic.CaseResident);
    producer = ns.kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await reported?.close();
    await resident?.close();
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  const post = (body: Record<string, unknown>) => call<Answer>(`${intake.url}/v1/reports`, { body });

  it('attaches a second report to the open case with duplicateOf and publishes case.co-reported, not case.reported', async () => {
    const first = await post(report({ categoryCode: 'drain_blocked', location: { buildingCode: 'B-0417' } }));
    const second = await post(
      report({
        categoryCode: 'drain_blocked',
        location: { buildingCode: 'b-0417', addressText: '3 栋' },
        reporter: {
          anonymous: false,
          confidential: false,
          name: '李师傅',
          phone: '13900139000',
          preferredContact: 'sms',
        },
      }),
    );
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.duplicateOf).toEqual({ caseId: first.body.caseId, reference: first.body.reference });
    expect(second.body.caseId).toBe(first.body.caseId);
    expect(second.body.coReportId).toEqual(expect.any(String));
    expect(second.body.trackingToken).not.toBe(first.body.trackingToken);

    const co = await resident.waitForEvent(
      (e) => e.type === 'case.co-reported' && e.payload.coReportId === second.body.coReportId,
    );
    expect(co.key).toBe(first.body.caseId);
    expect(co.payload).toMatchObject({
      caseId: first.body.caseId,
      reference: first.body.reference,
      reporter: { name: '李师傅', phone: '13900139000' },
    });
    await reported.waitForEvent((e) => e.caseId === first.body.caseId);
    expect(reported.events((e) => e.payload.reference === first.body.reference)).toHaveLength(1);
    const [{ n }] = await sql<{ n: number }>(
      ns,
      `SELECT count(*)::int AS n FROM intake.reports WHERE building_code ILIKE 'b-0417'`,
    );
    expect(n).toBe(1);

    // The co-reporter tracks the case with their own token.
    const view = await call<{ reference: string }>(`${intake.url}/v1/reports/${first.body.reference}`, {
      headers: { 'X-Tracking-Token': second.body.trackingToken },
    });
    expect(view.status).toBe(200);
    expect(view.body.reference).toBe(first.body.reference);
  });

  it('makes exactly one case from ten simultaneous same-category reports at one building', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_x, i) =>
        post(
          report({
            categoryCode: 'stair_light',
            location: { buildingCode: 'B-RACE' },
            description: `楼道灯坏了 #${i}`,
          }),
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.body.caseId)).size).toBe(1);
    expect(answers.filter((a) => !a.body.duplicateOf)).toHaveLength(1);
    const [{ cases, coReports }] = await sql<{ cases: number; coReports: number }>(
      ns,
      `SELECT (SELECT count(*) FROM intake.reports WHERE building_code = 'B-RACE')::int AS cases,
              (SELECT count(*) FROM intake.co_reports c JOIN intake.reports r USING (case_id) WHERE r.building_code = 'B-RACE')::int AS "coReports"`,
    );
    expect(cases).toBe(1);
    expect(coReports).toBe(9);
  });

  it('matches on the grid when no building is given, and not across categories or places', async () => {
    const a = await post(report({ categoryCode: 'illegal_parking', location: { gridCode: 'G-09' } }));
    const sameGrid = await post(report({ categoryCode: 'illegal_parking', location: { gridCode: 'G-09' } }));
    const otherCategory = await post(report({ categoryCode: 'noise', location: { gridCode: 'G-09' } }));
    const otherGrid = await post(report({ categoryCode: 'illegal_parking', location: { gridCode: 'G-10' } }));
    const noCategory = await post(report({ location: { gridCode: 'G-09' } }));
    expect(sameGrid.body.duplicateOf?.caseId).toBe(a.body.caseId);
    for (const r of [otherCategory, otherGrid, noCategory]) expect(r.body.duplicateOf).toBeUndefined();
  });

  it('opens a new case once the first is closed, and matches a routed category from case.lifecycle', async () => {
    const first = await post(report({ categoryCode: 'water_outage', location: { buildingCode: 'B-CLOSE' } }));
    await produce(
      ns,
      producer,
      Topic.CaseLifecycle,
      'case.closed',
      first.body.caseId,
      lifecycle(first.body.caseId, first.body.reference, 'closed'),
      first.body.caseId,
    );
    await waitFor(
      async () =>
        (
          await sql(ns, `SELECT 1 FROM intake.reports WHERE case_id = $1 AND status = 'closed'`, [
            first.body.caseId,
          ])
        ).length === 1,
      {
        what: 'the closed status',
      },
    );
    const after = await post(report({ categoryCode: 'water_outage', location: { buildingCode: 'B-CLOSE' } }));
    expect(after.body.duplicateOf).toBeUndefined();
    expect(after.body.caseId).not.toBe(first.body.caseId);

    // A report without a category gets one from routing; later same-category reports join it.
    const uncategorised = await post(report({ location: { buildingCode: 'B-ROUTED' } }));
    expect(uncategorised.body.duplicateOf).toBeUndefined();
    await produce(
      ns,
      producer,
      Topic.CaseLifecycle,
      'case.assigned',
      uncategorised.body.caseId,
      lifecycle(uncategorised.body.caseId, uncategorised.body.reference, 'assigned', {
        categoryCode: 'sewage_overflow',
        unitName: '阳光物业',
        taskRole: 'lead',
      }),
      uncategorised.body.caseId,
    );
    await waitFor(
      async () =>
        (
          await sql(
            ns,
            `SELECT 1 FROM intake.reports WHERE case_id = $1 AND routed_category_code = 'sewage_overflow'`,
            [uncategorised.body.caseId],
          )
        ).length === 1,
      { what: 'the routed category' },
    );
    const joined = await post(
      report({ categoryCode: 'sewage_overflow', location: { buildingCode: 'B-ROUTED' } }),
    );
    expect(joined.body.duplicateOf?.caseId).toBe(uncategorised.body.caseId);
  });

  it('does not match a case older than the window', async () => {
    const old = await post(report({ categoryCode: 'graffiti', location: { buildingCode: 'B-OLD' } }));
    await sql(
      ns,
      `UPDATE intake.reports SET reported_at = now() - interval '61 minutes' WHERE case_id = $1`,
      [old.body.caseId],
    );
    const fresh = await post(report({ categoryCode: 'graffiti', location: { buildingCode: 'B-OLD' } }));
    expect(fresh.body.duplicateOf).toBeUndefined();
    const metrics = await (await fetch(`${intake.url}/metrics`)).text();
    expect(metrics).toMatch(/duplicates_total\{[^}]*\} (\d+)/);
  });
});
