/** Test kit for the consumer runner's unit tests (not built into dist). */

export type EachBatch = (args: unknown) => Promise<void>;

/** A kafkajs stand-in whose `run` hands over the runner's eachBatch. */
export function fakeKafka() {
  const captured: { eachBatch?: EachBatch } = {};
  const kafka = {
    consumer: () => ({
      events: { REQUEST: 'request', GROUP_JOIN: 'group_join', CRASH: 'crash' },
      on: () => undefined,
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async (opts: { eachBatch: EachBatch }) => void (captured.eachBatch = opts.eachBatch),
      disconnect: async () => undefined,
      commitOffsets: async () => undefined,
    }),
  };
  return { kafka, captured };
}

/** What kafkajs passes eachBatch for one partition's messages; resolved offsets go to `resolved`. */
export function eachBatchArgs(
  topic: string,
  partition: number,
  messages: { key: Buffer; value: Buffer; offset: string }[],
  resolved: string[],
) {
  return {
    batch: { topic, partition, messages },
    resolveOffset: (o: string) => void resolved.push(o),
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
    commitOffsetsIfNecessary: async () => undefined,
  };
}
