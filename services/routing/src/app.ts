import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { RoutingModule } from './routing.module';

export function startRouting(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(RoutingModule, {
    title: 'Routing service',
    description:
      'Decides who must act on a case: category (given or classified from Chinese/English text, with confidence and evidence), priority, unit type, the covering unit, lead and supporting units, and the SLA policy. ' +
      'Consumes case.reported and case.returned (退单: re-routes excluding every unit that returned the case), publishes case.routed or case.triage-required. ' +
      'Owns the reference data (areas, units, categories, SLA policies, rules), edited through the admin API (Authorization: Bearer ROUTING_ADMIN_TOKEN, X-Actor header) and published on the reference.* topics; changes take effect on every replica within seconds. ' +
      'POST /v1/routing/explain shows the decision for a text and a place without side effects.',
    port: options.port,
    decorateDocument: (doc) =>
      doc
        .addBearerAuth()
        .addTag('routing')
        .addTag('admin: reference data')
        .addTag('admin: areas')
        .addTag('admin: units')
        .addTag('admin: categories')
        .addTag('admin: SLA policies')
        .addTag('admin: rules'),
  });
}
