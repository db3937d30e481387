import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DISPATCH_CONFIG, DispatchConfig } from '../dispatch.config';
import { LoginDto, LoginResponseDto, StaffMeDto } from './auth.dto';
import type { StaffPrincipal } from './roles';
import { CurrentStaff, STAFF_COOKIE, StaffAuthGuard, staffTokenOf } from './staff-auth.guard';
import { StaffAuthService } from './staff-auth.service';

@ApiTags('center: auth')
@Controller('center/v1/auth')
export class AuthHttpController {
  constructor(
    private readonly auth: StaffAuthService,
    @Inject(DISPATCH_CONFIG) private readonly config: DispatchConfig,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in (staff); failed attempts are limited per IP and per username (429)' })
  @ApiOkResponse({ type: LoginResponseDto })
  async login(
    @Body() body: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LoginResponseDto> {
    // A lock-out (TooManyAttemptsError) answers 429 with Retry-After through the platform filter.
    const r = await this.auth.login(body.username, body.password, req.ip ?? 'unknown');
    res.cookie(STAFF_COOKIE, r.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.cookieSecure,
      path: '/',
      expires: r.expiresAt,
    });
    return {
      token: r.token,
      expiresAt: r.expiresAt.toISOString(),
      roles: r.roles,
      displayName: r.displayName,
    };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('staff')
  @ApiOperation({ summary: 'Sign out: the token stops working at once' })
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = staffTokenOf(req);
    if (token) await this.auth.logout(token);
    res.clearCookie(STAFF_COOKIE, { path: '/' });
  }

  @Get('me')
  @UseGuards(StaffAuthGuard)
  @ApiBearerAuth('staff')
  @ApiOperation({ summary: 'Who is signed in' })
  @ApiOkResponse({ type: StaffMeDto })
  me(@CurrentStaff() staff: StaffPrincipal): StaffMeDto {
    return staff;
  }
}
