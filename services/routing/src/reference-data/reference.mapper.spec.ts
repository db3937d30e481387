import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topic, validatePayload } from '@app/contracts';
import { decide } from '../domain';
import { allReferenceEvents, referenceEvent, slaPolicySnapshot, toRefData } from './reference.mapper';
import type { ReferenceSnapshot, StoredEntity, StoredUnit } from './reference.types';

type Json = Record<string, unknown>;
const seed = JSON.parse(readFileSync(join(__dirname, '../../seed/demo-district.json'), 'utf8')) as Json;
const meta = { version: 1, createdAt: '2026-11-24T00:00:00.000Z', updatedAt: '2026-11-24T00:00:00.000Z' };

function stored<T>(list: unknown, id: string, strip: string[] = ['active', 'version']): StoredEntity<T>[] {
  return (list as Json[]).map((raw) => {
    const data = { ...raw };
    for (const k of strip) delete data[k];
    return { id: String(raw[id]), active: raw.active !== false, data: data as unknown as T, ...meta };
  });
}

/** The seed as the repository would load it from Postgres. */
const snapshot: ReferenceSnapshot = {
  version: 7,
  areas: stored<ReferenceSnapshot['areas'][number]['data']>(seed.areas, 'code'),
  units: stored(seed.units, 'unitId').map((u): StoredUnit => ({
    ...(u as unknown as StoredUnit),
    webhookSecret: 'secret-1234567890',
    apiKeyHashes: ['ab'.repeat(32)],
  })),
  categories: stored<ReferenceSnapshot['categories'][number]['data']>(seed.categories, 'code'),
  slaPolicies: stored<ReferenceSnapshot['slaPolicies'][number]['data']>(seed.slaPolicies, 'policyId'),
  rules: stored<ReferenceSnapshot['rules'][number]['data']>(seed.rules, 'id'),
  settings: {
    signalLexicon: seed.signalLexicon as ReferenceSnapshot['settings']['signalLexicon'],
    slaPolicyIdByPriority:
      seed.slaPolicyIdByPriority as ReferenceSnapshot['settings']['slaPolicyIdByPriority'],
  },
};

describe('reference mapper', () => {
  it('builds reference data that decides like the seed file', () => {
    const ref = toRefData(snapshot, { confidenceThreshold: 0.3, maxReturns: 3 });
    const d = decide(
      {
        text: '楼下下水管堵了,污水冒出来',
        location: { buildingCode: 'WL-GH-G1-B02' },
        excludedUnitIds: [],
        returnCount: 0,
        attempt: 1,
      },
      ref,
      new Date('2026-11-24T10:00:00+08:00'),
    );
    expect(d.kind).toBe('routed');
    if (d.kind === 'routed') expect(d.lead.unitId).toBe('U-PM-GHY');
    // The inactive trial rule of the seed stays inactive.
    expect(ref.rules.find((r) => r.id === 'R-130')?.active).toBe(false);
  });

  it('produces a valid reference event for every entity (rules stay internal)', () => {
    const events = allReferenceEvents(snapshot);
    expect(events).toHaveLength(
      snapshot.areas.length +
        snapshot.units.length +
        snapshot.categories.length +
        snapshot.slaPolicies.length,
    );
    for (const e of events) expect(validatePayload(e.topic, e.payload)).toEqual([]);
    expect(referenceEvent('rule', snapshot.rules[0])).toBeUndefined();
    const unit = events.find((e) => e.topic === Topic.ReferenceUnits && e.key === 'U-PM-GHY');
    expect(unit?.payload).toMatchObject({
      apiKeyHashes: ['ab'.repeat(32)],
      webhookSecret: 'secret-1234567890',
      version: 1,
    });
    expect(unit?.payload).not.toHaveProperty('webhookUrl');
  });

  it('snapshots an SLA policy with exactly the contract fields', () => {
    const p = slaPolicySnapshot({ ...snapshot.slaPolicies[0].data, active: true } as never);
    expect(Object.keys(p).sort()).toEqual(
      [
        'acceptWithinSeconds',
        'calendar',
        'escalation',
        'name',
        'policyId',
        'resolveWithinSeconds',
        'warnAtFraction',
      ].sort(),
    );
  });
});
