import { continuesAfter, StepPlan } from './runner';

describe('bench plan: which steps run after a saturated one', () => {
  const plan: StepPlan[] = [
    { rate: 20, seconds: 20, always: true },
    { rate: 50, seconds: 20, always: true },
    { rate: 100, seconds: 60, always: true },
    { rate: 200, seconds: 30 },
    { rate: 400, seconds: 30 },
  ];

  it('goes on to the fixed rates after a saturated step, and stops before the others', () => {
    expect(continuesAfter(plan, 0, false)).toBe(true);
    expect(continuesAfter(plan, 1, false)).toBe(true);
    expect(continuesAfter(plan, 2, false)).toBe(false);
    expect(continuesAfter(plan, 3, false)).toBe(false);
  });

  it('goes on after a step that kept its rate, up to the last', () => {
    expect(continuesAfter(plan, 2, true)).toBe(true);
    expect(continuesAfter(plan, 3, true)).toBe(true);
  });
});
