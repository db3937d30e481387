import { counter, histogram } from '@app/observability';

export const slaBreaches = counter('sla_breaches_total', 'SLA deadlines breached (fired once each)', [
  'deadline',
]);
export const slaWarnings = counter('sla_warnings_total', 'SLA warnings fired (once per deadline)');
export const slaEscalations = counter('sla_escalations_total', 'SLA escalation steps fired', ['action']);
export const slaFireLag = histogram(
  'sla_fire_lag_seconds',
  'From the instant an SLA timer was due to the transaction that fired it',
  [],
  [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60],
);
export const slaScanSeconds = histogram('sla_scan_seconds', 'One SLA scan: claim due tasks, fire, commit');
export const slaFireErrors = counter(
  'sla_fire_errors_total',
  'Due SLA tasks whose firing failed (retried later)',
);
