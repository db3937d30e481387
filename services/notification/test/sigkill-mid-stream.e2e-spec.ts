import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Topic } from '@app/contracts';
import { createTestNamespace, spawnService, ServiceProcess, TestNamespace, waitFor } from '@app/testing';
import { deliveryIdOf } from '../src/domain';
import {
  lifecycleForUnit,
  notificationTestEnv,
  produce,
  unitReference,
  WebhookReceiver,
} from './support/notification-harness';

describe('notification killed (SIGKILL) mid-stream and restarted', () => {
  let ns: TestNamespace;
  let producer: Producer;
  let receiver: WebhookReceiver;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'notifkill', partitions: 3 });
    // A partner that is slow to answer now and then (some answers come after the sender gave
    // up, some of those after applying) and fails 20 % of calls.
    receiver = new WebhookReceiver(
      'kill-secret-0123456789',
      () => {
        const r = Math.random();
        return r < 0.2 ? 'fail' : r < 0.25 ? 'hang-after-apply' : 'ok';
      },
      600,
    );
    await receiver.start();
    producer = ns.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await produce(producer, ns, Topic.ReferenceUnits, [
      unitReference('unit-k', receiver.url, receiver.secret),
    ]);
  });

  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    await producer?.disconnect();
    await receiver?.close();
    await ns?.cleanup();
  });

  it('loses nothing and applies nothing twice (by deliveryId), keeping per-case order', async () => {
    const env = notificationTestEnv(ns, { DELIVERY_CONCURRENCY: '4' });
    const first = await spawnService('notification', env);
    procs.push(first);

    const caseIds = Array.from({ length: 12 }, () => randomUUID());
    const types = [
      'case.assigned',
      'case.sla-warning',
      'case.escalated',
      'case.sla-breached',
      'case.reopened',
      'case.supervision-flagged',
    ];
    const byCase = new Map<string, string[]>();
    const events = [];
    for (let round = 0; round < 2; round++) {
      for (const caseId of caseIds) {
        for (const t of types) {
          const e = lifecycleForUnit(
            t,
            caseId,
            'unit-k',
            t === 'case.escalated' ? { escalationAction: 'remind_unit' } : {},
          );
          events.push(e);
          byCase.set(caseId, [...(byCase.get(caseId) ?? []), e.eventId]);
        }
      }
    }
    await produce(producer, ns, Topic.CaseLifecycle, events);
    const expected = new Set(events.map((e) => deliveryIdOf(e.eventId, 'unit:unit-k', 'webhook')));

    // Kill without goodbye once part of the stream reached the partner.
    await waitFor(() => receiver.applied.size >= 30, {
      timeoutMs: 30_000,
      what: 'part of the stream delivered',
    });
    await first.kill('SIGKILL');
    const beforeRestart = receiver.applied.size;
    expect(beforeRestart).toBeLessThan(expected.size);

    const second = await spawnService('notification', env);
    procs.push(second);
    await waitFor(() => receiver.applied.size >= expected.size, {
      timeoutMs: 40_000,
      what: `${expected.size} applied webhooks`,
    });

    // Nothing lost, nothing extra: exactly one deliveryId per event, each applied once.
    expect(new Set(receiver.applied.keys())).toEqual(expected);
    expect(receiver.appliedOrder).toHaveLength(expected.size);
    expect(new Set(receiver.appliedOrder.map((h) => h.eventId)).size).toBe(events.length);
    expect(receiver.badSignatures).toBe(0);
    for (const [caseId, eventIds] of byCase) {
      expect(receiver.appliedOrder.filter((h) => h.caseId === caseId).map((h) => h.eventId)).toEqual(
        eventIds,
      );
    }
  });
});
