import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsLatitude,
  IsLongitude,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  Validate,
  ValidateIf,
  IsNumber,
  IsDefined,
} from 'class-validator';
import { CASE_STATUSES, CHANNELS, CONTACT_CHANNELS } from '@app/contracts';
import type { CaseStatus, Channel, ContactChannel } from '@app/contracts';

export const CATEGORY_CODE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

@ValidatorConstraint({ name: 'atLeastOneLocation' })
class AtLeastOneLocation implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (!value || typeof value !== 'object') return false;
    const l = value as Record<string, unknown>;
    return ['gridCode', 'buildingCode', 'addressText', 'lat'].some(
      (k) => l[k] !== undefined && l[k] !== null && l[k] !== '',
    );
  }
  defaultMessage(_args: ValidationArguments): string {
    return 'location needs at least one of gridCode, buildingCode, addressText or lat/lng';
  }
}

export class LocationInput {
  @ApiPropertyOptional({ description: 'Grid code (网格)', example: 'G-04', maxLength: 64 })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  gridCode?: string;

  @ApiPropertyOptional({ description: 'Building code (楼栋)', example: 'B-0417', maxLength: 64 })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  buildingCode?: string;

  @ApiPropertyOptional({
    description: 'Address as the resident says it',
    example: '幸福里小区 3 栋 2 单元',
    maxLength: 500,
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  addressText?: string;

  @ApiPropertyOptional({ description: 'Latitude (WGS84); requires lng', example: 31.2304 })
  @ValidateIf((o: LocationInput) => o.lat !== undefined || o.lng !== undefined)
  @IsDefined()
  @IsNumber()
  @IsLatitude()
  lat?: number;

  @ApiPropertyOptional({ description: 'Longitude (WGS84); requires lat', example: 121.4737 })
  @ValidateIf((o: LocationInput) => o.lat !== undefined || o.lng !== undefined)
  @IsDefined()
  @IsNumber()
  @IsLongitude()
  lng?: number;
}

export class ReporterInput {
  @ApiProperty({
    description: 'The reporter gives no identity: name, phone, email and wechatOpenId must then be absent',
    default: false,
  })
  @IsBoolean()
  anonymous!: boolean;

  @ApiProperty({
    description:
      'Hide the reporter from everyone but the center and the police (e.g. organised-crime clues, 涉黑涉恶线索)',
    default: false,
  })
  @IsBoolean()
  confidential!: boolean;

  @ApiPropertyOptional({ maxLength: 100, example: '王阿姨' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: '13800138000', pattern: '^\\+?[0-9 -]{5,20}$' })
  @IsOptional()
  @Matches(/^\+?[0-9 -]{5,20}$/, { message: 'phone must be 5-20 digits, spaces or dashes' })
  phone?: string;

  @ApiPropertyOptional({ example: 'resident@example.com' })
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  wechatOpenId?: string;

  @ApiPropertyOptional({
    enum: CONTACT_CHANNELS,
    description: 'How the reporter wants to hear back; needs the matching contact',
  })
  @IsOptional()
  @IsIn(CONTACT_CHANNELS)
  preferredContact?: ContactChannel;

  @ApiPropertyOptional({ enum: ['zh-CN', 'en'] })
  @IsOptional()
  @IsIn(['zh-CN', 'en'])
  locale?: 'zh-CN' | 'en';
}

export class MediaInput {
  @ApiProperty({
    description: 'http(s) URL of a photo, video or audio (e.g. from POST /v1/media)',
    maxLength: 2000,
  })
  @IsString()
  @Length(1, 2000)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  url!: string;

  @ApiPropertyOptional({ example: 'image/jpeg', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  contentType?: string;
}

export class CreateReportDto {
  @ApiProperty({ enum: CHANNELS, description: 'Where the report came in' })
  @IsIn(CHANNELS)
  channel!: Channel;

  @ApiProperty({
    description: "What is wrong, in the reporter's words (Chinese or English)",
    minLength: 1,
    maxLength: 4000,
    example: '楼下下水道堵了，污水流进家里',
  })
  @IsString()
  @Length(1, 4000)
  description!: string;

  @ApiPropertyOptional({
    description:
      'Category code (from reference.categories); routing decides when absent. Duplicate detection needs a category, given here or routed later.',
    example: 'drain_blocked',
  })
  @IsOptional()
  @IsString()
  @Matches(CATEGORY_CODE_PATTERN, { message: 'categoryCode must be 1-64 lower-case letters, digits, _ . -' })
  categoryCode?: string;

  @ApiProperty({
    type: LocationInput,
    description: 'At least one of gridCode, buildingCode, addressText, lat/lng',
  })
  @IsDefined()
  @Validate(AtLeastOneLocation)
  @ValidateNested()
  @Type(() => LocationInput)
  location!: LocationInput;

  @ApiProperty({ type: ReporterInput })
  @IsDefined()
  @ValidateNested()
  @Type(() => ReporterInput)
  reporter!: ReporterInput;

  @ApiPropertyOptional({ type: [MediaInput], maxItems: 20 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => MediaInput)
  media?: MediaInput[];

  @ApiPropertyOptional({
    description: 'The reporting grid worker (required for channel grid_worker)',
    maxLength: 64,
  })
  @ValidateIf((o: CreateReportDto) => o.channel === 'grid_worker' || o.gridWorkerId !== undefined)
  @IsString()
  @Length(1, 64)
  gridWorkerId?: string;
}

export class CaseRefAnswer {
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty({ example: 'WL-20261123-000123' }) reference!: string;
}

export class ReportAnswer {
  @ApiProperty({ format: 'uuid', description: 'The case this report is (or joined)' }) caseId!: string;
  @ApiProperty({ example: 'WL-20261123-000123', description: 'Human-readable reference of the case' })
  reference!: string;
  @ApiProperty({ description: 'Secret token for GET /v1/reports/{reference}; shown once, keep it' })
  trackingToken!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiProperty({ format: 'date-time' }) reportedAt!: string;
  @ApiPropertyOptional({
    type: CaseRefAnswer,
    description: 'Set when the report was attached to an open case of the same category and place',
  })
  duplicateOf?: CaseRefAnswer;
  @ApiPropertyOptional({ format: 'uuid', description: 'Id of this co-report when duplicateOf is set' })
  coReportId?: string;
}
