import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { DISPATCH_MIGRATIONS } from './migrations';

export const DISPATCH_DEFAULT_PORT = 3003;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'dispatch',
      defaultPort: DISPATCH_DEFAULT_PORT,
      entities: [],
      migrations: DISPATCH_MIGRATIONS,
    }),
  ],
})
export class DispatchModule {}
