import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { RECIPIENT_ROLES, RecipientRole } from '../domain';

export class RoleParam {
  @ApiProperty({
    enum: RECIPIENT_ROLES,
    description: 'supervisor: breaches, escalations, supervision flags; center: triage needed',
  })
  @IsIn(RECIPIENT_ROLES)
  role!: RecipientRole;
}

export class PutRoleRecipientDto {
  @ApiPropertyOptional({ example: 'supervisor@center.example' })
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ example: '+8613800000001' })
  @IsOptional()
  @Matches(/^\+?[0-9 -]{5,20}$/)
  phone?: string;

  @ApiPropertyOptional({ description: 'WeChat openid for template messages' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  wechatOpenId?: string;

  @ApiPropertyOptional({ enum: ['zh-CN', 'en'], default: 'zh-CN' })
  @IsOptional()
  @IsIn(['zh-CN', 'en'])
  locale?: 'zh-CN' | 'en';

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class RoleRecipientView {
  @ApiProperty({ enum: RECIPIENT_ROLES }) role!: string;
  @ApiPropertyOptional({ nullable: true }) email?: string | null;
  @ApiPropertyOptional({ nullable: true }) phone?: string | null;
  @ApiPropertyOptional({ nullable: true }) wechatOpenId?: string | null;
  @ApiProperty({ enum: ['zh-CN', 'en'] }) locale!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

class ContactView {
  @ApiPropertyOptional({ nullable: true }) phone?: string | null;
  @ApiPropertyOptional({ nullable: true }) email?: string | null;
  @ApiPropertyOptional({ nullable: true }) wechatOpenId?: string | null;
}

export class UnitDirectoryView {
  @ApiProperty() unitId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() unitType!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ type: ContactView }) contact!: ContactView;
  @ApiPropertyOptional({ type: ContactView, nullable: true }) supervisorContact?: ContactView | null;
  @ApiPropertyOptional({ nullable: true }) webhookUrl?: string | null;
  @ApiProperty({ description: 'The secret itself is never shown' }) hasWebhookSecret!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
