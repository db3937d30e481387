import 'reflect-metadata';
import { startNotification } from './app';

startNotification().catch((err: unknown) => {
  process.stderr.write(`notification failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
