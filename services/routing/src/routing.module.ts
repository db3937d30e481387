import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { ROUTING_MIGRATIONS } from './migrations';

export const ROUTING_DEFAULT_PORT = 3002;

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'routing',
      defaultPort: ROUTING_DEFAULT_PORT,
      entities: [],
      migrations: ROUTING_MIGRATIONS,
    }),
  ],
})
export class RoutingModule {}
