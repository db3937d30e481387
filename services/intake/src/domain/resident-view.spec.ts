import { applyLifecycle, ResidentView } from './resident-view';

describe('resident view', () => {
  const base: ResidentView = { status: 'reported', infoRequested: false };
  const at = '2026-11-23T10:00:00.000Z';

  it('takes status, lead unit, expected time and routed category from lifecycle events', () => {
    const { view, entry } = applyLifecycle(base, {
      type: 'case.assigned',
      status: 'assigned',
      unitName: '阳光物业',
      taskRole: 'lead',
      resolveBy: '2026-11-24T10:00:00.000Z',
      categoryCode: 'drain_blocked',
      residentVisible: true,
      at,
    });
    expect(view).toMatchObject({
      status: 'assigned',
      unitName: '阳光物业',
      expectedAt: '2026-11-24T10:00:00.000Z',
      routedCategoryCode: 'drain_blocked',
    });
    expect(entry).toEqual({
      type: 'case.assigned',
      status: 'assigned',
      note: expect.stringContaining('Assigned'),
      at,
    });
  });

  it('ignores supporting units as the responsible unit and hides non-visible entries', () => {
    const { view, entry } = applyLifecycle(
      { ...base, unitName: 'Lead' },
      {
        type: 'case.assigned',
        status: 'assigned',
        unitName: 'Helper',
        taskRole: 'support',
        residentVisible: false,
        at,
      },
    );
    expect(view.unitName).toBe('Lead');
    expect(entry).toBeUndefined();
  });

  it('tracks whether the center asked for more information', () => {
    const asked = applyLifecycle(base, {
      type: 'case.info-requested',
      status: 'in_progress',
      residentVisible: true,
      residentNote: '请补充照片',
      at,
    });
    expect(asked.view.infoRequested).toBe(true);
    expect(asked.entry?.note).toBe('请补充照片');
    expect(
      applyLifecycle(asked.view, {
        type: 'case.info-provided',
        status: 'in_progress',
        residentVisible: false,
        at,
      }).view.infoRequested,
    ).toBe(false);
  });
});
