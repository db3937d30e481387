import { createTestNamespace, TestNamespace } from '@app/testing';

export const ADMIN_TOKEN = 'routing-e2e-token';

/** A namespace whose routing loads the demo district (SEED_DEMO=true). */
export async function routingNamespace(label: string): Promise<TestNamespace> {
  const ns = await createTestNamespace({ label, partitions: 3 });
  Object.assign(ns.env, {
    SEED_DEMO: 'true',
    ROUTING_ADMIN_TOKEN: ADMIN_TOKEN,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  });
  return ns;
}

export function adminHeaders(actor = 'e2e-admin'): Record<string, string> {
  return { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-actor': actor, 'content-type': 'application/json' };
}

export interface ExplainBody {
  outcome: 'routed' | 'triage';
  categoryCode: string | null;
  confidence: number | null;
  unitType: string | null;
  unitId: string | null;
  supportUnitIds: string[];
  priority: string;
  ruleId: string | null;
  ruleVersion: number;
  triageReason: string | null;
  reasons: string[];
  slaPolicy: { policyId: string } | null;
}

export async function explain(baseUrl: string, body: Record<string, unknown>): Promise<ExplainBody> {
  const res = await fetch(`${baseUrl}/v1/routing/explain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`explain answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as ExplainBody;
}
