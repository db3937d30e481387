import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { DemoSeedLoader } from './demo-seed';
import { ROUTING_MIGRATIONS } from './migrations';
import {
  AdminAuthGuard,
  AreasAdminHttpController,
  CategoriesAdminHttpController,
  ReferenceAdminHandler,
  ReferenceAdminHttpController,
  RulesAdminHttpController,
  SlaPoliciesAdminHttpController,
  UnitsAdminHttpController,
} from './reference-admin';
import { RefDataCache, ReferenceRepository } from './reference-data';
import { RouteCaseHandler, RouteCaseHttpController, RouteCaseKafkaConsumer } from './route-case';
import { loadRoutingConfig, ROUTING_CONFIG } from './routing.config';

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
  controllers: [
    RouteCaseHttpController,
    ReferenceAdminHttpController,
    AreasAdminHttpController,
    UnitsAdminHttpController,
    CategoriesAdminHttpController,
    SlaPoliciesAdminHttpController,
    RulesAdminHttpController,
  ],
  providers: [
    { provide: ROUTING_CONFIG, useFactory: () => loadRoutingConfig() },
    ReferenceRepository,
    RefDataCache,
    ReferenceAdminHandler,
    AdminAuthGuard,
    RouteCaseHandler,
    RouteCaseKafkaConsumer,
    DemoSeedLoader,
  ],
})
export class RoutingModule {}
