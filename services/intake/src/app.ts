import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@app/platform';
import { IntakeModule } from './intake.module';

export function startIntake(options: { port?: number } = {}): Promise<INestApplication> {
  return createServiceApp(IntakeModule, {
    title: 'Intake service',
    description: 'Takes residents\' reports from every channel (app, WeChat, hotline, grid workers, walk-in, Open311), exactly once, and publishes case.reported.',
    port: options.port,
  });
}
