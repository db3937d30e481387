import type { SlaPolicyDto } from '@app/contracts';

/**
 * Used when a case has no policy from routing (triage without a suggestion, then a manual
 * assignment): accept within 2 h, resolve within 3 days, around the clock.
 */
export const DEFAULT_SLA_POLICY: SlaPolicyDto = {
  policyId: 'dispatch-default',
  name: 'Dispatch default (manual assignment)',
  acceptWithinSeconds: 2 * 3600,
  resolveWithinSeconds: 3 * 24 * 3600,
  warnAtFraction: 0.8,
  calendar: { kind: '24x7' },
  escalation: [],
};
