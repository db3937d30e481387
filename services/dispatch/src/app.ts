import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { DispatchModule } from './dispatch.module';

export function startDispatch(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(DispatchModule, {
    title: 'Dispatch service',
    description: 'Owns the case from routing to closure: tasks for units, partner API, center API, SLA clocks, resident feedback, ops.',
    port: options.port,
  });
}
