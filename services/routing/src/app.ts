import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { RoutingModule } from './routing.module';

export function startRouting(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(RoutingModule, {
    title: 'Routing service',
    description: 'Decides who must act on a case: category, priority, unit type, covering unit, SLA policy; owns the reference data.',
    port: options.port,
  });
}
