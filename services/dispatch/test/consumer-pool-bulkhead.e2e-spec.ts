/**
 * The consumers' Postgres pool is a bulkhead: with every connection of the main pool held by HTTP
 * requests that cannot finish (here partner requests waiting on a case row another session has
 * locked; in production a burst of slow dashboard queries or a partner retry storm), a new case
 * still reaches its unit, because the event handlers' transactions run on a pool of their own.
 * With CONSUMER_DB_POOL_SIZE=0 (one shared pool) the same case would wait for the HTTP requests.
 */
import type { Client } from 'pg';
import { waitFor } from '@app/testing';
import { DispatchHarness, makeReport, metricValue, TestUnit } from './support/dispatch-harness';

const mainPool = (url: string, state: 'total' | 'waiting') =>
  metricValue(url, 'db_pool_clients', { pool: 'main', state });

describe('a full main pool does not stop the case pipeline (real Postgres and Kafka)', () => {
  let h: DispatchHarness;
  let property: TestUnit;
  let locker: Client | undefined;

  beforeAll(async () => {
    h = await DispatchHarness.start('bulkhead', { DB_POOL_SIZE: '2' });
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await h?.stop();
  });

  it('assigns a new case while every main-pool connection waits on a locked case', async () => {
    const first = makeReport();
    await h.routed(first, property);
    const assigned = await h.waitEvent(first.caseId, 'case.assigned');
    const taskId = assigned.payload.taskId!;

    // Another session holds the first case's row; partner requests on its task queue behind it.
    locker = await h.holdCase(first.caseId);
    const stuck = [0, 1, 2].map(() => h.partner(property, 'POST', `/partner/v1/tasks/${taskId}/accept`, {}));
    await waitFor(async () => (await mainPool(h.url, 'waiting')) >= 1, {
      what: "dispatch's main pool to be full with a request waiting",
      timeoutMs: 15_000,
    });

    const second = makeReport();
    await h.routed(second, property);
    await h.waitEvent(second.caseId, 'case.assigned', () => true, 15_000);
    // Still full: the second case did not get through because the API let go of a connection.
    expect(await mainPool(h.url, 'total')).toBe(2);
    expect(await mainPool(h.url, 'waiting')).toBeGreaterThanOrEqual(1);

    await locker.query('ROLLBACK');
    const answers = (await Promise.all(stuck)).map((r) => r.status).sort();
    // One accept wins; the others find the task already accepted.
    expect(answers[0]).toBe(200);
    expect(answers.every((s) => s === 200 || s === 409)).toBe(true);
  });
});
