import { CaseReportedPayload, CaseResidentPayload, Topic } from '@app/contracts';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace, TopicReader } from '@app/testing';
import { call, LENIENT_LIMITS, report } from './support';

describe('confidential reporters: never in a partner-visible payload, never logged unmasked', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let reported: TopicReader<CaseReportedPayload>;
  let resident: TopicReader<CaseResidentPayload>;
  const secretName = '陈秘密';
  const secretPhone = '13912345678';
  const secretEmail = 'whistle@example.com';

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'confidential' });
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS, LOG_LEVEL: 'debug' });
    reported = await TopicReader.open<CaseReportedPayload>(ns, Topic.CaseReported);
    resident = await TopicReader.open<CaseResidentPayload>(ns, Topic.CaseResident);
  });

  afterAll(async () => {
    await reported?.close();
    await resident?.close();
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  it('keeps the reporter out of Open311 output (JSON and XML), the tracking view and the logs', async () => {
    const confidentialReporter = {
      anonymous: false,
      confidential: true,
      name: secretName,
      phone: secretPhone,
      email: secretEmail,
      preferredContact: 'sms',
    };
    const clue = await call<{ caseId: string; reference: string; trackingToken: string }>(
      `${intake.url}/v1/reports`,
      {
        body: report({
          categoryCode: 'organised_crime_clue',
          description: `涉黑线索：有人在 7 栋收保护费，举报人 ${secretName}`,
          location: { buildingCode: 'B-0007' },
          reporter: confidentialReporter,
          media: [{ url: 'https://example.com/evidence.jpg' }],
        }),
        headers: { 'Idempotency-Key': 'confidential-0001' },
      },
    );
    expect(clue.status).toBe(201);
    // An ordinary case with a confidential co-reporter.
    const open = await call<{ reference: string }>(`${intake.url}/v1/reports`, {
      body: report({ categoryCode: 'noise', location: { buildingCode: 'B-0008' } }),
    });
    const co = await call<{ duplicateOf?: { reference: string } }>(`${intake.url}/v1/reports`, {
      body: report({
        categoryCode: 'noise',
        location: { buildingCode: 'B-0008' },
        reporter: confidentialReporter,
      }),
    });
    expect(co.body.duplicateOf?.reference).toBe(open.body.reference);

    // The internal topics carry the flag, so dispatch can apply it (partners get TaskSummary without the identity).
    const event = await reported.waitForEvent((e) => e.payload.reference === clue.body.reference);
    expect(event.payload.reporter).toMatchObject({ confidential: true });
    const coEvent = await resident.waitForEvent((e) => e.type === 'case.co-reported');
    expect(coEvent.payload.reporter).toMatchObject({ confidential: true });

    const partnerVisible = [
      await (await fetch(`${intake.url}/open311/v2/requests.json`)).text(),
      await (await fetch(`${intake.url}/open311/v2/requests.xml`)).text(),
      await (await fetch(`${intake.url}/open311/v2/requests/${clue.body.reference}.json`)).text(),
      await (await fetch(`${intake.url}/open311/v2/requests/${clue.body.reference}.xml`)).text(),
      await (await fetch(`${intake.url}/open311/v2/requests/${open.body.reference}.json`)).text(),
      await (
        await fetch(`${intake.url}/open311/v2/requests.json?service_request_id=${clue.body.reference}`)
      ).text(),
    ];
    for (const text of partnerVisible) {
      expect(text).toContain('service_request_id');
      expect(text).not.toContain(secretName);
      expect(text).not.toContain(secretPhone);
      expect(text).not.toContain(secretEmail);
      expect(text).not.toContain('evidence.jpg');
    }
    const [clueJson] = JSON.parse(partnerVisible[2]) as Record<string, unknown>[];
    expect(clueJson.description).toBeUndefined();
    expect(clueJson.service_notice).toEqual(expect.stringContaining('protect'));

    const view = await (
      await fetch(`${intake.url}/v1/reports/${clue.body.reference}`, {
        headers: { 'X-Tracking-Token': clue.body.trackingToken },
      })
    ).text();
    expect(view).not.toContain(secretName);
    expect(view).not.toContain(secretPhone);

    // A replayed idempotent answer does not carry the reporter either.
    const replay = await fetch(`${intake.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'confidential-0001' },
      body: JSON.stringify(
        report({
          categoryCode: 'organised_crime_clue',
          description: `涉黑线索：有人在 7 栋收保护费，举报人 ${secretName}`,
          location: { buildingCode: 'B-0007' },
          reporter: confidentialReporter,
          media: [{ url: 'https://example.com/evidence.jpg' }],
        }),
      ),
    });
    const replayText = await replay.text();
    expect(replay.status).toBe(201);
    expect(replayText).not.toContain(secretPhone);

    // Logs: the reporter is logged, masked (proves the line exists), never in clear.
    const logs = intake.output();
    expect(logs).toContain('report accepted');
    expect(logs).toContain('139****5678');
    expect(logs).not.toContain(secretPhone);
    expect(logs).not.toContain(secretName);
    expect(logs).not.toContain(secretEmail);
  });
});
