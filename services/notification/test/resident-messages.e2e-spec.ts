import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Producer } from 'kafkajs';
import { SMTPServer } from 'smtp-server';
import { Topic } from '@app/contracts';
import { createTestNamespace, spawnService, ServiceProcess, TestNamespace, waitFor } from '@app/testing';
import { api, envelope, notificationTestEnv, produce } from './support/notification-harness';

interface Mail {
  to: string;
  raw: string;
}
interface Sms {
  to: string;
  text: string;
  deliveryId: string;
  apiKey: string;
}

describe('residents and the center are told by email (real SMTP) and SMS (HTTP gateway), once', () => {
  let ns: TestNamespace;
  let svc: ServiceProcess;
  let producer: Producer;
  let smtp: SMTPServer;
  let smsGateway: Server;
  const mails: Mail[] = [];
  const sms: Sms[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'notifresident', partitions: 3 });
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        stream.on('end', () => {
          // Undo quoted-printable soft line breaks so assertions can look for whole links.
          const text = raw.replace(/=\r?\n/g, '');
          for (const rcpt of session.envelope.rcptTo) mails.push({ to: rcpt.address, raw: text });
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    smsGateway = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw) as Sms;
        sms.push({ ...body, apiKey: String(req.headers['x-api-key']) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => smsGateway.listen(0, '127.0.0.1', () => r()));
    const smsPort = (smsGateway.address() as AddressInfo).port;
    producer = ns.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    svc = await spawnService(
      'notification',
      notificationTestEnv(ns, {
        NOTIFY_PROVIDER_MODE: 'live',
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}?ignoreTLS=true`,
        SMS_PROVIDER_URL: `http://127.0.0.1:${smsPort}/send`,
        SMS_PROVIDER_KEY: 'sms-key-123',
        TRACKING_BASE_URL: 'https://wl.example.gov.cn',
        CENTER_DISPATCH_EMAIL: 'desk@center.example',
      }),
    );
  });

  afterAll(async () => {
    await svc?.kill('SIGTERM');
    await producer?.disconnect();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await new Promise<void>((r) => (smsGateway ? smsGateway.close(() => r()) : r()));
    await ns?.cleanup();
  });

  const report = (caseId: string, reporter: Record<string, unknown>) =>
    envelope(
      'case.reported',
      caseId,
      {
        caseId,
        reference: `WL-20261123-${caseId.slice(0, 6)}`,
        channel: 'app',
        description: 'Sewage from next door flows into my flat',
        location: { gridCode: 'grid-4' },
        reporter,
        media: [],
        reportedAt: new Date().toISOString(),
      },
      caseId,
    );

  it('acknowledges, tells every reporter at closure on their channel, ignores redeliveries and anonymous reporters', async () => {
    const caseId = randomUUID();
    const reference = `WL-20261123-${caseId.slice(0, 6)}`;
    await produce(producer, ns, Topic.CaseReported, [
      report(caseId, {
        anonymous: false,
        confidential: false,
        email: 'li@resident.example',
        phone: '+8613900001111',
        preferredContact: 'email',
        locale: 'en',
      }),
    ]);
    await waitFor(() => mails.some((m) => m.to === 'li@resident.example'), {
      what: 'the acknowledgement email',
    });
    const ack = mails.find((m) => m.to === 'li@resident.example')!.raw;
    expect(ack).toContain(reference);
    expect(ack).toContain(`https://wl.example.gov.cn/v1/reports/${reference}`);

    await produce(producer, ns, Topic.CaseResident, [
      envelope(
        'case.co-reported',
        caseId,
        {
          caseId,
          reference,
          coReportId: randomUUID(),
          reporter: { anonymous: false, confidential: false, phone: '+8613700002222' },
          at: new Date().toISOString(),
        },
        caseId,
      ),
    ]);
    await waitFor(() => sms.some((s) => s.to === '+8613700002222'), { what: 'the co-reporter SMS' });
    expect(sms[0].apiKey).toBe('sms-key-123');
    expect(sms[0].text).toContain(reference);

    const closed = envelope(
      'case.closed',
      caseId,
      {
        caseId,
        reference,
        status: 'closed',
        priority: 'normal',
        residentVisible: true,
        closedHow: 'center_verified',
        at: new Date().toISOString(),
      },
      caseId,
    );
    await produce(producer, ns, Topic.CaseLifecycle, [closed]);
    await produce(producer, ns, Topic.CaseLifecycle, [closed]); // redelivered
    await waitFor(
      () =>
        mails.filter((m) => m.to === 'li@resident.example').length >= 2 &&
        sms.filter((s) => s.to === '+8613700002222').length >= 2,
      {
        what: 'closure messages to both residents',
      },
    );
    // An anonymous report on another case, then a marker: the anonymous one produced nothing.
    const anonCase = randomUUID();
    await produce(producer, ns, Topic.CaseReported, [
      report(anonCase, { anonymous: true, confidential: false, phone: '+8613000000000' }),
    ]);
    const admin = api(svc.url);
    type Item = {
      channel: string;
      status: string;
      endpoint: string;
      templateKey: string;
      attemptLog: unknown[];
    };
    // received (email), co_reported (sms), closed (email + sms): four, all delivered.
    const page = await waitFor(
      async () => {
        const res = await admin.get<{ items: Item[] }>(`/v1/deliveries?caseId=${caseId}&status=delivered`);
        return res.body.items.length === 4 ? res : undefined;
      },
      { what: 'four delivered deliveries for the case' },
    );
    expect(page.body.items.map((d) => d.templateKey).sort()).toEqual([
      'closed',
      'closed',
      'co_reported',
      'received',
    ]);
    expect(mails.filter((m) => m.to === 'li@resident.example')).toHaveLength(2);
    expect(sms.filter((s) => s.to === '+8613700002222')).toHaveLength(2);
    // Residents' addresses are masked in the log.
    expect(
      page.body.items.every(
        (d) => !d.endpoint.includes('li@resident') && !d.endpoint.includes('8613700002222'),
      ),
    ).toBe(true);
    expect(
      (await admin.get<{ items: unknown[] }>(`/v1/deliveries?caseId=${anonCase}`)).body.items,
    ).toHaveLength(0);
  });

  it('tells the center desk when triage is needed, and role contacts are data behind the admin API', async () => {
    const admin = api(svc.url);
    const roles = await admin.get<{ role: string; email: string }[]>('/v1/recipients/roles');
    expect(roles.body.find((r) => r.role === 'center')?.email).toBe('desk@center.example');
    const bad = await admin.put<{ code: string; details: { fields: { field: string }[] } }>(
      '/v1/recipients/roles/center',
      { email: 'not-an-email' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.details.fields.map((f) => f.field)).toContain('email');
    const ok = await admin.put<{ email: string }>('/v1/recipients/roles/center', {
      email: 'triage@center.example',
      locale: 'zh-CN',
    });
    expect(ok.status).toBe(200);

    const caseId = randomUUID();
    const reference = `WL-20261123-${caseId.slice(0, 6)}`;
    await produce(producer, ns, Topic.CaseTriageRequired, [
      envelope(
        'case.triage-required',
        caseId,
        {
          report: {
            caseId,
            reference,
            channel: 'hotline',
            description: '几十户居民反对小区改造方案',
            location: {},
            reporter: { anonymous: true, confidential: false },
            media: [],
            reportedAt: new Date().toISOString(),
          },
          reason: 'MANDATORY_REPORT',
          reasons: ['collective demand'],
          priority: 'high',
          mandatoryReport: 'collective_demand',
          ruleVersion: 1,
          attempt: 1,
          excludedUnitIds: [],
        },
        caseId,
      ),
    ]);
    await waitFor(() => mails.some((m) => m.to === 'triage@center.example'), { what: 'the triage email' });
    expect(mails.find((m) => m.to === 'triage@center.example')!.raw).toContain(reference);
    const stats = await admin.get<{
      channels: { channel: string; delivered: number; successRate: number | null }[];
    }>('/v1/delivery-stats');
    expect(stats.body.channels.find((c) => c.channel === 'email')?.successRate).toBe(1);
  });
});
