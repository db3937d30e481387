import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ValidationFailedError } from '@app/contracts';
import { AdminTokenGuard } from '../auth';
import { PutRoleRecipientDto, RoleParam, RoleRecipientView, UnitDirectoryView } from './recipients.dto';
import { RecipientsRepository } from './recipients.repository';

@ApiTags('recipients')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('v1/recipients')
export class RecipientsHttpController {
  constructor(private readonly recipients: RecipientsRepository) {}

  @Get('roles')
  @ApiOperation({ summary: 'Center role contacts (supervisors, the dispatch desk)' })
  @ApiOkResponse({ type: [RoleRecipientView] })
  roles(): Promise<RoleRecipientView[]> {
    return this.recipients.roles();
  }

  @Put('roles/:role')
  @ApiOperation({ summary: 'Sets the contacts of a role (replaces them); applies to events from now on' })
  @ApiOkResponse({ type: RoleRecipientView })
  putRole(@Param() p: RoleParam, @Body() body: PutRoleRecipientDto): Promise<RoleRecipientView> {
    const active = body.active ?? true;
    if (active && !body.email && !body.phone && !body.wechatOpenId) {
      throw new ValidationFailedError('An active role needs at least one of email, phone, wechatOpenId', [
        { field: 'email', problems: ['one of email, phone, wechatOpenId is required'] },
      ]);
    }
    return this.recipients.putRole({
      role: p.role,
      email: body.email ?? null,
      phone: body.phone ?? null,
      wechatOpenId: body.wechatOpenId ?? null,
      locale: body.locale ?? 'zh-CN',
      active,
    });
  }

  @Get('units')
  @ApiOperation({ summary: 'The unit directory as notification knows it (from reference.units.v1)' })
  @ApiOkResponse({ type: [UnitDirectoryView] })
  units(): Promise<UnitDirectoryView[]> {
    return this.recipients.listUnits();
  }
}
