import 'reflect-metadata';
import { startDispatch } from './app';

startDispatch().catch((err: unknown) => {
  process.stderr.write(`dispatch failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
