import { join } from 'node:path';
import { createCeilingSchema, createCeilingTopics, CEILING_ROLES } from '../ceiling/schema';
import type { BenchNamespace } from '../lib/namespace';
import { keepAliveAgent, postJson } from '../lib/load';
import { BenchProcess, freePort, startProcess, DIST_ROOT } from '../lib/procs';
import type { Target } from '../lib/target';

/** Starts the four ceiling stages as separate processes, like the four services. */
export async function startCeiling(ns: BenchNamespace, receiverUrl: string, logDir: string): Promise<Target> {
  const prefix = `${ns.topicPrefix}ceiling.`;
  await createCeilingSchema(ns.databaseUrl);
  await createCeilingTopics(ns.kafka, prefix, ns.partitions);
  const script = join(DIST_ROOT, 'bench', 'ceiling', 'stage.js');
  const ports = new Map<string, number>();
  const processes: BenchProcess[] = [];
  try {
    for (const role of CEILING_ROLES) {
      const port = await freePort();
      ports.set(role, port);
      processes.push(
        await startProcess(
          `ceiling-${role}`,
          script,
          [role],
          {
            ...ns.env,
            CEILING_TOPIC_PREFIX: prefix,
            PORT: String(port),
            RECEIVER_URL: receiverUrl,
            NODE_ENV: 'production',
          },
          port,
          '/health/ready',
          join(logDir, `ceiling-${role}.log`),
          60_000,
        ),
      );
    }
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop()));
    throw err;
  }
  const dispatchUrl = `http://127.0.0.1:${ports.get('dispatch')}`;
  const agent = keepAliveAgent(32);
  return {
    name: 'ceiling',
    reportUrl: `http://127.0.0.1:${ports.get('intake')}/v1/reports`,
    processes,
    groupPrefix: prefix,
    stageTopics: { [`${prefix}routed`]: 'routed', [`${prefix}lifecycle`]: 'assigned' },
    parseArrival(a) {
      const caseId = a.body.caseId;
      const eventType = a.body.eventType;
      return typeof caseId === 'string' && typeof eventType === 'string' ? { caseId, eventType } : undefined;
    },
    async partnerAct(a) {
      const caseId = String(a.body.caseId);
      await postJson(agent, `${dispatchUrl}/tasks/${caseId}/accept`, {});
      await postJson(agent, `${dispatchUrl}/tasks/${caseId}/resolve`, { note: '已处理完毕 (bench)' });
    },
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
      agent.destroy();
    },
  };
}
