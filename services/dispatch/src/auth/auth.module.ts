import { Module } from '@nestjs/common';
import { DISPATCH_CONFIG, loadDispatchConfig } from '../dispatch.config';
import { AuthHttpController } from './auth.http.controller';
import { StaffAuthGuard } from './staff-auth.guard';
import { StaffAuthService } from './staff-auth.service';

/** Staff sign-in and the guard every /center/v1 (and ops page) route uses. */
@Module({
  controllers: [AuthHttpController],
  providers: [
    { provide: DISPATCH_CONFIG, useFactory: () => loadDispatchConfig() },
    StaffAuthService,
    StaffAuthGuard,
  ],
  exports: [DISPATCH_CONFIG, StaffAuthService, StaffAuthGuard],
})
export class AuthModule {}
