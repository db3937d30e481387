import { CASE_STATUSES, CaseStatus, DomainError, EVENT_TYPES, Topic } from '@app/contracts';
import fc from 'fast-check';
import {
  allowedCommands,
  allowedTaskCommands,
  CASE_COMMAND_TYPES,
  currentLeadTask,
  isOpenTask,
  newCaseState,
  openTasks,
  transition,
} from './case-machine';
import type {
  CaseCommand,
  CaseCommandType,
  CaseDomainEvent,
  CaseState,
  UnitAssignment,
  UnitRef,
} from './case-machine.types';

// ---------------------------------------------------------------- fixtures

const PROPERTY: UnitRef = { unitId: 'u-property', unitType: 'property_management', unitName: '阳光物业' };
const POLICE: UnitRef = { unitId: 'u-police', unitType: 'police' };
const VOLUNTEER: UnitRef = {
  unitId: 'u-volunteer',
  unitType: 'volunteer_team',
  unitName: '红马甲志愿服务队',
};
const CITY: UnitRef = { unitId: 'u-city', unitType: 'city_management' };
const WATER: UnitRef = { unitId: 'u-water', unitType: 'water_utility' };

const T0 = new Date('2026-11-23T02:00:00Z');
const later = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

let seq = 0;
const nextId = (prefix = 't'): string => `${prefix}-${++seq}`;
const task = (unit: UnitRef, taskId = nextId()): UnitAssignment => ({ ...unit, taskId });

const fresh = (): CaseState =>
  newCaseState({
    caseId: 'case-1',
    reference: 'WL-20261123-000001',
    priority: 'normal',
    categoryCode: 'drain_blocked',
  });

/** Applies commands in order, a minute apart; returns the final state and every event. */
function run(state: CaseState, ...commands: CaseCommand[]): { state: CaseState; events: CaseDomainEvent[] } {
  const events: CaseDomainEvent[] = [];
  let s = state;
  commands.forEach((c, i) => {
    const r = transition(s, c, later(i + 1));
    s = r.state;
    events.push(...r.events);
  });
  return { state: s, events };
}
const apply = (state: CaseState, ...commands: CaseCommand[]): CaseState => run(state, ...commands).state;

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

const taskOf = (s: CaseState, unit: UnitRef, role?: 'lead' | 'support') =>
  [...s.tasks].reverse().find((t) => t.unitId === unit.unitId && (!role || t.role === role))!;
const act = (s: CaseState, unit: UnitRef) => ({ taskId: taskOf(s, unit).taskId, unitId: unit.unitId });

/** Lead 阳光物业, support police and volunteers. */
const assigned = (): CaseState =>
  apply(fresh(), { type: 'route', lead: task(PROPERTY), support: [task(POLICE), task(VOLUNTEER)] });
const accepted = (): CaseState => {
  const s = assigned();
  return apply(s, { type: 'accept', ...act(s, PROPERTY) });
};
const inProgress = (): CaseState => {
  const s = accepted();
  return apply(s, { type: 'progress', ...act(s, PROPERTY), note: '已派两名工程师上门疏通' });
};
/** Lead only, resolved. */
const resolved = (): CaseState => {
  const s0 = apply(fresh(), { type: 'route', lead: task(PROPERTY), support: [] });
  const s1 = apply(s0, { type: 'accept', ...act(s0, PROPERTY) });
  return apply(s1, {
    type: 'resolve',
    ...act(s1, PROPERTY),
    note: '管道已疏通',
    evidence: [{ url: 'https://x/1.jpg' }],
  });
};
const closed = (): CaseState => apply(resolved(), { type: 'verify_close' });

// ---------------------------------------------------------------- the matrix

/** A well-formed command of this type for this state (ids of tasks that fit, when there are some). */
function sample(type: CaseCommandType, s: CaseState, now: Date): CaseCommand {
  const pick = (p: (t: CaseState['tasks'][number]) => boolean) => {
    const t = s.tasks.find(p);
    return t ? { taskId: t.taskId, unitId: t.unitId } : { taskId: 't-none', unitId: 'u-none' };
  };
  const newUnit = (): UnitAssignment => ({ taskId: nextId(), unitId: nextId('u'), unitType: 'community' });
  switch (type) {
    case 'route':
      return { type, lead: newUnit(), support: [newUnit()] };
    case 'triage':
      return { type, reason: 'LOW_CONFIDENCE' };
    case 'assign':
      return { type, lead: newUnit() };
    case 'accept':
      return { type, ...pick((t) => t.status === 'assigned') };
    case 'progress':
      return { type, ...pick((t) => t.status === 'accepted' || t.status === 'in_progress'), note: 'n' };
    case 'return':
      return { type, ...pick(isOpenTask), reason: '不属于本单位职责' };
    case 'request_extension':
      return {
        type,
        ...pick((t) => t.status === 'accepted' || t.status === 'in_progress'),
        reason: '等待配件',
        requestedDueAt: new Date(now.getTime() + 2 * 86_400_000),
      };
    case 'grant_extension':
    case 'refuse_extension':
    case 'verify_close':
    case 'auto_close':
    case 'flag_supervision':
      return { type };
    case 'request_info':
      return { type, question: '请问具体是几号楼？' };
    case 'provide_info':
      return { type, text: '3号楼2单元' };
    case 'resolve':
      return { type, ...pick((t) => t.status === 'accepted' || t.status === 'in_progress'), note: 'done' };
    case 'release_support':
      return { type, taskId: pick((t) => t.role === 'support' && isOpenTask(t)).taskId };
    case 'confirm':
      return { type, satisfaction: 'satisfied' };
    case 'reopen':
      return { type, taskId: nextId(), reason: '问题复发' };
    case 'cancel':
      return { type, reason: '居民撤回' };
    case 'merge':
      return { type, intoCaseId: 'case-2', intoReference: 'WL-20261123-000002' };
  }
}

/** One representative state per status, plus the variants that switch guards. */
const FIXTURES: Array<[string, () => CaseState, CaseCommandType[]]> = [
  ['reported', fresh, ['route', 'triage', 'assign', 'provide_info', 'cancel', 'merge', 'flag_supervision']],
  [
    'routed (treated as reported)',
    () => ({ ...fresh(), status: 'routed' }),
    ['route', 'triage', 'assign', 'provide_info', 'cancel', 'merge', 'flag_supervision'],
  ],
  [
    'triage',
    () => apply(fresh(), { type: 'triage', reason: 'NO_RULE' }),
    ['assign', 'request_info', 'provide_info', 'cancel', 'merge', 'flag_supervision'],
  ],
  [
    'assigned',
    assigned,
    [
      'assign',
      'accept',
      'return',
      'request_info',
      'provide_info',
      'release_support',
      'cancel',
      'merge',
      'flag_supervision',
    ],
  ],
  [
    'accepted',
    accepted,
    [
      'assign',
      'accept',
      'progress',
      'return',
      'request_extension',
      'request_info',
      'provide_info',
      'resolve',
      'release_support',
      'cancel',
      'merge',
      'flag_supervision',
    ],
  ],
  [
    'in_progress',
    inProgress,
    [
      'assign',
      'accept',
      'progress',
      'return',
      'request_extension',
      'request_info',
      'provide_info',
      'resolve',
      'release_support',
      'cancel',
      'merge',
      'flag_supervision',
    ],
  ],
  [
    'in_progress, extension pending, awaiting the resident, flagged',
    () => {
      const s = inProgress();
      return apply(
        s,
        { type: 'request_extension', ...act(s, PROPERTY), reason: '等待配件', requestedDueAt: later(50_000) },
        { type: 'request_info', question: '几号楼？' },
        { type: 'flag_supervision' },
      );
    },
    [
      'assign',
      'accept',
      'progress',
      'return',
      'grant_extension',
      'refuse_extension',
      'provide_info',
      'resolve',
      'release_support',
      'cancel',
      'merge',
    ],
  ],
  [
    'in_progress, lead resolved, one support still open',
    () => {
      const s = inProgress();
      return apply(
        s,
        { type: 'release_support', taskId: taskOf(s, POLICE).taskId },
        { type: 'resolve', ...act(s, PROPERTY), note: 'done' },
      );
    },
    [
      'accept',
      'return',
      'request_info',
      'provide_info',
      'release_support',
      'cancel',
      'merge',
      'flag_supervision',
    ],
  ],
  [
    'resolved',
    resolved,
    [
      'provide_info',
      'confirm',
      'verify_close',
      'auto_close',
      'reopen',
      'cancel',
      'merge',
      'flag_supervision',
    ],
  ],
  ['closed', closed, ['reopen']],
  ['cancelled', () => apply(assigned(), { type: 'cancel', reason: '重复' }), []],
  ['merged', () => apply(assigned(), { type: 'merge', intoCaseId: 'case-2' }), []],
];

describe('transition matrix: every (state, command) pair', () => {
  it('has every command type once and a fixture for every status', () => {
    expect(new Set(CASE_COMMAND_TYPES).size).toBe(CASE_COMMAND_TYPES.length);
    expect(CASE_COMMAND_TYPES).toHaveLength(20);
    const statuses = new Set(FIXTURES.map(([, make]) => make().status));
    expect([...statuses].sort()).toEqual([...CASE_STATUSES].sort());
  });

  describe.each(FIXTURES)('%s', (_name, make, expected) => {
    it('allows exactly the documented commands', () => {
      expect(allowedCommands(make())).toEqual(expected);
    });

    it.each(CASE_COMMAND_TYPES.map((c) => [c]))('%s', (type) => {
      const state = make();
      const now = later(10_000);
      const command = sample(type, state, now);
      if (expected.includes(type)) {
        const r = transition(state, command, now);
        expect(r.events.length).toBeGreaterThan(0);
        for (const e of r.events) expect(e.status).toBe(r.state.status);
      } else {
        const err = refusal(() => transition(state, command, now));
        expect(err.code).toBe('DISPATCH.INVALID_TRANSITION');
        expect(err.status).toBe(409);
        expect(err.details).toEqual({ from: state.status, command: type, allowed: expected });
      }
    });
  });

  it('refuses everything on a final case but reopen on closed', () => {
    for (const [, make] of FIXTURES) {
      const s = make();
      if (!['closed', 'cancelled', 'merged'].includes(s.status)) continue;
      expect(allowedCommands(s)).toEqual(s.status === 'closed' ? ['reopen'] : []);
    }
  });
});

// ---------------------------------------------------------------- paths

describe('lead and support units (主办 + 协办)', () => {
  it('runs the whole loop: routed, signed for, handled, resolved when every support is done, confirmed', () => {
    const route = run(fresh(), {
      type: 'route',
      lead: task(PROPERTY, 'lead-1'),
      support: [task(POLICE, 'sup-police'), task(VOLUNTEER, 'sup-vol')],
      priority: 'high',
      categoryCode: 'sewage_overflow',
    });
    let s = route.state;
    expect(s).toMatchObject({ status: 'assigned', priority: 'high', categoryCode: 'sewage_overflow' });
    expect(s.tasks.map((t) => [t.taskId, t.role, t.status])).toEqual([
      ['lead-1', 'lead', 'assigned'],
      ['sup-police', 'support', 'assigned'],
      ['sup-vol', 'support', 'assigned'],
    ]);
    expect(route.events.map((e) => [e.type, e.taskId, e.taskRole, e.residentVisible])).toEqual([
      ['case.assigned', 'lead-1', 'lead', true],
      ['case.assigned', 'sup-police', 'support', false],
      ['case.assigned', 'sup-vol', 'support', false],
    ]);
    expect(route.events[0]).toMatchObject({
      caseId: 'case-1',
      reference: 'WL-20261123-000001',
      actorKind: 'system',
      unitName: '阳光物业',
      residentNote: '已派发至阳光物业办理 / Assigned to 阳光物业',
      at: later(1),
    });

    let r = transition(s, { type: 'accept', taskId: 'sup-police', unitId: POLICE.unitId }, later(2));
    expect(r.state.status).toBe('assigned');
    expect(r.events[0]).toMatchObject({ type: 'case.accepted', taskRole: 'support', residentVisible: false });
    s = r.state;

    r = transition(
      s,
      { type: 'accept', taskId: 'lead-1', unitId: PROPERTY.unitId, actorId: 'engineer-7' },
      later(3),
    );
    expect(r.state.status).toBe('accepted');
    expect(r.events[0]).toMatchObject({
      type: 'case.accepted',
      actorKind: 'unit',
      actorId: 'engineer-7',
      residentVisible: true,
      residentNote: '已由阳光物业签收 / Accepted by 阳光物业',
    });
    expect(taskOf(r.state, PROPERTY).acceptedAt).toEqual(later(3));
    s = r.state;

    r = transition(
      s,
      { type: 'progress', taskId: 'sup-police', unitId: POLICE.unitId, note: '调取监控' },
      later(4),
    );
    expect(r.state.status).toBe('accepted');
    expect(r.events[0]).toMatchObject({ type: 'case.progress', note: '调取监控', residentVisible: false });
    s = r.state;

    r = transition(
      s,
      { type: 'progress', taskId: 'lead-1', unitId: PROPERTY.unitId, note: '工程师已到场' },
      later(5),
    );
    expect(r.state.status).toBe('in_progress');
    expect(r.events[0]).toMatchObject({
      residentVisible: true,
      residentNote: '阳光物业正在处理 / 阳光物业 is handling it',
    });
    s = r.state;

    r = transition(
      s,
      { type: 'resolve', taskId: 'sup-police', unitId: POLICE.unitId, note: '已查明' },
      later(6),
    );
    expect(r.state.status).toBe('in_progress');
    expect(r.events.map((e) => [e.type, e.taskStatus])).toEqual([['case.progress', 'resolved']]);
    s = r.state;

    const evidence = [{ url: 'https://files/after.jpg', contentType: 'image/jpeg' }];
    r = transition(
      s,
      { type: 'resolve', taskId: 'lead-1', unitId: PROPERTY.unitId, note: '已疏通', evidence },
      later(7),
    );
    expect(r.state.status).toBe('in_progress');
    expect(r.state.resolution).toEqual({
      taskId: 'lead-1',
      unitId: PROPERTY.unitId,
      note: '已疏通',
      evidence,
      resolvedAt: later(7),
    });
    expect(r.events).toEqual([
      expect.objectContaining({
        type: 'case.progress',
        taskId: 'lead-1',
        taskStatus: 'resolved',
        residentVisible: true,
      }),
    ]);
    s = r.state;

    r = transition(s, { type: 'accept', taskId: 'sup-vol', unitId: VOLUNTEER.unitId }, later(8));
    expect(r.state.status).toBe('in_progress');
    s = r.state;
    r = transition(
      s,
      { type: 'resolve', taskId: 'sup-vol', unitId: VOLUNTEER.unitId, note: '已送餐' },
      later(9),
    );
    expect(r.state.status).toBe('resolved');
    expect(r.events.map((e) => [e.type, e.taskId])).toEqual([
      ['case.progress', 'sup-vol'],
      ['case.resolved', 'lead-1'],
    ]);
    expect(r.events[1]).toMatchObject({
      note: '已疏通',
      evidence,
      residentVisible: true,
      residentNote: '阳光物业已办结，请确认并评价 / Resolved by 阳光物业; please confirm and rate it',
    });
    s = r.state;

    r = transition(s, { type: 'confirm', satisfaction: 'basically_satisfied', comment: '还行' }, later(10));
    expect(r.state).toMatchObject({
      status: 'closed',
      closedHow: 'resident_confirmed',
      satisfaction: 'basically_satisfied',
      closedAt: later(10),
    });
    expect(r.events).toEqual([
      expect.objectContaining({
        type: 'case.closed',
        actorKind: 'resident',
        closedHow: 'resident_confirmed',
        satisfaction: 'basically_satisfied',
        comment: '还行',
        residentVisible: true,
      }),
    ]);
  });

  it('resolves at once when the lead resolves and no support task is open', () => {
    const s = resolved();
    expect(s.status).toBe('resolved');
    expect(s.resolution?.note).toBe('管道已疏通');
  });

  it('resolves when the center releases the last open support after the lead resolved', () => {
    const s0 = inProgress();
    const s1 = apply(
      s0,
      { type: 'resolve', ...act(s0, PROPERTY), note: 'done' },
      { type: 'release_support', taskId: taskOf(s0, POLICE).taskId, reason: '无需协办' },
    );
    expect(s1.status).toBe('in_progress');
    const r = transition(s1, { type: 'release_support', taskId: taskOf(s1, VOLUNTEER).taskId }, later(50));
    expect(r.state.status).toBe('resolved');
    expect(taskOf(r.state, VOLUNTEER).status).toBe('released');
    expect(r.events.map((e) => e.type)).toEqual(['case.progress', 'case.resolved']);
    expect(r.events[0]).toMatchObject({
      actorKind: 'staff',
      taskStatus: 'released',
      endedTasks: [
        {
          taskId: taskOf(s1, VOLUNTEER).taskId,
          unitId: VOLUNTEER.unitId,
          role: 'support',
          status: 'released',
        },
      ],
    });
  });

  it('resolves when the last open support returns its task after the lead resolved', () => {
    const s0 = inProgress();
    const s1 = apply(
      s0,
      { type: 'release_support', taskId: taskOf(s0, POLICE).taskId },
      { type: 'resolve', ...act(s0, PROPERTY), note: 'done' },
    );
    const r = transition(s1, { type: 'return', ...act(s1, VOLUNTEER), reason: '不在服务范围' }, later(50));
    expect(r.state.status).toBe('resolved');
    expect(r.state.returnedUnitIds).toEqual([VOLUNTEER.unitId]);
    expect(r.events.map((e) => e.type)).toEqual(['case.returned', 'case.resolved']);
  });

  it('lets the center release an open support task only', () => {
    const s = inProgress();
    expect(
      refusal(() => transition(s, { type: 'release_support', taskId: taskOf(s, PROPERTY).taskId }, later(9))),
    ).toMatchObject({ code: 'DISPATCH.TASK_NOT_FOUND', status: 404 });
    const released = apply(s, { type: 'release_support', taskId: taskOf(s, POLICE).taskId });
    expect(
      refusal(() =>
        transition(released, { type: 'release_support', taskId: taskOf(s, POLICE).taskId }, later(9)),
      ),
    ).toMatchObject({ code: 'DISPATCH.TASK_NOT_FOUND' });
  });
});

describe('return (退单) and re-routing', () => {
  it('sends the case back to routing when the lead returns: reported, unit excluded, supports released', () => {
    const s0 = accepted();
    const s1 = apply(s0, {
      type: 'request_extension',
      ...act(s0, PROPERTY),
      reason: 'x',
      requestedDueAt: later(9000),
    });
    const r = transition(s1, { type: 'return', ...act(s1, PROPERTY), reason: '这是供水公司的事' }, later(20));
    expect(r.state.status).toBe('reported');
    expect(r.state.returnedUnitIds).toEqual([PROPERTY.unitId]);
    expect(r.state.returnCount).toBe(1);
    expect(r.state.pendingExtension).toBeUndefined();
    expect(openTasks(r.state)).toEqual([]);
    expect(taskOf(r.state, PROPERTY)).toMatchObject({
      status: 'returned',
      returnedReason: '这是供水公司的事',
      endedAt: later(20),
    });
    expect(taskOf(r.state, POLICE).status).toBe('released');
    expect(r.events).toEqual([
      expect.objectContaining({
        type: 'case.returned',
        status: 'reported',
        taskRole: 'lead',
        reason: '这是供水公司的事',
        awaitingReroute: true,
        excludedUnitIds: [PROPERTY.unitId],
        returnCount: 1,
        endedTasks: [
          { taskId: taskOf(s0, POLICE).taskId, unitId: POLICE.unitId, role: 'support', status: 'released' },
          {
            taskId: taskOf(s0, VOLUNTEER).taskId,
            unitId: VOLUNTEER.unitId,
            role: 'support',
            status: 'released',
          },
        ],
        residentVisible: true,
      }),
    ]);
  });

  it('refuses routing again to a unit that returned the case; routes elsewhere', () => {
    const s0 = assigned();
    const s1 = apply(s0, { type: 'return', ...act(s0, PROPERTY), reason: '不归我们管' });
    const err = refusal(() =>
      transition(s1, { type: 'route', lead: task(PROPERTY), support: [task(POLICE)] }, later(30)),
    );
    expect(err).toMatchObject({
      code: 'DISPATCH.UNIT_EXCLUDED',
      status: 409,
      details: { unitIds: [PROPERTY.unitId] },
    });
    const s2 = apply(s1, { type: 'route', lead: task(WATER), support: [task(POLICE)] });
    expect(s2.status).toBe('assigned');
    expect(currentLeadTask(s2)?.unitId).toBe(WATER.unitId);
    expect(openTasks(s2).map((t) => t.unitId)).toEqual([WATER.unitId, POLICE.unitId]);
  });

  it('goes to triage after repeated returns, where the center may still choose an excluded unit', () => {
    const s0 = assigned();
    const s1 = apply(s0, { type: 'return', ...act(s0, PROPERTY), reason: '不归我们管' });
    const s2 = apply(s1, { type: 'route', lead: task(CITY), support: [] });
    const s3 = apply(s2, { type: 'return', ...act(s2, CITY), reason: '也不归我们管' });
    expect(s3).toMatchObject({
      status: 'reported',
      returnCount: 2,
      returnedUnitIds: [PROPERTY.unitId, CITY.unitId],
    });
    const r = run(s3, { type: 'triage', reason: 'TOO_MANY_RETURNS', reasons: ['returned twice'] });
    expect(r.state.status).toBe('triage');
    expect(r.events[0]).toMatchObject({
      type: 'case.triaged',
      reason: 'TOO_MANY_RETURNS',
      note: 'returned twice',
    });
    const s4 = apply(r.state, {
      type: 'assign',
      lead: task(PROPERTY),
      reason: '物业负责公共管道',
      actorId: 'staff-1',
    });
    expect(s4.status).toBe('assigned');
    expect(currentLeadTask(s4)?.unitId).toBe(PROPERTY.unitId);
  });

  it('keeps the case where it is when a support unit returns', () => {
    const s0 = accepted();
    const r = transition(s0, { type: 'return', ...act(s0, VOLUNTEER), reason: '不在服务范围' }, later(20));
    expect(r.state.status).toBe('accepted');
    expect(r.state).toMatchObject({ returnCount: 1, returnedUnitIds: [VOLUNTEER.unitId] });
    expect(r.events).toEqual([
      expect.objectContaining({
        type: 'case.returned',
        taskRole: 'support',
        awaitingReroute: false,
        residentVisible: false,
      }),
    ]);
  });

  it('counts every return but lists a unit once', () => {
    const s0 = assigned();
    const s1 = apply(s0, { type: 'return', ...act(s0, PROPERTY), reason: 'a' });
    const s2 = apply(s1, { type: 'triage', reason: 'NO_RULE' }, { type: 'assign', lead: task(PROPERTY) });
    const s3 = apply(s2, { type: 'return', ...act(s2, PROPERTY), reason: 'b' });
    expect(s3).toMatchObject({ returnCount: 2, returnedUnitIds: [PROPERTY.unitId] });
  });
});

describe('reassignment by the center', () => {
  it('releases the open lead task and creates a new one; the case starts over at assigned', () => {
    const s0 = inProgress();
    const oldLead = taskOf(s0, PROPERTY);
    const r = transition(
      s0,
      { type: 'assign', lead: task(WATER, 'lead-2'), reason: '主管道问题', actorId: 'staff-9' },
      later(30),
    );
    expect(r.state.status).toBe('assigned');
    expect(taskOf(r.state, PROPERTY)).toMatchObject({ status: 'released', endedAt: later(30) });
    expect(currentLeadTask(r.state)?.taskId).toBe('lead-2');
    expect(r.events).toEqual([
      expect.objectContaining({
        type: 'case.assigned',
        actorKind: 'staff',
        actorId: 'staff-9',
        taskId: 'lead-2',
        previousTaskId: oldLead.taskId,
        previousUnitId: PROPERTY.unitId,
        reason: '主管道问题',
        endedTasks: [{ taskId: oldLead.taskId, unitId: PROPERTY.unitId, role: 'lead', status: 'released' }],
        residentNote: '已派发至供水公司办理 / Assigned to Water utility',
      }),
    ]);
    // supports keep going
    expect(
      openTasks(r.state)
        .map((t) => t.unitId)
        .sort(),
    ).toEqual([POLICE.unitId, VOLUNTEER.unitId, WATER.unitId].sort());
  });

  it('promotes a support unit to lead by releasing its support task, and skips supports already working', () => {
    const s0 = accepted();
    const r = transition(
      s0,
      {
        type: 'assign',
        lead: task(POLICE, 'lead-p'),
        support: [task(VOLUNTEER), task(PROPERTY, 'sup-prop')],
      },
      later(30),
    );
    expect(taskOf(r.state, POLICE, 'support').status).toBe('released');
    expect(taskOf(r.state, POLICE, 'lead').taskId).toBe('lead-p');
    expect(r.state.tasks.filter((t) => t.unitId === VOLUNTEER.unitId)).toHaveLength(1);
    expect(taskOf(r.state, PROPERTY, 'support')).toMatchObject({ taskId: 'sup-prop', status: 'assigned' });
    expect(r.events.map((e) => [e.type, e.taskId])).toEqual([
      ['case.assigned', 'lead-p'],
      ['case.assigned', 'sup-prop'],
    ]);
  });

  it('drops the extension the replaced lead had asked for', () => {
    const s0 = accepted();
    const s1 = apply(s0, {
      type: 'request_extension',
      ...act(s0, PROPERTY),
      reason: 'x',
      requestedDueAt: later(9000),
    });
    expect(apply(s1, { type: 'assign', lead: task(WATER) }).pendingExtension).toBeUndefined();
  });

  it('refuses reassigning to the same lead unit', () => {
    expect(
      refusal(() => transition(accepted(), { type: 'assign', lead: task(PROPERTY) }, later(30))),
    ).toMatchObject({
      code: 'DISPATCH.INVALID_COMMAND',
      status: 400,
    });
  });
});

describe('closing and reopening (回访, 重办)', () => {
  it('reopens to the same lead unit when the resident is unsatisfied', () => {
    const s0 = resolved();
    const oldLead = currentLeadTask(s0)!;
    const r = transition(
      s0,
      { type: 'confirm', satisfaction: 'unsatisfied', comment: '还是堵', reopenTaskId: 'lead-again' },
      later(100),
    );
    expect(r.state).toMatchObject({ status: 'assigned', reopenCount: 1, satisfaction: 'unsatisfied' });
    expect(r.state.resolution).toBeUndefined();
    expect(currentLeadTask(r.state)).toMatchObject({
      taskId: 'lead-again',
      unitId: PROPERTY.unitId,
      role: 'lead',
      status: 'assigned',
      assignedAt: later(100),
    });
    expect(oldLead.status).toBe('resolved');
    expect(r.events).toEqual([
      expect.objectContaining({
        type: 'case.reopened',
        actorKind: 'resident',
        taskId: 'lead-again',
        previousTaskId: oldLead.taskId,
        satisfaction: 'unsatisfied',
        comment: '还是堵',
        reopenCount: 1,
        residentNote: '已重新交阳光物业办理 / Reopened; 阳光物业 will handle it again',
      }),
    ]);
    // and the loop runs again
    const s1 = apply(
      r.state,
      { type: 'accept', taskId: 'lead-again', unitId: PROPERTY.unitId },
      { type: 'resolve', taskId: 'lead-again', unitId: PROPERTY.unitId, note: '更换管道' },
      { type: 'confirm', satisfaction: 'satisfied' },
    );
    expect(s1).toMatchObject({
      status: 'closed',
      closedHow: 'resident_confirmed',
      satisfaction: 'satisfied',
      reopenCount: 1,
    });
  });

  it('needs the new task id to reopen on an unsatisfied rating', () => {
    expect(
      refusal(() => transition(resolved(), { type: 'confirm', satisfaction: 'unsatisfied' }, later(100))),
    ).toMatchObject({
      code: 'DISPATCH.INVALID_COMMAND',
      status: 400,
      details: { field: 'reopenTaskId' },
    });
  });

  it('closes automatically when the resident does not answer in time', () => {
    const r = transition(resolved(), { type: 'auto_close' }, later(100));
    expect(r.state).toMatchObject({ status: 'closed', closedHow: 'auto_closed', closedAt: later(100) });
    expect(r.state.satisfaction).toBeUndefined();
    expect(r.events[0]).toMatchObject({ type: 'case.closed', actorKind: 'system', closedHow: 'auto_closed' });
  });

  it('closes on the center verification', () => {
    const r = transition(
      resolved(),
      { type: 'verify_close', note: '现场核实', actorId: 'staff-2' },
      later(100),
    );
    expect(r.state).toMatchObject({ status: 'closed', closedHow: 'center_verified' });
    expect(r.events[0]).toMatchObject({
      actorKind: 'staff',
      note: '现场核实',
      residentNote: '已办结销号，感谢您的反映 / Closed. Thank you for reporting it',
    });
  });

  it('lets the center reopen a closed case, to the last lead unit or another', () => {
    const s0 = closed();
    const same = transition(s0, { type: 'reopen', taskId: 'r-1', reason: '复查发现未修好' }, later(200));
    expect(same.state).toMatchObject({ status: 'assigned', reopenCount: 1 });
    expect(same.state.closedHow).toBeUndefined();
    expect(same.state.closedAt).toBeUndefined();
    expect(currentLeadTask(same.state)?.unitId).toBe(PROPERTY.unitId);
    const other = transition(s0, { type: 'reopen', taskId: 'r-2', reason: '转城管', unit: CITY }, later(200));
    expect(currentLeadTask(other.state)).toMatchObject({
      taskId: 'r-2',
      unitId: CITY.unitId,
      unitType: 'city_management',
    });
    expect(other.events[0]).toMatchObject({ type: 'case.reopened', reason: '转城管', actorKind: 'staff' });
    expect(
      refusal(() =>
        transition(s0, { type: 'reopen', taskId: currentLeadTask(s0)!.taskId, reason: 'x' }, later(200)),
      ),
    ).toMatchObject({ code: 'DISPATCH.INVALID_COMMAND' });
    expect(
      refusal(() => transition(s0, { type: 'reopen', taskId: 'r-3', reason: ' ' }, later(200))),
    ).toMatchObject({
      code: 'DISPATCH.INVALID_COMMAND',
      details: { field: 'reason' },
    });
  });
});

describe('cancel and merge', () => {
  it('cancels every open task and tells their units', () => {
    const s0 = accepted();
    const r = transition(s0, { type: 'cancel', reason: '居民撤回', actorId: 'staff-1' }, later(30));
    expect(r.state.status).toBe('cancelled');
    expect(openTasks(r.state)).toEqual([]);
    expect(r.state.tasks.every((t) => t.status === 'cancelled')).toBe(true);
    expect(r.events[0]).toMatchObject({ type: 'case.cancelled', reason: '居民撤回', residentVisible: true });
    expect(r.events[0].endedTasks).toHaveLength(3);
  });

  it('merges into another case, ends the tasks and takes nothing afterwards', () => {
    const s0 = apply(inProgress(), { type: 'request_info', question: '几楼？' });
    const r = transition(
      s0,
      { type: 'merge', intoCaseId: 'case-9', intoReference: 'WL-20261123-000009' },
      later(30),
    );
    expect(r.state).toMatchObject({ status: 'merged', mergedInto: 'case-9' });
    expect(r.state.awaitingResidentSince).toBeUndefined();
    expect(r.events[0]).toMatchObject({
      type: 'case.merged',
      mergedInto: 'case-9',
      mergedIntoReference: 'WL-20261123-000009',
      residentNote: '已与案件WL-20261123-000009合并办理 / Merged into case WL-20261123-000009',
    });
    expect(allowedCommands(r.state)).toEqual([]);
    expect(
      refusal(() => transition(r.state, { type: 'reopen', taskId: 'x', reason: 'x' }, later(40))),
    ).toMatchObject({
      code: 'DISPATCH.INVALID_TRANSITION',
      details: { from: 'merged', command: 'reopen', allowed: [] },
    });
  });

  it('refuses merging a case into itself', () => {
    expect(
      refusal(() => transition(fresh(), { type: 'merge', intoCaseId: 'case-1' }, later(1))),
    ).toMatchObject({
      code: 'DISPATCH.INVALID_COMMAND',
    });
  });
});

describe('extensions (申请延期)', () => {
  it('asks, then grants the requested date', () => {
    const s0 = inProgress();
    const due = later(5000);
    const asked = run(s0, {
      type: 'request_extension',
      ...act(s0, PROPERTY),
      reason: '等待配件到货',
      requestedDueAt: due,
    });
    expect(asked.state.pendingExtension).toEqual({
      taskId: taskOf(s0, PROPERTY).taskId,
      unitId: PROPERTY.unitId,
      requestedDueAt: due,
      reason: '等待配件到货',
      requestedAt: later(1),
    });
    expect(asked.events[0]).toMatchObject({
      type: 'case.extension-requested',
      requestedDueAt: due,
      residentVisible: false,
    });
    const granted = transition(asked.state, { type: 'grant_extension', actorId: 'staff-1' }, later(10));
    expect(granted.state.pendingExtension).toBeUndefined();
    expect(granted.state.status).toBe('in_progress');
    expect(granted.events[0]).toMatchObject({
      type: 'case.extension-granted',
      taskId: taskOf(s0, PROPERTY).taskId,
      dueAt: due,
      requestedDueAt: due,
      residentVisible: true,
    });
  });

  it('grants a different date than asked, refuses a date in the past', () => {
    const s0 = inProgress();
    const s1 = apply(s0, {
      type: 'request_extension',
      ...act(s0, PROPERTY),
      reason: 'x',
      requestedDueAt: later(5000),
    });
    const r = transition(s1, { type: 'grant_extension', dueAt: later(3000) }, later(10));
    expect(r.events[0]).toMatchObject({ dueAt: later(3000), requestedDueAt: later(5000) });
    expect(
      refusal(() => transition(s1, { type: 'grant_extension', dueAt: later(5) }, later(10))),
    ).toMatchObject({
      code: 'DISPATCH.INVALID_COMMAND',
      details: { field: 'dueAt' },
    });
  });

  it('refuses: the pending request is dropped', () => {
    const s0 = inProgress();
    const s1 = apply(s0, {
      type: 'request_extension',
      ...act(s0, PROPERTY),
      reason: 'x',
      requestedDueAt: later(5000),
    });
    const r = transition(s1, { type: 'refuse_extension', reason: '不符合延期条件' }, later(10));
    expect(r.state.pendingExtension).toBeUndefined();
    expect(r.events[0]).toMatchObject({
      type: 'case.extension-refused',
      reason: '不符合延期条件',
      requestedDueAt: later(5000),
    });
  });

  it('needs a signed-for task, a reason, a later date, and one request at a time', () => {
    const s0 = assigned();
    expect(
      refusal(() =>
        transition(
          s0,
          { type: 'request_extension', ...act(s0, PROPERTY), reason: 'x', requestedDueAt: later(5000) },
          later(1),
        ),
      ),
    ).toMatchObject({ code: 'DISPATCH.INVALID_TRANSITION' });
    const s1 = apply(s0, { type: 'accept', ...act(s0, POLICE) });
    expect(
      refusal(() =>
        transition(
          s1,
          { type: 'request_extension', ...act(s1, PROPERTY), reason: 'x', requestedDueAt: later(5000) },
          later(3),
        ),
      ),
    ).toMatchObject({ code: 'DISPATCH.INVALID_TASK_STATUS', status: 409 });
    expect(
      refusal(() =>
        transition(
          s1,
          { type: 'request_extension', ...act(s1, POLICE), reason: 'x', requestedDueAt: later(2) },
          later(3),
        ),
      ),
    ).toMatchObject({ code: 'DISPATCH.INVALID_COMMAND', details: { field: 'requestedDueAt' } });
    expect(
      refusal(() =>
        transition(
          s1,
          { type: 'request_extension', ...act(s1, POLICE), reason: '', requestedDueAt: later(5000) },
          later(3),
        ),
      ),
    ).toMatchObject({ code: 'DISPATCH.INVALID_COMMAND', details: { field: 'reason' } });
    const s2 = apply(s1, {
      type: 'request_extension',
      ...act(s1, POLICE),
      reason: 'x',
      requestedDueAt: later(5000),
    });
    expect(allowedCommands(s2)).not.toContain('request_extension');
  });

  it('drops a pending request when its task resolves', () => {
    const s0 = inProgress();
    const s1 = apply(s0, {
      type: 'request_extension',
      ...act(s0, PROPERTY),
      reason: 'x',
      requestedDueAt: later(5000),
    });
    const s2 = apply(s1, { type: 'resolve', ...act(s1, PROPERTY), note: '提前完成' });
    expect(s2.pendingExtension).toBeUndefined();
  });
});

describe('information from the resident (SLA pauses)', () => {
  it('asks and gets an answer; the answer tells when the pause began', () => {
    const s0 = inProgress();
    const asked = transition(s0, { type: 'request_info', question: '请问是几号楼几单元？' }, later(10));
    expect(asked.state.awaitingResidentSince).toEqual(later(10));
    expect(asked.events[0]).toMatchObject({
      type: 'case.info-requested',
      residentVisible: true,
      residentNote: '请补充信息：请问是几号楼几单元？ / Please tell us more: 请问是几号楼几单元？',
    });
    expect(allowedCommands(asked.state)).not.toContain('request_info');
    const answered = transition(asked.state, { type: 'provide_info', text: '3号楼2单元' }, later(40));
    expect(answered.state.awaitingResidentSince).toBeUndefined();
    expect(answered.events[0]).toMatchObject({
      type: 'case.info-provided',
      actorKind: 'resident',
      note: '3号楼2单元',
      pausedSince: later(10),
    });
  });

  it('takes unsolicited information without a pause', () => {
    const r = transition(assigned(), { type: 'provide_info', text: '还有异味' }, later(10));
    expect(r.events[0].pausedSince).toBeUndefined();
  });

  it('ends the wait when the case resolves', () => {
    const s0 = apply(resolved(), { type: 'reopen', taskId: 'r-1', reason: 'x' });
    const s1 = apply(
      s0,
      { type: 'request_info', question: '?' },
      { type: 'accept', taskId: 'r-1', unitId: PROPERTY.unitId },
    );
    expect(s1.awaitingResidentSince).toBeDefined();
    const s2 = apply(s1, { type: 'resolve', taskId: 'r-1', unitId: PROPERTY.unitId, note: 'done' });
    expect(s2.status).toBe('resolved');
    expect(s2.awaitingResidentSince).toBeUndefined();
  });
});

describe('a unit acts only on its own open task', () => {
  const s = accepted();
  const lead = taskOf(s, PROPERTY);

  it.each<[string, CaseCommand]>([
    ['another unit’s task', { type: 'progress', taskId: lead.taskId, unitId: POLICE.unitId, note: 'n' }],
    ['an unknown task', { type: 'accept', taskId: 'nope', unitId: POLICE.unitId }],
    [
      'another unit’s task (return)',
      { type: 'return', taskId: lead.taskId, unitId: VOLUNTEER.unitId, reason: 'r' },
    ],
  ])('refuses %s with DISPATCH.TASK_NOT_FOUND (404)', (_name, command) => {
    expect(refusal(() => transition(s, command, later(20)))).toMatchObject({
      code: 'DISPATCH.TASK_NOT_FOUND',
      status: 404,
      details: { taskId: command.type === 'accept' ? 'nope' : lead.taskId },
    });
  });

  it('refuses a task that is no longer open with 404', () => {
    const s1 = apply(s, { type: 'return', ...act(s, POLICE), reason: '不归派出所' });
    expect(
      refusal(() =>
        transition(
          s1,
          { type: 'accept', taskId: taskOf(s, POLICE).taskId, unitId: POLICE.unitId },
          later(20),
        ),
      ),
    ).toMatchObject({ code: 'DISPATCH.TASK_NOT_FOUND', status: 404 });
  });

  it.each<[string, CaseCommand, string[]]>([
    ['accepting twice', { type: 'accept', ...act(s, PROPERTY) }, ['assigned']],
    [
      'progress before signing for it',
      { type: 'progress', ...act(s, POLICE), note: 'n' },
      ['accepted', 'in_progress'],
    ],
    [
      'resolving before signing for it',
      { type: 'resolve', ...act(s, VOLUNTEER), note: 'n' },
      ['accepted', 'in_progress'],
    ],
  ])('refuses %s with DISPATCH.INVALID_TASK_STATUS (409)', (_name, command, expected) => {
    const err = refusal(() => transition(s, command, later(20)));
    expect(err).toMatchObject({ code: 'DISPATCH.INVALID_TASK_STATUS', status: 409 });
    expect(err.details).toMatchObject({ command: command.type, expected });
  });

  it('lists the commands each task takes', () => {
    expect(allowedTaskCommands(s, lead.taskId)).toEqual([
      'progress',
      'return',
      'request_extension',
      'resolve',
    ]);
    expect(allowedTaskCommands(s, taskOf(s, POLICE).taskId)).toEqual(['accept', 'return', 'release_support']);
    expect(allowedTaskCommands(s, 'nope')).toEqual([]);
    expect(allowedTaskCommands(resolved(), currentLeadTask(resolved())!.taskId)).toEqual([]);
  });
});

describe('routing and assignment input', () => {
  it.each<[string, CaseCommand, string]>([
    [
      'a task id used twice',
      { type: 'route', lead: task(PROPERTY, 'same'), support: [task(POLICE, 'same')] },
      'taskId',
    ],
    ['a unit listed twice', { type: 'route', lead: task(PROPERTY), support: [task(PROPERTY)] }, 'support'],
    ['an empty task id', { type: 'assign', lead: task(PROPERTY, '') }, 'taskId'],
  ])('refuses %s with DISPATCH.INVALID_COMMAND (400)', (_name, command, field) => {
    expect(refusal(() => transition(fresh(), command, later(1)))).toMatchObject({
      code: 'DISPATCH.INVALID_COMMAND',
      status: 400,
      details: { field },
    });
  });

  it('refuses a task id the case already has', () => {
    const s = assigned();
    expect(
      refusal(() => transition(s, { type: 'assign', lead: task(WATER, taskOf(s, POLICE).taskId) }, later(5))),
    ).toMatchObject({ code: 'DISPATCH.INVALID_COMMAND', details: { field: 'taskId' } });
  });

  it('names a unit without a name by its type', () => {
    const r = transition(fresh(), { type: 'route', lead: task(POLICE), support: [] }, later(1));
    expect(r.events[0].residentNote).toBe('已派发至派出所办理 / Assigned to Police station');
    expect(r.events[0].unitName).toBeUndefined();
  });

  it('treats a stored routed case like a reported one', () => {
    const s = apply({ ...fresh(), status: 'routed' }, { type: 'route', lead: task(PROPERTY), support: [] });
    expect(s.status).toBe('assigned');
  });
});

describe('supervision (督办)', () => {
  it('flags once, by staff or by an escalation step', () => {
    const r = transition(
      assigned(),
      { type: 'flag_supervision', reason: '超时未签收', source: 'escalation' },
      later(10),
    );
    expect(r.state.supervisionFlagged).toBe(true);
    expect(r.events[0]).toMatchObject({
      type: 'case.supervision-flagged',
      actorKind: 'system',
      reason: '超时未签收',
    });
    expect(refusal(() => transition(r.state, { type: 'flag_supervision' }, later(11)))).toMatchObject({
      code: 'DISPATCH.INVALID_TRANSITION',
    });
    const byStaff = transition(assigned(), { type: 'flag_supervision', actorId: 'staff-3' }, later(10));
    expect(byStaff.events[0]).toMatchObject({ actorKind: 'staff', actorId: 'staff-3' });
  });
});

describe('purity', () => {
  const deepFreeze = <T>(o: T): T => {
    if (o && typeof o === 'object' && !(o instanceof Date)) {
      Object.values(o).forEach(deepFreeze);
      Object.freeze(o);
    }
    return o;
  };

  it('never changes the state it is given', () => {
    const s = deepFreeze(inProgress());
    const copy = structuredClone(s);
    run(
      s,
      { type: 'request_info', question: '?' },
      { type: 'provide_info', text: '!' },
      { type: 'release_support', taskId: taskOf(s, POLICE).taskId },
      { type: 'resolve', ...act(s, PROPERTY), note: 'n' },
      { type: 'return', ...act(s, VOLUNTEER), reason: 'r' },
      { type: 'confirm', satisfaction: 'unsatisfied', reopenTaskId: 'again' },
      { type: 'cancel', reason: 'c' },
    );
    expect(s).toEqual(copy);
  });

  it('emits only lifecycle event types', () => {
    const known: readonly string[] = EVENT_TYPES[Topic.CaseLifecycle];
    const { events } = run(
      fresh(),
      { type: 'triage', reason: 'NO_RULE' },
      { type: 'request_info', question: '?' },
      { type: 'provide_info', text: '!' },
      { type: 'assign', lead: task(PROPERTY, 'L') },
      { type: 'accept', taskId: 'L', unitId: PROPERTY.unitId },
      {
        type: 'request_extension',
        taskId: 'L',
        unitId: PROPERTY.unitId,
        reason: 'r',
        requestedDueAt: later(999),
      },
      { type: 'grant_extension' },
      { type: 'flag_supervision' },
      { type: 'resolve', taskId: 'L', unitId: PROPERTY.unitId, note: 'n' },
      { type: 'reopen', taskId: 'L2', reason: 'r' },
      { type: 'merge', intoCaseId: 'case-2' },
    );
    expect(events.length).toBe(11);
    for (const e of events) expect(known).toContain(e.type);
  });
});

// ---------------------------------------------------------------- random walks

describe('invariants over random command sequences', () => {
  const UNITS = [PROPERTY, POLICE, VOLUNTEER, CITY, WATER];
  const step = fc.record({
    type: fc.constantFrom(...CASE_COMMAND_TYPES),
    pick: fc.nat(20),
    wrongUnit: fc.boolean(),
    satisfaction: fc.constantFrom(
      'satisfied' as const,
      'basically_satisfied' as const,
      'unsatisfied' as const,
    ),
  });
  type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

  function build(s: CaseState, st: Step, now: Date): CaseCommand {
    const unit = UNITS[st.pick % UNITS.length];
    const t = s.tasks.length ? s.tasks[st.pick % s.tasks.length] : undefined;
    const own = { taskId: t?.taskId ?? 'none', unitId: st.wrongUnit || !t ? unit.unitId : t.unitId };
    const support = UNITS.filter((u) => u.unitId !== unit.unitId)
      .slice(0, st.pick % 3)
      .map((u) => task(u));
    switch (st.type) {
      case 'route':
        return { type: 'route', lead: task(unit), support };
      case 'assign':
        return { type: 'assign', lead: task(unit), support };
      case 'accept':
        return { type: 'accept', ...own };
      case 'progress':
        return { type: 'progress', ...own, note: 'n' };
      case 'return':
        return { type: 'return', ...own, reason: 'r' };
      case 'request_extension':
        return {
          type: 'request_extension',
          ...own,
          reason: 'r',
          requestedDueAt: new Date(now.getTime() + 86_400_000),
        };
      case 'resolve':
        return { type: 'resolve', ...own, note: 'n' };
      case 'release_support':
        return { type: 'release_support', taskId: own.taskId };
      case 'confirm':
        return { type: 'confirm', satisfaction: st.satisfaction, reopenTaskId: nextId() };
      default:
        return sample(st.type, s, now);
    }
  }

  function checkInvariants(s: CaseState): void {
    const working: CaseStatus[] = ['assigned', 'accepted', 'in_progress'];
    const open = openTasks(s);
    if (!working.includes(s.status)) expect(open).toEqual([]);
    expect(open.filter((t) => t.role === 'lead').length).toBeLessThanOrEqual(1);
    if (working.includes(s.status)) {
      const lead = currentLeadTask(s)!;
      expect(lead).toBeDefined();
      expect(lead.status === 'resolved' ? 'in_progress' : lead.status).toBe(s.status);
    }
    if (s.status === 'resolved' || s.status === 'closed') expect(currentLeadTask(s)?.status).toBe('resolved');
    if (s.status === 'resolved') expect(s.resolution).toBeDefined();
    expect(s.returnCount).toBe(s.tasks.filter((t) => t.status === 'returned').length);
    expect(new Set(s.returnedUnitIds).size).toBe(s.returnedUnitIds.length);
    if (s.pendingExtension) {
      const t = s.tasks.find((x) => x.taskId === s.pendingExtension!.taskId);
      expect(t && isOpenTask(t)).toBe(true);
    }
    if (['closed', 'cancelled', 'merged'].includes(s.status)) expect(s.awaitingResidentSince).toBeUndefined();
    expect(new Set(s.tasks.map((t) => t.taskId)).size).toBe(s.tasks.length);
  }

  it('keeps the case consistent and refuses exactly what allowedCommands leaves out', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let s = fresh();
        steps.forEach((st, i) => {
          const now = later(i + 1);
          const command = build(s, st, now);
          const allowed = allowedCommands(s);
          let result;
          try {
            result = transition(s, command, now);
          } catch (e) {
            expect(e).toBeInstanceOf(DomainError);
            const err = e as DomainError;
            if (!allowed.includes(command.type)) {
              expect(err.code).toBe('DISPATCH.INVALID_TRANSITION');
              expect(err.details).toEqual({ from: s.status, command: command.type, allowed });
            } else {
              expect(err.code).not.toBe('DISPATCH.INVALID_TRANSITION');
            }
            return;
          }
          expect(allowed).toContain(command.type);
          expect(result.events.length).toBeGreaterThan(0);
          for (const e of result.events) {
            expect(e.status).toBe(result.state.status);
            expect(e.at).toEqual(now);
          }
          s = result.state;
          checkInvariants(s);
        });
      }),
      { numRuns: 300 },
    );
  });
});
