import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { IntakeModule } from './intake.module';

export function startIntake(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(IntakeModule, {
    title: 'Intake service',
    description:
      "Takes residents' reports from every channel (app, WeChat, hotline, grid workers, walk-in, Open311), exactly once, and publishes case.reported. " +
      'Duplicate detection needs a category (given by the reporter, or routed later): a same-category report at the same building (or grid) within DUPLICATE_WINDOW_MINUTES while the first case is open joins it as a co-report. ' +
      'Residents track their report with the secret tracking token (header X-Tracking-Token or ?token=). Open311 GeoReport v2 lives under /open311/v2.',
    urlencoded: true,
    port: options.port,
    decorateDocument: (doc) => doc.addTag('reports').addTag('media').addTag('open311'),
  });
}
