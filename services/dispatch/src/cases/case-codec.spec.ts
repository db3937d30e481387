import { newCaseState, startSla, transition } from '../domain';
import { decodeCaseState, decodeSlaState, encodeJson } from './case-codec';

describe('case state codec', () => {
  it('round-trips a case state with its instants as Dates', () => {
    const now = new Date('2026-01-05T02:00:00Z');
    const s0 = newCaseState({
      caseId: '3f6c1d0e-4a7b-4c7e-9f55-0d7a4e0b1c11',
      reference: 'WL-1',
      priority: 'normal',
    });
    const { state } = transition(
      s0,
      {
        type: 'route',
        lead: { taskId: '0f6c1d0e-4a7b-4c7e-9f55-0d7a4e0b1c12', unitId: 'u1', unitType: 'police' },
        support: [],
      },
      now,
    );
    const back = decodeCaseState(JSON.parse(encodeJson(state)));
    expect(back).toEqual(state);
    expect(back.tasks[0].assignedAt).toBeInstanceOf(Date);
  });

  it('round-trips an SLA state', () => {
    const sla = startSla(new Date('2026-01-05T02:00:00Z'), {
      policyId: 'p',
      acceptWithinSeconds: 60,
      resolveWithinSeconds: 3600,
      warnAtFraction: 0.8,
      calendar: { kind: '24x7' },
      escalation: [],
    });
    expect(decodeSlaState(JSON.parse(encodeJson(sla)))).toEqual(sla);
  });
});
