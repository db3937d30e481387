import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { DispatchModule } from './dispatch.module';

export function startDispatch(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(DispatchModule, {
    title: 'Dispatch service',
    description:
      'Owns the case from routing to closure (销号): tasks for units, the partner API (/partner/v1, unit API key), ' +
      'the center API (/center/v1, staff token), resident feedback, auto-close, and every lifecycle event.',
    port: options.port,
    decorateDocument: (doc) =>
      doc
        .addBearerAuth(
          { type: 'http', scheme: 'bearer', description: 'Staff token from POST /center/v1/auth/login' },
          'staff',
        )
        .addApiKey(
          { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'Partner unit API key' },
          'partner-key',
        )
        .addBearerAuth(
          { type: 'http', scheme: 'bearer', description: 'Partner unit API key as a bearer token' },
          'partner-bearer',
        ),
  });
}
