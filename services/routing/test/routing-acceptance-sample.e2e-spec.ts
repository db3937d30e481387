import type { INestApplication } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestNamespace } from '@app/testing';
import { startRouting } from '../src/app';
import { explain, routingNamespace } from './support';

/**
 * The held-out acceptance sample routed through POST /v1/routing/explain over HTTP against the
 * demo district seed loaded into Postgres at boot: at least 24 of 25 right (unit type, and
 * priority where the sample states one). Prints the score.
 */
const SAMPLE = join(__dirname, '../../../../shared/acceptance/routing-sample.jsonl');
/** 桂花苑2幢 in grid 1 of 桂花社区: covered by the 桂花苑 property company; a Tuesday morning. */
const LOCATION = { gridCode: 'WL-GH-G1', buildingCode: 'WL-GH-G1-B02' };
const AT = '2026-11-24T10:00:00+08:00';

interface Sample {
  text: string;
  expect: string;
  priority?: string;
}

describe('acceptance sample through /v1/routing/explain', () => {
  let ns: TestNamespace;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ns = await routingNamespace('rtaccept');
    ns.apply();
    app = await startRouting({ port: 0 });
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await ns?.cleanup();
  });

  it('routes at least 24 of 25 sample reports to the right unit type', async () => {
    if (!existsSync(SAMPLE)) throw new Error(`acceptance sample missing at ${SAMPLE}`);
    const cases = readFileSync(SAMPLE, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Sample);
    const lines: string[] = [];
    let correct = 0;
    for (const c of cases) {
      const d = await explain(url, { text: c.text, location: LOCATION, at: AT });
      const ok =
        d.outcome === 'routed' && d.unitType === c.expect && (!c.priority || d.priority === c.priority);
      if (ok) correct += 1;
      else
        lines.push(
          `  MISS expected ${c.expect}${c.priority ? `/${c.priority}` : ''}, got ${d.outcome} ${d.unitType}/${d.priority} (${d.categoryCode} ${d.confidence}${d.triageReason ? ` ${d.triageReason}` : ''}): ${c.text}`,
        );
      if (d.outcome === 'routed') expect(d.unitId).toBeTruthy();
    }
    process.stdout.write(
      `[routing acceptance via HTTP] ${correct}/${cases.length} correct\n${lines.join('\n')}\n`,
    );
    expect(correct).toBeGreaterThanOrEqual(Math.min(24, cases.length - 1));
  });

  it('explains with the decision fields and no side effects; a bad body is a 400 naming the field', async () => {
    const d = await explain(url, { text: '楼下下水管堵了,污水冒出来', location: LOCATION, at: AT });
    expect(d).toMatchObject({
      outcome: 'routed',
      categoryCode: 'drainage_sewage',
      unitType: 'property_management',
      unitId: 'U-PM-GHY',
      priority: 'normal',
      supportUnitIds: [],
    });
    expect(d.slaPolicy?.policyId).toBe('SLA-NORMAL');
    expect(d.ruleVersion).toBeGreaterThanOrEqual(1);
    expect(d.reasons.length).toBeGreaterThan(2);
    const bad = await fetch(`${url}/v1/routing/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '', location: { lat: 200 } }),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { details: { fields: { field: string }[] } };
    expect(body.details.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['text', 'location.lat']));
  });

  it('documents every endpoint in /openapi.json', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const path of [
      '/v1/routing/explain',
      '/v1/admin/unit-types',
      '/v1/admin/seed/republish',
      '/v1/admin/areas',
      '/v1/admin/areas/{id}/history',
      '/v1/admin/units/{id}/api-keys',
      '/v1/admin/categories/{id}/deactivate',
      '/v1/admin/sla-policies/{id}',
      '/v1/admin/rules',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
  });
});
