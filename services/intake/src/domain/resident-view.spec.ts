import {
  applyLifecycle,
  foldLifecycle,
  LifecycleChange,
  lifecyclePatch,
  ResidentView,
  TimelineEntry,
} from './resident-view';

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
  it('folds a chunk of changes into one patch per case that ends where applying them one by one ends', () => {
    // A seeded generator: the same sequences every run.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
    const types = [
      'case.assigned',
      'case.accepted',
      'case.progress',
      'case.info-requested',
      'case.info-provided',
      'case.resolved',
      'case.closed',
      'case.merged',
      'case.sla-warning',
    ];
    const statuses = ['assigned', 'accepted', 'in_progress', 'resolved', 'closed', 'cancelled'] as const;
    const start: ResidentView = { status: 'reported', infoRequested: false, lastResidentNote: 'received' };
    for (let round = 0; round < 200; round++) {
      const changes = Array.from({ length: 1 + rnd(12) }, (_, i) => {
        const change: LifecycleChange = {
          type: pick(types),
          status: pick(statuses),
          residentVisible: rnd(3) > 0,
          at: new Date(Date.UTC(2026, 10, 23, 10, 0, i)).toISOString(),
          ...(rnd(2) ? { unitName: pick(['阳光物业', 'Water Co', 'Helpers']) } : {}),
          ...(rnd(2) ? { taskRole: pick(['lead', 'support'] as const) } : {}),
          ...(rnd(3) === 0 ? { categoryCode: pick(['drain', 'light']) } : {}),
          ...(rnd(3) === 0 ? { resolveBy: `2026-11-2${rnd(9)}T10:00:00.000Z` } : {}),
          ...(rnd(3) === 0 ? { residentNote: pick(['已签收', '  ', 'on the way']) } : {}),
          ...(rnd(4) === 0 ? { mergedIntoReference: 'R-20261123-0001' } : {}),
        };
        return { caseId: pick(['a', 'b', 'c']), eventId: `e${i}`, change };
      });
      const folded = foldLifecycle(changes);
      expect(folded.map((f) => f.caseId)).toEqual([...new Set(changes.map((c) => c.caseId))]);
      for (const { caseId, patch, entries } of folded) {
        let view = start;
        const expected: (TimelineEntry & { eventId: string })[] = [];
        for (const c of changes.filter((x) => x.caseId === caseId)) {
          const next = applyLifecycle(view, c.change);
          view = next.view;
          if (next.entry) expected.push({ ...next.entry, eventId: c.eventId });
        }
        expect({ ...start, ...patch }).toEqual(view);
        expect(entries).toEqual(expected);
      }
    }
  });
});
