import { Worker, WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread started with the given Node flags, less those Node refuses in a thread. Flags that
 * set up the whole process (V8's heap and GC settings, profilers: `--max-old-space-size=…`,
 * `--single-threaded-gc`, `--perf-basic-prof-only-functions`) throw ERR_WORKER_INVALID_EXEC_ARGV in
 * a worker's `execArgv`, yet already hold for every thread of the process: the worker starts without
 * them (`onDropped` names them) instead of the service failing at start because such a flag is on
 * its command line.
 */
export function startWorker(
  file: string | URL,
  options: WorkerOptions & { execArgv: string[] },
  onDropped?: (flags: string[]) => void,
): Worker {
  try {
    return new Worker(file, options);
  } catch (err) {
    const refused = refusedFlags(err);
    if (!refused) throw err;
    onDropped?.(refused);
    return new Worker(file, { ...options, execArgv: options.execArgv.filter((a) => !refused.includes(a)) });
  }
}

/** The flags a worker was refused, from Node's error ("…invalid execArgv flags: --a, --b=1"). */
function refusedFlags(err: unknown): string[] | undefined {
  if ((err as { code?: unknown } | undefined)?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  const listed = /flags: (.+)$/.exec((err as Error).message)?.[1];
  return listed ? listed.split(', ') : undefined;
}
