/**
 * The fault test (npm run test:faults): a steady load of residents' reports through the four
 * compiled services, partner units, a center dispatcher and residents working every case to
 * closure, while in turn each service is SIGKILLed and restarted, the Kafka broker and Postgres
 * are restarted, and Redis is stopped for 10 s. Then it checks, from what users and partners saw,
 * the namespace's database and its topics: nothing accepted is lost, nothing is done twice.
 *
 * Options: --rate=20 (reports/s)  --min-reports=2000  --faults=intake,routing,dispatch,notification,kafka,postgres,redis
 *          --drain-seconds=240 --poll-ms=1000  --keep (keep the namespace's database, topics and logs)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Corpus } from '../lib/corpus';
import { keepAliveAgent } from '../lib/load';
import { createBenchNamespace } from '../lib/namespace';
import { REPO_ROOT, sleep } from '../lib/procs';
import { WebhookReceiver } from '../lib/receiver';
import {
  DeliveryLedger,
  dispatchStatuses,
  duplicatesByKey,
  duplicateTasks,
  FINAL,
  lifecycleOnceKey,
  readTopic,
  slaKey,
  SLA_TYPES,
  withDb,
} from './checks';
import { Cluster, infra, ServiceName } from './cluster';
import { call } from './http';
import { Accepted, ReportLoad } from './load';
import { readSeed, Simulator } from './simulator';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'] as const;
  }),
);
const RATE = Number(args.get('rate') ?? 12);
const MIN_REPORTS = Number(args.get('min-reports') ?? 2000);
const DRAIN_MS = Number(args.get('drain-seconds') ?? 240) * 1000;
const KEEP = args.get('keep') === 'true';
const ALL_FAULTS = ['intake', 'routing', 'dispatch', 'notification', 'kafka', 'postgres', 'redis'];
const FAULTS = (args.get('faults') ?? ALL_FAULTS.join(',')).split(',').filter(Boolean);
const DIST = resolve(REPO_ROOT, process.env.FAULTS_DIST ?? 'dist');
const ROUTING_TOKEN = process.env.ROUTING_ADMIN_TOKEN ?? 'routing-dev-token';
const SLA_POLICY = 'SLA-NORMAL';

const t0 = Date.now();
const log = (s: string): void => {
  process.stdout.write(`[faults +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
};
const warn = (s: string): void => log(`!!! ${s}`);

interface FaultRecord {
  name: string;
  ok: boolean;
  tookMs: number;
  healthyAfterMs: number;
  note: string;
}

async function configure(cluster: Cluster, receiverUrl: string): Promise<{ webhooks: number; sla: boolean }> {
  const routing = cluster.url('routing');
  const h = { authorization: `Bearer ${ROUTING_TOKEN}`, 'x-actor': 'faults' };
  const seed = readSeed();
  let webhooks = 0;
  for (const u of seed.units) {
    const url = `${routing}/v1/admin/units/${encodeURIComponent(u.unitId)}`;
    const cur = await call('GET', url, undefined, h);
    if (cur.status !== 200) {
      warn(`routing admin GET ${u.unitId} answered ${cur.status}: ${JSON.stringify(cur.body).slice(0, 200)}`);
      continue;
    }
    const b = cur.body as Record<string, unknown>;
    const clean = (o: unknown): Record<string, unknown> | undefined =>
      o && typeof o === 'object'
        ? Object.fromEntries(
            Object.entries(o as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined),
          )
        : undefined;
    const body: Record<string, unknown> = {
      name: b.name,
      unitType: b.unitType,
      areaCodes: b.areaCodes,
      contact: clean(b.contact) ?? {},
      webhookUrl: `${receiverUrl}/hooks/${encodeURIComponent(u.unitId)}`,
      webhookSecret: 'faults-webhook-secret-0123456789',
    };
    const sup = clean(b.supervisorContact);
    if (sup && Object.keys(sup).length) body.supervisorContact = sup;
    const r = await call('PUT', url, body, h);
    if (r.status === 200) webhooks++;
    else warn(`routing admin PUT ${u.unitId} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  // A short SLA policy on the most used one, so tasks signed for late breach and escalate during the faults.
  const sla = await call(
    'PUT',
    `${routing}/v1/admin/sla-policies/${SLA_POLICY}`,
    {
      name: 'fault test: 5 s to sign for, 120 s to resolve (24x7)',
      acceptWithinSeconds: 5,
      resolveWithinSeconds: 120,
      warnAtFraction: 0.5,
      calendar: { kind: '24x7', timezone: 'Asia/Shanghai' },
      escalation: [
        { on: 'accept', afterSeconds: 0, action: 'remind_unit' },
        { on: 'accept', afterSeconds: 2, action: 'notify_supervisor' },
        { on: 'resolve', afterSeconds: 0, action: 'remind_unit' },
      ],
    },
    h,
  );
  if (sla.status !== 200)
    warn(
      `SKIPPED short SLA policy: PUT ${SLA_POLICY} answered ${sla.status}: ${JSON.stringify(sla.body).slice(0, 300)}`,
    );
  return { webhooks, sla: sla.status === 200 };
}

async function main(): Promise<number> {
  log(`rate ${RATE}/s, at least ${MIN_REPORTS} reports, faults: ${FAULTS.join(', ')}; services from ${DIST}`);
  const ns = await createBenchNamespace(Number(process.env.FAULTS_PARTITIONS ?? 6));
  const logDir = join(REPO_ROOT, '.run', 'faults', ns.id);
  mkdirSync(logDir, { recursive: true });
  log(`namespace ${ns.id} (database ${ns.dbName}); logs in ${logDir}`);
  const ledger = new DeliveryLedger();
  const receiver = new WebhookReceiver(ledger.onArrival);
  await receiver.start();
  /** Services that exited by themselves during the run (see reviveDead). */
  const deaths: string[] = [];
  let watchdog: NodeJS.Timeout | undefined;
  let revival = Promise.resolve<ServiceName[]>([]);
  const cluster = new Cluster(ns, DIST, logDir, {
    // Residents confirm; auto-close is only the product's fallback and stays long here.
    AUTO_CLOSE_AFTER_SECONDS: '3600',
    UNIT_CACHE_SECONDS: '1',
    ROUTING_SEED_PATH: join(REPO_ROOT, 'services', 'routing', 'seed', 'demo-district.json'),
  });
  const agent = keepAliveAgent(64);
  let sim: Simulator | undefined;
  let load: ReportLoad | undefined;
  try {
    await cluster.startAll();
    log(`services ready: ${[...cluster.ports].map(([s, p]) => `${s}:${p}`).join(' ')}`);
    const conf = await configure(cluster, receiver.url());
    log(
      `routing admin: ${conf.webhooks} unit webhooks point at the receiver; short SLA policy ${conf.sla ? 'set' : 'NOT set'}`,
    );
    // Dispatch learns the units (and their partner key hashes) from reference.units.v1.
    const seed = readSeed();
    const probeKey = `demo-key-${seed.units[0].unitId.toLowerCase().replace(/^u-/, '')}`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = await call('GET', `${cluster.url('dispatch')}/partner/v1/tasks?limit=1`, undefined, {
        authorization: `Bearer ${probeKey}`,
      });
      if (r.status === 200) break;
      await sleep(500);
    }
    await sleep(3000); // notification applies the webhook URLs from the same topic

    const corpus = new Corpus();
    const byCase = new Map<string, Accepted>();
    load = new ReportLoad(agent, () => cluster.url('intake'), corpus, ns.id);
    sim = new Simulator(cluster.url('dispatch'), cluster.url('intake'), seed, byCase, {
      pollMs: Number(args.get('poll-ms') ?? 1000),
      slowShare: conf.sla ? 0.15 : 0,
      slowAcceptMs: 9000,
    });
    sim.start(ns.kafka, `${ns.topicPrefix}case.lifecycle.v1`, `${ns.topicPrefix}faults-residents`);
    const indexer = setInterval(() => {
      for (const a of load!.accepted.values())
        if (!a.duplicateOf && !byCase.has(a.caseId)) byCase.set(a.caseId, a);
    }, 200);
    const loadDone = load.run(RATE);
    const progress = setInterval(() => {
      log(
        `load: sent ${load!.sent}, 201 ${load!.accepted.size}, pending ${load!.pending}, retries ${load!.retries}; ` +
          `partners accepted ${sim!.stats.accepted} resolved ${sim!.stats.resolved}; feedback ${sim!.stats.feedbackSent}; ` +
          `webhooks ${ledger.applied.size}`,
      );
    }, 10_000);

    /**
     * A service that exits by itself, at any point of the run, fails it. Its last lines are printed
     * (the cause), and it is started again, as an orchestrator would, so that the rest of the run
     * still checks what its death cost: whether anything accepted was lost or done twice.
     */
    const reviveDead = (): Promise<ServiceName[]> =>
      (revival = revival.then(async () => {
        const dead = cluster.deadServices();
        for (const s of dead) {
          deaths.push(`${s} (${cluster.exitHow(s)}, at +${((Date.now() - t0) / 1000).toFixed(1)}s)`);
          warn(cluster.deathReport(s));
          await cluster.start(s).catch((err: Error) => warn(`${s} did not start again: ${err.message}`));
        }
        return dead;
      }));
    watchdog = setInterval(() => void reviveDead(), 1000);

    // ---------------------------------------------------------------- the faults, one at a time
    const records: FaultRecord[] = [];
    let redisDown201 = -1;
    let redisDownSent = 0;
    let lastAccepted = 0;
    await sleep(8000);
    for (const f of FAULTS) {
      try {
        await cluster.waitHealthy(120_000);
      } catch (err) {
        warn(`before fault ${f}: ${(err as Error).message}`);
        await reviveDead();
        records.push({
          name: f,
          ok: false,
          tookMs: 0,
          healthyAfterMs: -1,
          note: 'system not healthy before the fault',
        });
        break;
      }
      // Some load flows between faults.
      const flowDeadline = Date.now() + 30_000;
      while (load.accepted.size < lastAccepted + RATE * 4 && Date.now() < flowDeadline) await sleep(200);
      const started = Date.now();
      let note = '';
      let ok = true;
      log(`FAULT ${f}: start`);
      try {
        if (['intake', 'routing', 'dispatch', 'notification'].includes(f)) {
          const ms = await cluster.killAndRestart(f as ServiceName);
          note = `SIGKILL, restarted and ready in ${ms} ms`;
        } else if (f === 'kafka') {
          const r = await infra('restart-kafka');
          note = `broker restarted in ${r.ms} ms`;
        } else if (f === 'postgres') {
          const r = await infra('restart-postgres');
          note = `Postgres restarted in ${r.ms} ms`;
        } else if (f === 'redis') {
          await infra('stop-redis');
          const before = load.accepted.size;
          const sentBefore = load.sent;
          await sleep(10_000);
          redisDown201 = load.accepted.size - before;
          redisDownSent = load.sent - sentBefore;
          await infra('start-redis');
          note = `Redis down 10 s: ${redisDown201} reports got 201 meanwhile (${redisDownSent} sent)`;
        } else {
          note = 'unknown fault: skipped';
          ok = false;
        }
      } catch (err) {
        ok = false;
        note = (err as Error).message.slice(0, 500);
      }
      let healthyAfterMs = -1;
      try {
        healthyAfterMs = await cluster.waitHealthy(120_000);
      } catch (err) {
        ok = false;
        note += `; NOT healthy again: ${(err as Error).message}`;
        const revived = await reviveDead();
        if (revived.length) note += ` (started again by the test: ${revived.join(', ')})`;
      }
      records.push({ name: f, ok, tookMs: Date.now() - started, healthyAfterMs, note });
      log(`FAULT ${f}: ${ok ? 'done' : 'FAILED'}: ${note}; every service ready ${healthyAfterMs} ms after`);
      lastAccepted = load.accepted.size;
      if (!ok) break;
    }

    // ---------------------------------------------------------------- end the load
    while (load.accepted.size + load.pending < MIN_REPORTS) await sleep(250);
    await sleep(3000); // a little steady load after the last fault
    load.stop();
    await loadDone;
    await load.drain();
    clearInterval(indexer);
    for (const a of load.accepted.values())
      if (!a.duplicateOf && !byCase.has(a.caseId)) byCase.set(a.caseId, a);
    log(
      `load ended: sent ${load.sent}, 201 ${load.accepted.size}, rejected ${load.rejected.length}, gave up ${load.gaveUp.length}`,
    );

    // ---------------------------------------------------------------- every accepted case to a final state
    const caseIds = [...new Set([...load.accepted.values()].map((a) => a.caseId))];
    const drainUntil = Date.now() + DRAIN_MS;
    let statuses = new Map<string, string>();
    for (;;) {
      statuses = await withDb(ns.databaseUrl, (c) => dispatchStatuses(c, caseIds));
      const open = caseIds.filter((id) => !FINAL.includes(statuses.get(id) ?? 'missing'));
      if (!open.length || Date.now() > drainUntil) break;
      for (const id of open) if (statuses.get(id) === 'resolved') sim.remindResident(id);
      const by = new Map<string, number>();
      for (const id of open)
        by.set(statuses.get(id) ?? 'missing', (by.get(statuses.get(id) ?? 'missing') ?? 0) + 1);
      log(`waiting for ${open.length} cases to close: ${[...by].map(([s, n]) => `${s} ${n}`).join(', ')}`);
      await sleep(5000);
    }
    clearInterval(progress);
    await sim.stop();

    // ---------------------------------------------------------------- checks
    const lostIds = caseIds.filter((id) => !FINAL.includes(statuses.get(id) ?? 'missing'));
    const closed = caseIds.filter((id) => statuses.get(id) === 'closed').length;
    const { dupTasks, phantom, closedHow } = await withDb(ns.databaseUrl, async (c) => {
      const dt = await duplicateTasks(c);
      const accepted = new Set(caseIds);
      const intakeCases = await c.query<{ case_id: string }>(`SELECT case_id FROM intake.reports`);
      const ph = intakeCases.rows.filter((r) => !accepted.has(r.case_id)).map((r) => r.case_id);
      const how = await c.query<{ how: string | null; n: string }>(
        `SELECT state->>'closedHow' AS how, count(*) AS n FROM dispatch.cases WHERE status = 'closed' GROUP BY 1`,
      );
      return {
        dupTasks: dt,
        phantom: ph,
        closedHow: how.rows.map((r) => `${r.how ?? '?'} ${r.n}`).join(', '),
      };
    });
    const p = ns.topicPrefix;
    const lifecycle = await readTopic(ns.kafka, `${p}case.lifecycle.v1`, `${p}faults-check-lifecycle`);
    const reported = await readTopic(ns.kafka, `${p}case.reported.v1`, `${p}faults-check-reported`);
    const sla = duplicatesByKey(lifecycle, slaKey);
    const slaCount = lifecycle.filter((e) => SLA_TYPES.has(e.type));
    const slaByType = new Map<string, number>();
    for (const e of slaCount) slaByType.set(e.type, (slaByType.get(e.type) ?? 0) + 1);
    const once = duplicatesByKey(lifecycle, lifecycleOnceKey);
    const rep = duplicatesByKey(reported, (e) =>
      e.type === 'case.reported' ? (e.caseId ?? String(e.payload.caseId)) : undefined,
    );
    const logical = ledger.logicalDuplicates();
    const duplicateDeliveries = logical.duplicates + ledger.conflictingResends;

    const lines = [
      '==================== fault test summary ====================',
      `namespace            ${ns.id}   rate ${RATE}/s   run ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      ...records.map(
        (r) =>
          `fault ${r.name.padEnd(14)} ${r.ok ? 'ok    ' : 'FAILED'} ${r.note}; all ready again after ${r.healthyAfterMs} ms`,
      ),
      ...ALL_FAULTS.filter((f) => !FAULTS.includes(f)).map((f) => `fault ${f.padEnd(14)} SKIPPED (--faults)`),
      `reports sent         ${load.sent}  (client retries ${load.retries}, answers replayed after a retry ${load.replays})`,
      `accepted (201)       ${load.accepted.size}  in ${caseIds.length} cases; rejected ${load.rejected.length}; gave up ${load.gaveUp.length}; key conflicts ${load.conflicts.length}`,
      `redis down 10 s      ${redisDown201 >= 0 ? `${redisDown201} reports accepted with 201 of ${redisDownSent} sent` : 'not run'}`,
      `closed               ${closed}  (${closedHow})`,
      `lost                 ${lostIds.length}${
        lostIds.length
          ? `  e.g. ${lostIds
              .slice(0, 5)
              .map((id) => `${id}:${statuses.get(id) ?? 'missing'}`)
              .join(' ')}`
          : ''
      }`,
      `phantom cases        ${phantom.length}  (in intake but never answered 201)${phantom.length ? ` e.g. ${phantom.slice(0, 3).join(' ')}` : ''}`,
      `duplicate tasks      ${dupTasks.count}${dupTasks.examples.length ? `  ${dupTasks.examples.join('; ')}` : ''}`,
      `webhooks             ${ledger.arrivals} arrivals, ${ledger.applied.size} applied (first per deliveryId), ${ledger.resends} re-sends of a seen deliveryId`,
      `duplicate deliveries ${duplicateDeliveries}  (same change to the same unit under two deliveryIds: ${logical.duplicates}; deliveryId reused for another event: ${ledger.conflictingResends})${logical.examples.length ? ` e.g. ${logical.examples.join('; ')}` : ''}`,
      `SLA events           ${slaCount.length} (${[...slaByType].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}); redelivered records ${sla.redeliveries}`,
      `duplicate SLA events ${sla.duplicates}${sla.examples.length ? `  e.g. ${sla.examples.join('; ')}` : ''}`,
      `duplicate lifecycle  ${once.duplicates}  (assigned/accepted/resolved/closed twice for one case/task)${once.examples.length ? ` e.g. ${once.examples.join('; ')}` : ''}`,
      `duplicate reported   ${rep.duplicates}  (case.reported events per caseId with distinct eventIds; redelivered ${rep.redeliveries})${rep.examples.length ? ` e.g. ${rep.examples.join('; ')}` : ''}`,
      `simulator            partners accepted ${sim.stats.accepted} (late on purpose ${sim.stats.delayedAccepts}), resolved ${sim.stats.resolved}; triage assigned ${sim.stats.triageAssigned}; resident confirmations ${sim.stats.feedbackSent}`,
      `services died        ${deaths.length}${deaths.length ? `  ${deaths.join('; ')} (last lines printed above)` : ''}`,
      `simulator errors     ${[...sim.stats.errors].map(([k, n]) => `${k} ×${n}`).join('; ') || 'none'}`,
      '=============================================================',
    ];
    for (const l of lines) process.stdout.write(`${l}\n`);
    if (!conf.sla)
      warn('SLA policy could not be shortened: duplicate SLA events checked on whatever SLA events occurred');
    if (slaCount.length === 0)
      warn('no SLA event was published: the SLA duplicate check had nothing to check');
    const failedFaults = records.filter((r) => !r.ok).length + FAULTS.length - records.length;
    const bad =
      lostIds.length +
      dupTasks.count +
      duplicateDeliveries +
      sla.duplicates +
      once.duplicates +
      rep.duplicates +
      phantom.length +
      deaths.length +
      load.conflicts.length +
      failedFaults +
      (load.accepted.size < MIN_REPORTS ? 1 : 0) +
      (redisDown201 === 0 ? 1 : 0);
    const final = `faults: accepted=${load.accepted.size} closed=${closed} lost=${lostIds.length} duplicate_tasks=${dupTasks.count} duplicate_deliveries=${duplicateDeliveries} duplicate_sla_events=${sla.duplicates} service_deaths=${deaths.length}`;
    writeFileSync(
      join(logDir, 'summary.json'),
      JSON.stringify(
        {
          lines,
          final,
          records,
          lost: lostIds,
          phantom,
          gaveUp: load.gaveUp,
          rejected: load.rejected.slice(0, 50),
        },
        null,
        2,
      ),
    );
    if (load.accepted.size < MIN_REPORTS)
      warn(`only ${load.accepted.size} reports accepted (< ${MIN_REPORTS})`);
    if (redisDown201 === 0) warn('no report was accepted while Redis was down');
    if (failedFaults) warn(`${failedFaults} fault(s) failed or did not run`);
    process.stdout.write(`${final}\n`);
    return bad === 0 ? 0 : 1;
  } finally {
    clearInterval(watchdog);
    await revival;
    // Each service's metrics at the end (consumer handle times, pool waits) for the post-mortem.
    for (const s of ['intake', 'routing', 'dispatch', 'notification'] as const) {
      const m = await call('GET', `${cluster.url(s)}/metrics`, undefined, {}, 5000);
      if (m.status === 200) writeFileSync(join(logDir, `${s}.metrics.txt`), String(m.body));
    }
    load?.stop();
    await sim?.stop().catch(() => undefined);
    await cluster.stopAll();
    await receiver.stop();
    agent.destroy();
    if (!KEEP) await ns.cleanup().catch(() => undefined);
    else log(`kept namespace ${ns.id} (database ${ns.dbName})`);
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`fault test failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
