import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { Corpus } from './corpus';
import type { WebhookArrival } from './receiver';
import { TargetRun } from './runner';
import type { Target } from './target';

/**
 * The soak with an in-memory target: a local HTTP server answers each report 201 and, a few ms
 * later, "delivers" its webhook to the run, as the pipeline would; the partner simulator's work
 * takes `partnerMs` per task.
 */
describe('bench soak: unmeasured load, then a wait for the pipeline and the partner side', () => {
  let server: Server;
  let run: TargetRun;
  let partnerMs = 0;
  let partnerDone = 0;
  let next = 0;

  beforeEach(async () => {
    partnerDone = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const caseId = `case-${next++}`;
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ caseId }));
        setTimeout(() => run.onArrival({ at: Date.now(), path: '/hook', body: { caseId } }), 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target: Target = {
      name: 'ceiling',
      reportUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`,
      processes: [],
      groupPrefix: 'soak-test.',
      stageTopics: {},
      parseArrival: (a: WebhookArrival) => ({ caseId: String(a.body.caseId), eventType: 'case.assigned' }),
      // unref: the second test leaves tasks in hand when it ends.
      partnerAct: () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            partnerDone++;
            r();
          }, partnerMs).unref(),
        ),
      stop: () => Promise.resolve(),
    };
    run = new TargetRun(target, {} as Kafka, new Corpus(), () => undefined);
  });

  afterEach(async () => {
    await run.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends at the rate for the time given, and returns once every case reached its unit and every partner task is done', async () => {
    partnerMs = 600;
    const s = await run.soak(40, 1, 10_000);
    expect(s.sent).toBeGreaterThanOrEqual(38);
    expect(s.sent).toBeLessThanOrEqual(41);
    expect(s.notified).toBe(s.sent);
    expect(s.partnerLeft).toBe(0);
    expect(partnerDone).toBe(s.sent);
    // The last tasks' partner work (600 ms) came after the last send: the soak waited for it.
    expect(s.drainMs).toBeGreaterThanOrEqual(500);
    // Its cases belong to no step the report reads.
    expect(run.tracker.ofStep(0)).toHaveLength(0);
    expect(run.tracker.ofStep(-2)).toHaveLength(s.sent);
  });

  it('stops waiting at the drain timeout and says how many partner tasks are left', async () => {
    partnerMs = 5_000;
    const started = Date.now();
    const s = await run.soak(20, 0.5, 600);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(s.drainMs).toBeGreaterThanOrEqual(600);
    expect(s.partnerLeft).toBeGreaterThan(0);
    expect(s.notified).toBe(s.sent);
  });
});
