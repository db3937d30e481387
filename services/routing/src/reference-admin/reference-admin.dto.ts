import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  AREA_LEVELS,
  AreaLevel,
  ESCALATION_ACTIONS,
  EscalationAction,
  MANDATORY_REPORT_KINDS,
  MandatoryReportKind,
  PRIORITIES,
  Priority,
  SLA_DEADLINE_KINDS,
  SlaDeadlineKind,
  UNIT_TYPES,
  UnitType,
} from '@app/contracts';

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const CODE_HINT = '1-64 characters: letters, digits, _ . - (starting with a letter or digit)';
const KEYWORD_HINT =
  'A keyword or phrase, optionally with a weight: "下水管", "下水管:3", "sewage:3"; a negative weight is a negative keyword.';

// ---------------------------------------------------------------- areas

export class AreaBodyDto {
  @ApiProperty({ enum: AREA_LEVELS, example: 'grid' })
  @IsIn(AREA_LEVELS)
  level!: AreaLevel;

  @ApiProperty({ example: '桂花社区第1网格' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({
    description: 'Code of the parent area (required below street level)',
    example: 'WL-GH',
  })
  @IsOptional()
  @Matches(CODE, { message: `parentCode must be ${CODE_HINT}` })
  parentCode?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Other names found in address text',
    example: ['桂花苑'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  aliases?: string[];

  @ApiPropertyOptional({
    description:
      'Outer ring of [lng, lat] pairs (at least 3); coordinates resolve to the most specific polygon',
    example: [
      [120.1, 30.27],
      [120.12, 30.27],
      [120.12, 30.29],
    ],
    type: 'array',
    items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(5000)
  @IsArray({ each: true })
  polygon?: [number, number][];
}

export class CreateAreaDto extends AreaBodyDto {
  @ApiProperty({ example: 'WL-GH-G4', description: CODE_HINT })
  @Matches(CODE, { message: `code must be ${CODE_HINT}` })
  code!: string;
}

export class UpdateAreaDto extends AreaBodyDto {
  @ApiPropertyOptional({ description: 'Set true to reactivate a deactivated area' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

// ---------------------------------------------------------------- units

export class UnitContactBodyDto {
  @ApiPropertyOptional({ example: '0571-86010001' })
  @IsOptional()
  @Matches(/^\+?[0-9 -]{5,20}$/, { message: 'phone must be 5-20 digits, spaces or dashes' })
  phone?: string;

  @ApiPropertyOptional({ example: 'duty@pm.example.cn' })
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  wechatOpenId?: string;
}

export class UnitBodyDto {
  @ApiProperty({ example: '桂花苑物业服务中心' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: UNIT_TYPES, description: 'Fixed codes (GET /v1/admin/unit-types)' })
  @IsIn(UNIT_TYPES)
  unitType!: UnitType;

  @ApiProperty({
    type: [String],
    description: 'Areas the unit covers (and everything below them)',
    example: ['WL-GH-G1'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @Matches(CODE, { each: true, message: `each of areaCodes must be ${CODE_HINT}` })
  areaCodes!: string[];

  @ApiProperty({ type: UnitContactBodyDto })
  @ValidateNested()
  @Type(() => UnitContactBodyDto)
  contact!: UnitContactBodyDto;

  @ApiPropertyOptional({ type: UnitContactBodyDto, description: 'Who is told when the unit is late' })
  @IsOptional()
  @ValidateNested()
  @Type(() => UnitContactBodyDto)
  supervisorContact?: UnitContactBodyDto;

  @ApiPropertyOptional({
    example: 'https://partner.example.cn/hooks/cases',
    description: 'Where task webhooks go',
  })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  webhookUrl?: string;

  @ApiPropertyOptional({
    description:
      'HMAC secret of the webhooks (16-200 chars); generated when omitted on create, kept when omitted on update',
  })
  @IsOptional()
  @IsString()
  @Length(16, 200)
  webhookSecret?: string;
}

export class CreateUnitDto extends UnitBodyDto {
  @ApiProperty({ example: 'U-PM-NEW', description: CODE_HINT })
  @Matches(CODE, { message: `unitId must be ${CODE_HINT}` })
  unitId!: string;
}

export class UpdateUnitDto extends UnitBodyDto {
  @ApiPropertyOptional({ description: 'Set true to reactivate a deactivated unit' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class AddApiKeyDto {
  @ApiPropertyOptional({ example: 'rotation 2026-11' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  label?: string;

  @ApiPropertyOptional({ description: 'Revoke every other key of the unit (rotation)', default: false })
  @IsOptional()
  @IsBoolean()
  revokeOthers?: boolean;
}

// ---------------------------------------------------------------- categories

export class CategoryBodyDto {
  @ApiProperty({ example: '下水道堵塞/污水外溢' })
  @IsString()
  @Length(1, 100)
  nameZh!: string;

  @ApiProperty({ example: 'Blocked drain / sewage overflow' })
  @IsString()
  @Length(1, 200)
  nameEn!: string;

  @ApiProperty({ enum: UNIT_TYPES })
  @IsIn(UNIT_TYPES)
  defaultUnitType!: UnitType;

  @ApiProperty({ enum: PRIORITIES })
  @IsIn(PRIORITIES)
  defaultPriority!: Priority;

  @ApiProperty({ example: 'SLA-NORMAL' })
  @Matches(CODE, { message: `slaPolicyId must be ${CODE_HINT}` })
  slaPolicyId!: string;

  @ApiPropertyOptional({
    enum: MANDATORY_REPORT_KINDS,
    description: '四必报 kind: cases of this category are always reported up',
  })
  @IsOptional()
  @IsIn(MANDATORY_REPORT_KINDS)
  mandatoryReportKind?: MandatoryReportKind;

  @ApiProperty({ type: [String], description: KEYWORD_HINT, example: ['下水道:3', '堵塞:2'] })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  keywordsZh!: string[];

  @ApiProperty({ type: [String], description: KEYWORD_HINT, example: ['blocked drain:3', 'sewage:3'] })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  keywordsEn!: string[];
}

export class CreateCategoryDto extends CategoryBodyDto {
  @ApiProperty({ example: 'drainage_sewage', description: CODE_HINT })
  @Matches(CODE, { message: `code must be ${CODE_HINT}` })
  code!: string;
}

export class UpdateCategoryDto extends CategoryBodyDto {
  @ApiPropertyOptional({ description: 'Set true to reactivate a deactivated category' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

// ---------------------------------------------------------------- SLA policies

export class SlaCalendarBodyDto {
  @ApiProperty({ enum: ['24x7', 'working'] })
  @IsIn(['24x7', 'working'])
  kind!: '24x7' | 'working';

  @ApiPropertyOptional({ example: 'Asia/Shanghai' })
  @IsOptional()
  @IsString()
  timezone?: string;

  @ApiPropertyOptional({
    type: [Number],
    description: 'ISO weekdays 1 (Mon) … 7 (Sun)',
    example: [1, 2, 3, 4, 5],
  })
  @IsOptional()
  @IsArray()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(7, { each: true })
  weekdays?: number[];

  @ApiPropertyOptional({ example: '08:30' })
  @IsOptional()
  @Matches(/^\d{2}:\d{2}$/)
  dayStart?: string;

  @ApiPropertyOptional({ example: '17:30' })
  @IsOptional()
  @Matches(/^\d{2}:\d{2}$/)
  dayEnd?: string;

  @ApiPropertyOptional({ type: [String], example: ['2026-10-01'] })
  @IsOptional()
  @IsArray()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true })
  holidays?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Weekend dates that are working days (调休)' })
  @IsOptional()
  @IsArray()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true })
  workdays?: string[];
}

export class EscalationStepBodyDto {
  @ApiProperty({ enum: SLA_DEADLINE_KINDS })
  @IsIn(SLA_DEADLINE_KINDS)
  on!: SlaDeadlineKind;

  @ApiProperty({ description: 'Seconds after the breach, in the policy calendar', example: 0 })
  @IsInt()
  @Min(0)
  afterSeconds!: number;

  @ApiProperty({ enum: ESCALATION_ACTIONS })
  @IsIn(ESCALATION_ACTIONS)
  action!: EscalationAction;
}

export class SlaPolicyBodyDto {
  @ApiPropertyOptional({ example: '一般: 2工作小时签收, 3个工作日办结' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiProperty({ example: 7200 })
  @IsInt()
  @Min(1)
  acceptWithinSeconds!: number;

  @ApiProperty({ example: 97200 })
  @IsInt()
  @Min(1)
  resolveWithinSeconds!: number;

  @ApiProperty({ example: 0.8, minimum: 0.05, maximum: 0.99 })
  @IsNumber()
  @Min(0.05)
  @Max(0.99)
  warnAtFraction!: number;

  @ApiProperty({ type: SlaCalendarBodyDto })
  @ValidateNested()
  @Type(() => SlaCalendarBodyDto)
  calendar!: SlaCalendarBodyDto;

  @ApiProperty({ type: [EscalationStepBodyDto] })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => EscalationStepBodyDto)
  escalation!: EscalationStepBodyDto[];
}

export class CreateSlaPolicyDto extends SlaPolicyBodyDto {
  @ApiProperty({ example: 'SLA-NORMAL', description: CODE_HINT })
  @Matches(CODE, { message: `policyId must be ${CODE_HINT}` })
  policyId!: string;
}

export class UpdateSlaPolicyDto extends SlaPolicyBodyDto {
  @ApiPropertyOptional({ description: 'Set true to reactivate a deactivated policy' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

// ---------------------------------------------------------------- rules

export class TimeOfDayDto {
  @ApiProperty({ example: '22:00', description: "Local 'HH:mm', inclusive" })
  @IsString()
  from!: string;

  @ApiProperty({
    example: '06:00',
    description: "Local 'HH:mm', exclusive; earlier than from wraps midnight",
  })
  @IsString()
  to!: string;

  @ApiProperty({ example: 'Asia/Shanghai' })
  @IsString()
  timezone!: string;
}

export class RuleMatchDto {
  @ApiPropertyOptional({ type: [String], example: ['noise_neighbour'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  categoryCodes?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Any of these terms in the text', example: ['马路'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  keywordsAny?: string[];

  @ApiPropertyOptional({ type: [String], description: "The case's area or any ancestor", example: ['WL-FL'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  areaCodes?: string[];

  @ApiPropertyOptional({ type: TimeOfDayDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TimeOfDayDto)
  timeOfDay?: TimeOfDayDto;
}

export class RuleThenDto {
  @ApiProperty({ enum: UNIT_TYPES, description: 'Lead unit type (主办)' })
  @IsString()
  leadUnitType!: UnitType;

  @ApiPropertyOptional({ enum: UNIT_TYPES, isArray: true, description: 'Supporting unit types (协办)' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  supportUnitTypes?: UnitType[];

  @ApiPropertyOptional({ enum: PRIORITIES })
  @IsOptional()
  @IsIn(PRIORITIES)
  priorityOverride?: Priority;

  @ApiPropertyOptional({ example: 'SLA-URGENT' })
  @IsOptional()
  @IsString()
  slaPolicyId?: string;
}

export class RuleBodyDto {
  @ApiProperty({ description: 'Evaluation order, unique among active rules; lower runs first', example: 45 })
  @IsInt()
  priorityOrder!: number;

  @ApiPropertyOptional({ example: '夜间噪音: 派出所' })
  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;

  @ApiProperty({ type: RuleMatchDto, description: 'At least one criterion' })
  @ValidateNested()
  @Type(() => RuleMatchDto)
  match!: RuleMatchDto;

  @ApiProperty({ type: RuleThenDto })
  @ValidateNested()
  @Type(() => RuleThenDto)
  then!: RuleThenDto;
}

export class CreateRuleDto extends RuleBodyDto {
  @ApiProperty({ example: 'R-045', description: CODE_HINT })
  @Matches(CODE, { message: `id must be ${CODE_HINT}` })
  id!: string;
}

export class UpdateRuleDto extends RuleBodyDto {
  @ApiPropertyOptional({ description: 'Set true to reactivate a deactivated rule' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

// ---------------------------------------------------------------- answers (documentation)

export class HistoryEntryAnswer {
  @ApiProperty({ enum: ['area', 'unit', 'category', 'sla_policy', 'rule'] }) entityType!: string;
  @ApiProperty() entityId!: string;
  @ApiProperty({ description: 'Entity version after the change' }) version!: number;
  @ApiProperty({ description: 'Reference-data version the change created' }) refVersion!: number;
  @ApiProperty({ enum: ['create', 'update', 'deactivate', 'api_key_added', 'seed'] }) action!: string;
  @ApiProperty({ description: 'X-Actor of the change' }) actor!: string;
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) before!: unknown;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) after!: unknown;
}

export class AreaAnswer extends CreateAreaDto {
  @ApiProperty() active!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class UnitAnswer {
  @ApiProperty() unitId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: UNIT_TYPES }) unitType!: UnitType;
  @ApiProperty({ type: [String] }) areaCodes!: string[];
  @ApiProperty({ type: UnitContactBodyDto }) contact!: UnitContactBodyDto;
  @ApiPropertyOptional({ type: UnitContactBodyDto }) supervisorContact?: UnitContactBodyDto;
  @ApiPropertyOptional() webhookUrl?: string;
  @ApiProperty({ description: 'Active partner API keys (the keys themselves are never shown again)' })
  apiKeyCount!: number;
  @ApiProperty() active!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class UnitCreatedAnswer {
  @ApiProperty({ type: UnitAnswer }) unit!: UnitAnswer;
  @ApiProperty({ description: 'Partner API key, shown ONCE (only its sha256 is stored)' }) apiKey!: string;
  @ApiProperty({ description: 'Webhook HMAC secret, shown once' }) webhookSecret!: string;
}

export class ApiKeyAddedAnswer {
  @ApiProperty() unitId!: string;
  @ApiProperty({ description: 'The new partner API key, shown ONCE' }) apiKey!: string;
  @ApiProperty() apiKeyCount!: number;
  @ApiProperty() version!: number;
}

export class CategoryAnswer extends CreateCategoryDto {
  @ApiProperty() active!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class SlaPolicyAnswer extends CreateSlaPolicyDto {
  @ApiProperty() active!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class RuleAnswer extends CreateRuleDto {
  @ApiProperty() active!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class UnitTypeAnswer {
  @ApiProperty({ enum: UNIT_TYPES }) code!: UnitType;
  @ApiProperty({ example: '物业' }) zh!: string;
  @ApiProperty({ example: 'Property management' }) en!: string;
}

export class RepublishAnswer {
  @ApiProperty({ description: 'Reference events written to the outbox' }) published!: number;
  @ApiProperty() refVersion!: number;
}
