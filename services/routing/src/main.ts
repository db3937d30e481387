import 'reflect-metadata';
import { startRouting } from './app';

startRouting().catch((err: unknown) => {
  process.stderr.write(`routing failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
