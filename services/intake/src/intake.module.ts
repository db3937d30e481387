import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { INTAKE_MIGRATIONS } from './migrations';

export const INTAKE_DEFAULT_PORT = 3001;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'intake',
      defaultPort: INTAKE_DEFAULT_PORT,
      entities: [],
      migrations: INTAKE_MIGRATIONS,
    }),
  ],
})
export class IntakeModule {}
