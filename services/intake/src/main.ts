import 'reflect-metadata';
import { startIntake } from './app';

startIntake().catch((err: unknown) => {
  process.stderr.write(`intake failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
