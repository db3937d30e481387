import { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker';

/** What the thread was started with, as it sees it. */
function execArgvOf(w: Worker): Promise<string[]> {
  return new Promise((resolve, reject) => {
    w.once('message', (m: string[]) => resolve(m));
    w.once('error', reject);
  });
}

const REPORT = `require('node:worker_threads').parentPort.postMessage(process.execArgv)`;

describe('startWorker', () => {
  it('starts the thread without the process-wide flags Node refuses in one, and names them', async () => {
    const dropped: string[][] = [];
    const w = startWorker(
      REPORT,
      {
        eval: true,
        execArgv: ['--enable-source-maps', '--single-threaded-gc', '--max-old-space-size=512'],
      },
      (flags) => dropped.push(flags),
    );
    try {
      expect(await execArgvOf(w)).toEqual(['--enable-source-maps']);
      expect(dropped).toEqual([['--single-threaded-gc', '--max-old-space-size=512']]);
    } finally {
      await w.terminate();
    }
  });

  it('passes every flag a thread takes, and drops nothing', async () => {
    const dropped: string[][] = [];
    const w = startWorker(REPORT, { eval: true, execArgv: ['--enable-source-maps'] }, (f) => dropped.push(f));
    try {
      expect(await execArgvOf(w)).toEqual(['--enable-source-maps']);
      expect(dropped).toEqual([]);
    } finally {
      await w.terminate();
    }
  });

  it('throws any other failure to start, dropping nothing', () => {
    const dropped: string[][] = [];
    // A function cannot be copied into a thread: DataCloneError, thrown as the Worker is made.
    expect(() =>
      startWorker(REPORT, { eval: true, execArgv: [], workerData: () => 1 }, (f) => dropped.push(f)),
    ).toThrow(/could not be cloned/);
    expect(dropped).toEqual([]);
  });
});
