import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
} from 'class-validator';
import { PageQuery } from '@app/platform';
import { CASE_STATUSES, CaseStatus, PRIORITIES, Priority } from '@app/contracts';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

export class SearchCasesQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Comma-separated statuses', example: 'assigned,accepted' })
  @IsOptional()
  @Transform(csv)
  @IsArray()
  @IsIn(CASE_STATUSES, { each: true })
  status?: CaseStatus[];

  @ApiPropertyOptional({ description: 'Cases with a task (any role, any time) of this unit' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unitId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  categoryCode?: string;

  @ApiPropertyOptional({ description: 'Grid, building or community code of the report location' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  areaCode?: string;

  @ApiPropertyOptional({ description: 'Comma-separated priorities', example: 'urgent,high' })
  @IsOptional()
  @Transform(csv)
  @IsArray()
  @IsIn(PRIORITIES, { each: true })
  priority?: Priority[];

  @ApiPropertyOptional({ description: 'Created at or after', format: 'date-time' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ description: 'Created before', format: 'date-time' })
  @IsOptional()
  @IsISO8601()
  to?: string;

  @ApiPropertyOptional({ description: 'Text in the description or reference' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;
}

export class TriageQueueQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1_000_000, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}

export class TimelineQuery {
  @ApiPropertyOptional({
    enum: ['center', 'partner', 'resident'],
    default: 'center',
    description: 'Whose view to show',
  })
  @IsOptional()
  @IsIn(['center', 'partner', 'resident'])
  audience?: 'center' | 'partner' | 'resident';

  @ApiPropertyOptional({ description: 'With audience=partner: the unit whose view to show' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unitId?: string;
}

class UnitChoiceDto {
  @ApiProperty({ description: 'Lead unit (主办)', example: 'prop-greenhill' })
  @IsString()
  @Length(1, 64)
  leadUnitId!: string;

  @ApiPropertyOptional({ description: 'Supporting units (协办)', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  supportUnitIds?: string[];

  @ApiPropertyOptional({ enum: PRIORITIES })
  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  categoryCode?: string;
}

export class AssignDto extends UnitChoiceDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}

export class ReassignDto extends UnitChoiceDto {
  @ApiProperty({ description: 'Why the lead changes' })
  @IsString()
  @Length(2, 2000)
  reason!: string;
}

export class GrantExtensionDto {
  @ApiPropertyOptional({
    description: 'New resolve deadline; default: the one asked for',
    format: 'date-time',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  dueAt?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  note?: string;
}

export class RefuseExtensionDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}

export class VerifyCloseDto {
  @ApiPropertyOptional({ description: 'Verification note (核查)' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  note?: string;
}

export class ReasonDto {
  @ApiProperty()
  @IsString()
  @Length(2, 2000)
  reason!: string;
}

export class MergeDto {
  @ApiProperty({ format: 'uuid', description: 'The case this duplicate is merged into' })
  @IsUUID()
  intoCaseId!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}

export class FlagSupervisionDto {
  @ApiPropertyOptional({ description: '督办 reason' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}

export class ReopenDto {
  @ApiProperty()
  @IsString()
  @Length(2, 2000)
  reason!: string;

  @ApiPropertyOptional({ description: 'Another lead unit; default the last lead unit' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unitId?: string;
}

export class RequestInfoDto {
  @ApiProperty({ description: 'The question for the resident', example: '请提供具体楼层和门牌号' })
  @IsString()
  @Length(2, 1000)
  question!: string;
}

export class CaseSummaryDto {
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty() reference!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: string;
  @ApiProperty({ enum: PRIORITIES }) priority!: string;
  @ApiPropertyOptional() categoryCode?: string;
  @ApiPropertyOptional() leadUnitId?: string;
  @ApiPropertyOptional() mandatoryReport?: string;
  @ApiPropertyOptional() triageReason?: string;
  @ApiProperty() supervisionFlagged!: boolean;
  @ApiProperty() description!: string;
  @ApiProperty({ type: Object }) location!: Record<string, unknown>;
  @ApiProperty() routingAttempt!: number;
  @ApiPropertyOptional() closedHow?: string;
  @ApiPropertyOptional() satisfaction?: string;
  @ApiPropertyOptional({ format: 'date-time' }) autoCloseAt?: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class CaseDetailDto extends CaseSummaryDto {
  @ApiProperty({ type: Object, description: 'The report snapshot, reporter included (center only)' })
  report!: Record<string, unknown>;
  @ApiProperty({ type: [Object], description: 'Every task with its SLA view and allowed commands' })
  tasks!: Record<string, unknown>[];
  @ApiProperty({ type: [String] }) returnedUnitIds!: string[];
  @ApiProperty() returnCount!: number;
  @ApiProperty() reopenCount!: number;
  @ApiPropertyOptional({ type: Object }) pendingExtension?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object }) resolution?: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'Commands the case takes now' }) allowedCommands!: string[];
}

export class CasePageDto {
  @ApiProperty({ type: [CaseSummaryDto] }) items!: CaseSummaryDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class TriagePageDto {
  @ApiProperty({ type: [CaseSummaryDto] }) items!: CaseSummaryDto[];
  @ApiProperty() total!: number;
}

export class TimelineEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['unit', 'staff', 'resident', 'system'] }) actorKind!: string;
  @ApiPropertyOptional() actorId?: string;
  @ApiProperty() eventType!: string;
  @ApiProperty({ type: [String] }) visibility!: string[];
  @ApiPropertyOptional() taskId?: string;
  @ApiPropertyOptional() unitId?: string;
  @ApiPropertyOptional() note?: string;
  @ApiPropertyOptional() residentNote?: string;
  @ApiPropertyOptional({ type: Object }) data?: Record<string, unknown>;
}
