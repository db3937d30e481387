import type { CaseReportedPayload } from '@app/contracts';

/** A valid case.reported payload for tests of the messaging plumbing (anonymous app report). */
export function sampleReport(caseId: string, description = '楼下下水管堵了'): CaseReportedPayload {
  return {
    caseId,
    reference: `WL-20261123-${caseId.slice(0, 6)}`,
    channel: 'app',
    description,
    location: { buildingCode: 'B-01' },
    reporter: { anonymous: true, confidential: false },
    media: [],
    reportedAt: new Date().toISOString(),
  } as CaseReportedPayload;
}
