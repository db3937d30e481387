import { applyLifecycle, lifecyclePatch, ResidentView } from './resident-view';

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

  it('patches only what the change carries, whatever the current view (the read model writes it blind)', () => {
    expect(
      lifecyclePatch({ type: 'case.progress', status: 'in_progress', residentVisible: false, at }),
    ).toEqual({ patch: { status: 'in_progress' } });
    const closed = lifecyclePatch({
      type: 'case.closed',
      status: 'closed',
      unitName: 'Helper',
      taskRole: 'support',
      residentVisible: true,
      at,
    });
    expect(closed.patch).toEqual({
      status: 'closed',
      infoRequested: false,
      lastResidentNote: expect.any(String),
    });
    expect(closed.entry).toMatchObject({ type: 'case.closed', status: 'closed', at });
    const full: ResidentView = {
      status: 'accepted',
      unitName: 'Lead',
      expectedAt: '2026-11-24T10:00:00.000Z',
      routedCategoryCode: 'drain',
      infoRequested: true,
      mergedIntoReference: null,
      lastResidentNote: 'earlier',
    };
    const change = { type: 'case.progress', status: 'in_progress' as const, residentVisible: false, at };
    expect(applyLifecycle(full, change).view).toEqual({ ...full, status: 'in_progress' });
  });
});
