import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Topic } from '@app/contracts';
import { createTestNamespace, spawnService, ServiceProcess, TestNamespace, waitFor } from '@app/testing';
import { deliveryIdOf } from '../src/domain';
import {
  api,
  lifecycleForUnit,
  notificationTestEnv,
  produce,
  ReceiverBehaviour,
  unitReference,
  WebhookReceiver,
} from './support/notification-harness';

interface DeliveryView {
  id: string;
  status: string;
  attempts: number;
  totalAttempts: number;
  replays: number;
  lastError: string | null;
  attemptLog: { outcome: string; responseCode: number | null; latencyMs: number }[];
}

describe('webhooks to partner systems that fail, time out, or are down', () => {
  let ns: TestNamespace;
  let svc: ServiceProcess;
  let producer: Producer;
  let flaky: WebhookReceiver;
  let down: WebhookReceiver;
  let downRecovered = false;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'notifflaky', partitions: 3 });
    // Fails half of all calls (503), answers some after the sender's timeout (before or after
    // applying). At most four failures in a row per delivery, so 8 attempts always suffice.
    const streak = new Map<string, number>();
    flaky = new WebhookReceiver('flaky-secret-0123456789', (id) => {
      const failsSoFar = streak.get(id) ?? 0;
      let b: ReceiverBehaviour = 'ok';
      const r = Math.random();
      if (failsSoFar < 4)
        b = r < 0.5 ? 'fail' : r < 0.56 ? 'hang-before-apply' : r < 0.62 ? 'hang-after-apply' : 'ok';
      streak.set(id, b === 'ok' || b === 'hang-after-apply' ? 0 : failsSoFar + 1);
      return b;
    });
    down = new WebhookReceiver('down-secret-0123456789', () => (downRecovered ? 'ok' : 'fail'));
    await flaky.start();
    await down.start();
    producer = ns.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await produce(producer, ns, Topic.ReferenceUnits, [
      unitReference('unit-flaky', flaky.url, flaky.secret),
      unitReference('unit-down', down.url, down.secret),
    ]);
    svc = await spawnService('notification', notificationTestEnv(ns));
    admin = api(svc.url);
    await waitFor(async () => (await admin.get<unknown[]>('/v1/recipients/units')).body.length === 2, {
      what: 'the unit directory',
    });
  });

  afterAll(async () => {
    await svc?.kill('SIGTERM');
    await producer?.disconnect();
    await flaky?.close();
    await down?.close();
    await ns?.cleanup();
  });

  it('delivers every notification once per deliveryId, in order per case, signed, despite 50 % failures and timeouts', async () => {
    const caseIds = Array.from({ length: 8 }, () => randomUUID());
    const types = [
      'case.assigned',
      'case.sla-warning',
      'case.escalated',
      'case.sla-breached',
      'case.reopened',
    ];
    const byCase = new Map<string, string[]>();
    const events = caseIds.flatMap((caseId) => {
      const evs = types.map((t) =>
        lifecycleForUnit(
          t,
          caseId,
          'unit-flaky',
          t === 'case.escalated' ? { escalationAction: 'remind_unit' } : {},
        ),
      );
      byCase.set(
        caseId,
        evs.map((e) => e.eventId),
      );
      return evs;
    });
    const started = Date.now();
    await produce(producer, ns, Topic.CaseLifecycle, events);
    // The broker redelivers some events (same eventIds): no second notification.
    await produce(producer, ns, Topic.CaseLifecycle, events.slice(0, 10));

    const expected = new Set(events.map((e) => deliveryIdOf(e.eventId, 'unit:unit-flaky', 'webhook')));
    await waitFor(() => flaky.applied.size >= expected.size, {
      timeoutMs: 45_000,
      what: `${expected.size} applied webhooks`,
    });

    expect(new Set(flaky.applied.keys())).toEqual(expected);
    expect(flaky.appliedOrder).toHaveLength(expected.size);
    expect(flaky.badSignatures).toBe(0);
    // The receiver really did fail and time out, so retries happened.
    expect(flaky.calls).toBeGreaterThan(expected.size + 5);
    // Per-case order: what the partner applied for each case is the order the events happened in.
    for (const [caseId, eventIds] of byCase) {
      expect(flaky.appliedOrder.filter((h) => h.caseId === caseId).map((h) => h.eventId)).toEqual(eventIds);
    }
    // A confidential reporter never reaches the unit, whatever dispatch sent.
    for (const h of flaky.appliedOrder) {
      const task = h.data.task as Record<string, unknown> | undefined;
      if (task) {
        expect(task.reporterName).toBeUndefined();
        expect(task.reporterPhone).toBeUndefined();
      }
    }
    // The log shows every attempt; all delivered.
    await waitFor(
      async () => {
        const page = await admin.get<{ items: DeliveryView[] }>(
          `/v1/deliveries?recipient=unit:unit-flaky&status=delivered&limit=200`,
        );
        return page.body.items.length === expected.size;
      },
      { what: 'all deliveries marked delivered' },
    );
    const page = await admin.get<{ items: DeliveryView[] }>(
      `/v1/deliveries?recipient=unit:unit-flaky&limit=200`,
    );
    const attempts = page.body.items.flatMap((d) => d.attemptLog);
    expect(attempts.length).toBeGreaterThan(expected.size);
    expect(attempts.some((a) => a.outcome === 'failed' && a.responseCode === 503)).toBe(true);
    expect(attempts.every((a) => a.latencyMs >= 0)).toBe(true);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/notifications_delivered_total\{[^}]*channel="webhook"[^}]*outcome="delivered"/);
    expect(metrics).toMatch(/webhook_attempts_total\{[^}]*outcome="failed"/);
    expect(Date.now() - started).toBeLessThan(45_000);
  });

  it('dead-letters deliveries to a partner that is down, lets later ones through, and delivers on replay after recovery', async () => {
    const caseId = randomUUID();
    const first = lifecycleForUnit('case.assigned', caseId, 'unit-down');
    const second = lifecycleForUnit('case.sla-warning', caseId, 'unit-down');
    await produce(producer, ns, Topic.CaseLifecycle, [first, second]);
    const firstId = deliveryIdOf(first.eventId, 'unit:unit-down', 'webhook');
    const secondId = deliveryIdOf(second.eventId, 'unit:unit-down', 'webhook');

    // Both end dead: a dead delivery does not block the lane for ever.
    await waitFor(
      async () => {
        const dead = await admin.get<{ items: DeliveryView[] }>('/v1/dead-letters');
        const ids = dead.body.items.map((d) => d.id);
        return ids.includes(firstId) && ids.includes(secondId);
      },
      { timeoutMs: 30_000, what: 'both deliveries in the dead-letter list' },
    );
    const dead = (await admin.get<DeliveryView>(`/v1/deliveries/${firstId}`)).body;
    expect(dead).toMatchObject({ status: 'dead', attempts: 8, totalAttempts: 8 });
    expect(dead.attemptLog).toHaveLength(8);
    expect(dead.lastError).toMatch(/HTTP 503/);
    expect(down.applied.size).toBe(0);

    // Refused without the admin token; a delivery that is not dead cannot be replayed.
    expect(
      (await api(svc.url, 'wrong-token-xxxxxxxx').post(`/v1/dead-letters/${firstId}/replay`)).status,
    ).toBe(401);
    expect((await fetch(`${svc.url}/v1/dead-letters`)).status).toBe(401);
    expect((await admin.post(`/v1/dead-letters/not-a-uuid/replay`)).status).toBe(400);

    downRecovered = true;
    for (const id of [firstId, secondId]) {
      const replayed = await admin.post<DeliveryView>(`/v1/dead-letters/${id}/replay`);
      expect(replayed.status).toBe(202);
      expect(replayed.body).toMatchObject({ status: 'pending', replays: 1 });
    }
    await waitFor(() => down.applied.has(firstId) && down.applied.has(secondId), {
      timeoutMs: 15_000,
      what: 'replayed deliveries',
    });
    expect(down.appliedOrder.map((h) => h.deliveryId)).toEqual([firstId, secondId]);
    const after = await waitFor(
      async () => {
        const d = (await admin.get<DeliveryView>(`/v1/deliveries/${firstId}`)).body;
        return d.status === 'delivered' ? d : undefined;
      },
      { what: 'delivered status after replay' },
    );
    expect(after.totalAttempts).toBe(9);
    expect(after.attemptLog.map((a) => a.outcome)).toEqual([...Array(8).fill('failed'), 'ok']);
    expect((await admin.post(`/v1/dead-letters/${firstId}/replay`)).status).toBe(409);
  });
});
