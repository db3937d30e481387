import { randomUUID } from 'node:crypto';
import { decodeEvent, EventEnvelope, Topic, topicOfType, validatePayload } from './index';

const report = {
  caseId: randomUUID(),
  reference: 'WL-20261123-000001',
  channel: 'app',
  description: '楼下下水管堵了',
  location: { buildingCode: 'B-01' },
  reporter: { anonymous: false, confidential: false, name: '张三', phone: '13800000000' },
  media: [],
  reportedAt: new Date().toISOString(),
};
const envelope = (payload: unknown, extra: Record<string, unknown> = {}) => ({
  eventId: randomUUID(),
  type: 'case.reported',
  schemaVersion: 1,
  key: report.caseId,
  caseId: report.caseId,
  correlationId: 'c-1',
  occurredAt: new Date().toISOString(),
  producer: 'intake',
  payload,
  ...extra,
});

describe('decodeEvent', () => {
  it('accepts a valid case.reported and tolerates an added unknown field', () => {
    const r = decodeEvent(Topic.CaseReported, JSON.stringify(envelope({ ...report, newOptionalField: 1 })));
    expect(r.ok).toBe(true);
  });
  it('names the missing field of an invalid payload', () => {
    const r = decodeEvent(
      Topic.CaseReported,
      JSON.stringify(envelope({ ...report, description: undefined })),
    );
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('description') });
  });
  it('names a nested invalid field', () => {
    const r = decodeEvent(
      Topic.CaseReported,
      JSON.stringify(envelope({ ...report, location: { lat: 500 } })),
    );
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('location.lat') });
  });
  it('refuses non-JSON, a bad envelope, and a type the topic does not carry', () => {
    expect(decodeEvent(Topic.CaseReported, 'not json').ok).toBe(false);
    expect(decodeEvent(Topic.CaseReported, JSON.stringify(envelope(report, { eventId: 'x' })))).toEqual({
      ok: false,
      reason: expect.stringContaining('eventId'),
    });
    expect(
      decodeEvent(Topic.CaseReported, JSON.stringify(envelope(report, { type: 'case.closed' }))),
    ).toEqual({
      ok: false,
      reason: expect.stringContaining('not carried'),
    });
  });
  it('keeps only the envelope fields it knows: an unknown one or a __proto__ key does not reach it', () => {
    const raw = JSON.stringify(envelope(report, { extra: 1 })).replace(
      /^\{/,
      '{"__proto__":{"eventId":"from-proto"},',
    );
    const r = decodeEvent(Topic.CaseReported, raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.getPrototypeOf(r.event)).toBe(EventEnvelope.prototype);
    expect(r.event).not.toHaveProperty('extra');
    // without its own eventId, the one on a smuggled prototype does not count
    const { eventId: _dropped, ...noId } = envelope(report);
    const smuggled = JSON.stringify(noId).replace(/^\{/, '{"__proto__":{"eventId":"' + randomUUID() + '"},');
    expect(decodeEvent(Topic.CaseReported, smuggled)).toEqual({
      ok: false,
      reason: expect.stringContaining('eventId'),
    });
  });
  it('refuses a JSON array as the value', () => {
    expect(decodeEvent(Topic.CaseReported, '[]')).toEqual({
      ok: false,
      reason: 'value is not a JSON object',
    });
  });
  it('refuses a schema version newer than it knows', () => {
    expect(decodeEvent(Topic.CaseReported, JSON.stringify(envelope(report, { schemaVersion: 2 }))).ok).toBe(
      false,
    );
  });
});

describe('topicOfType / validatePayload', () => {
  it('finds the topic of each event type', () => {
    expect(topicOfType('case.sla-breached')).toBe(Topic.CaseLifecycle);
    expect(topicOfType('case.routed')).toBe(Topic.CaseRouted);
    expect(() => topicOfType('case.nonsense')).toThrow();
  });
  it('validates payloads on produce', () => {
    expect(validatePayload(Topic.CaseReported, report)).toEqual([]);
    expect(validatePayload(Topic.CaseReported, { ...report, channel: 'fax' })).toEqual([
      expect.stringContaining('channel'),
    ]);
  });
});
