import { validatePayload, Topic, type ReportSnapshot } from '@app/contracts';
import { taskSummaryFor, toLifecyclePayload, visibilityOf } from './lifecycle.mapper';

const report = (confidential: boolean): ReportSnapshot => ({
  caseId: '3f6c1d0e-4a7b-4c7e-9f55-0d7a4e0b1c11',
  reference: 'WL-20261123-000001',
  channel: 'app',
  description: '有人在小区里放高利贷',
  location: { gridCode: 'G-04' },
  reporter: { anonymous: false, confidential, name: '李四', phone: '13800000000' },
  media: [],
  reportedAt: '2026-01-05T02:00:00.000Z',
});

describe('confidentiality of the reporter', () => {
  it('omits a confidential reporter for every unit but the police', () => {
    expect(taskSummaryFor(report(true), 'property_management', 'normal')).not.toHaveProperty('reporterName');
    expect(taskSummaryFor(report(true), 'property_management', 'normal')).not.toHaveProperty('reporterPhone');
    expect(taskSummaryFor(report(true), 'police', 'normal')).toMatchObject({
      reporterName: '李四',
      reporterPhone: '13800000000',
    });
    expect(taskSummaryFor(report(false), 'volunteer_team', 'normal')).toMatchObject({ reporterName: '李四' });
  });
});

describe('toLifecyclePayload', () => {
  it('builds a valid case.assigned payload with deadlines and the task summary', () => {
    const p = toLifecyclePayload(
      {
        type: 'case.assigned',
        caseId: report(true).caseId,
        reference: 'WL-20261123-000001',
        status: 'assigned',
        priority: 'high',
        at: new Date('2026-01-05T02:00:00Z'),
        actorKind: 'system',
        taskId: '0f6c1d0e-4a7b-4c7e-9f55-0d7a4e0b1c12',
        taskRole: 'lead',
        unitId: 'prop-1',
        unitType: 'property_management',
        residentVisible: true,
        residentNote: '已派发',
      },
      report(true),
      { acceptBy: new Date('2026-01-05T04:00:00Z'), resolveBy: new Date('2026-01-06T02:00:00Z') },
    );
    expect(validatePayload(Topic.CaseLifecycle, p)).toEqual([]);
    expect(p.acceptBy).toBe('2026-01-05T04:00:00.000Z');
    expect(p.task?.reporterName).toBeUndefined();
    expect(visibilityOf({ type: 'case.assigned', unitId: 'prop-1', residentVisible: true })).toEqual([
      'center',
      'partner',
      'resident',
    ]);
    expect(visibilityOf({ type: 'case.co-reported', residentVisible: false })).toEqual(['center']);
  });
});
