import { JsonLogger } from '@app/observability';

/**
 * A service's process entry point: starts the app, and makes any error that nothing caught (an
 * 'error' event with no listener, a rejected promise that nobody awaited) one JSON log line with
 * its stack before the process exits 1 — as Node would exit, but with the cause in the service's
 * log instead of a bare stack on stderr. Its supervisor (the orchestrator, docker compose's restart
 * policy) starts it again; no work is lost with it: what was accepted is committed, and what was
 * consumed and not committed is redelivered.
 */
export function runService(service: string, start: () => Promise<unknown>): void {
  const log = new JsonLogger(service, 'process');
  const die = (what: string) => (err: unknown) => {
    log.error(`${what}; the process exits`, err instanceof Error ? err : { reason: String(err) });
    process.exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
  start().catch(die(`${service} failed to start`));
}
