import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { PRIORITIES, Priority } from '@app/contracts';

// ---------------------------------------------------------------- queries

export class CaseIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() caseId!: string;
}

export class CaseFilterQuery {
  @ApiPropertyOptional({ enum: PRIORITIES }) @IsOptional() @IsIn(PRIORITIES) priority?: Priority;
  @ApiPropertyOptional({ description: 'Category code' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  category?: string;
  @ApiPropertyOptional({ description: 'Grid code (网格)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  grid?: string;
  @ApiPropertyOptional({ description: 'Lead unit id' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unit?: string;
}

export class LimitQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class PeriodQuery {
  @ApiProperty({
    description: 'Start of the period (inclusive), ISO 8601',
    example: '2026-11-01T00:00:00+08:00',
  })
  @IsISO8601({ strict: true })
  from!: string;
  @ApiProperty({
    description: 'End of the period (exclusive), ISO 8601',
    example: '2026-12-01T00:00:00+08:00',
  })
  @IsISO8601({ strict: true })
  to!: string;
}

export class BreachSeriesQuery extends PeriodQuery {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'day' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  interval?: 'hour' | 'day';
  @ApiPropertyOptional({ description: 'IANA time zone the buckets are counted in', default: 'Asia/Shanghai' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  tz?: string;
}

export class HotspotQuery extends PeriodQuery {
  @ApiPropertyOptional({ enum: ['grid', 'building'], default: 'grid' })
  @IsOptional()
  @IsIn(['grid', 'building'])
  level?: 'grid' | 'building';
  @ApiPropertyOptional({ description: 'Only this category' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  category?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}

// ---------------------------------------------------------------- answers

export class CountByKeyDto {
  @ApiProperty({ description: 'The value grouped by ("" when unknown)' }) key!: string;
  @ApiProperty() count!: number;
  @ApiPropertyOptional({ description: 'A readable name (units)' }) label?: string;
}

export class OpenCasesDto {
  @ApiProperty({ description: 'Open cases (not closed, cancelled or merged)' }) total!: number;
  @ApiProperty({ type: [CountByKeyDto] }) byStatus!: CountByKeyDto[];
  @ApiProperty({ type: [CountByKeyDto], description: 'By lead unit' }) byUnit!: CountByKeyDto[];
  @ApiProperty({ type: [CountByKeyDto] }) byCategory!: CountByKeyDto[];
  @ApiProperty({ type: [CountByKeyDto], description: 'By grid (area)' }) byGrid!: CountByKeyDto[];
  @ApiProperty({ type: [CountByKeyDto] }) byPriority!: CountByKeyDto[];
}

export class AgingBucketDto {
  @ApiProperty({ example: '1h_4h' }) key!: string;
  @ApiProperty() zh!: string;
  @ApiProperty() en!: string;
  @ApiProperty() count!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Count per priority',
  })
  byPriority!: Record<string, number>;
}

export class AgingDto {
  @ApiProperty() asOf!: string;
  @ApiProperty({ type: [AgingBucketDto] }) buckets!: AgingBucketDto[];
}

export class BreachItemDto {
  @ApiProperty() breachId!: string;
  @ApiProperty() caseId!: string;
  @ApiProperty() reference!: string;
  @ApiProperty({ nullable: true, type: String }) taskId!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitId!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitName!: string | null;
  @ApiProperty({ enum: ['accept', 'resolve'] }) deadline!: string;
  @ApiProperty({ nullable: true, type: String }) dueAt!: string | null;
  @ApiProperty() breachedAt!: string;
  @ApiProperty({ description: 'Seconds past the deadline now' }) overdueSeconds!: number;
  @ApiProperty() acknowledged!: boolean;
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: String }) priority!: string | null;
  @ApiProperty({ nullable: true, type: String }) category!: string | null;
  @ApiProperty({ nullable: true, type: String }) grid!: string | null;
  @ApiProperty({ nullable: true, type: String }) building!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
}

export class BreachBoardDto {
  @ApiProperty() asOf!: string;
  @ApiProperty({ description: 'Breaches whose deadline is still unmet' }) total!: number;
  @ApiProperty({ type: [BreachItemDto] }) items!: BreachItemDto[];
}

export class BreachPointDto {
  @ApiProperty({ description: 'Bucket start' }) start!: string;
  @ApiProperty() accept!: number;
  @ApiProperty() resolve!: number;
  @ApiProperty() total!: number;
}

export class BreachSeriesDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: ['hour', 'day'] }) interval!: 'hour' | 'day';
  @ApiProperty() timezone!: string;
  @ApiProperty() total!: number;
  @ApiProperty({ type: [BreachPointDto] }) points!: BreachPointDto[];
}

export class PointsRuleDto {
  @ApiProperty({ description: 'Points per task closed on time (OPS_POINTS_ON_TIME)' }) onTime!: number;
  @ApiProperty({ description: 'Points per SLA breach (OPS_POINTS_BREACH)' }) breach!: number;
}

export class UnitPerformanceRowDto {
  @ApiProperty() unitId!: string;
  @ApiProperty({ nullable: true, type: String }) unitName!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitType!: string | null;
  @ApiProperty({ description: 'Tasks assigned in the period' }) tasks!: number;
  @ApiProperty() accepted!: number;
  @ApiProperty() resolved!: number;
  @ApiProperty({ nullable: true, type: Number }) acceptSecondsP50!: number | null;
  @ApiProperty({ nullable: true, type: Number }) acceptSecondsP90!: number | null;
  @ApiProperty({ nullable: true, type: Number }) resolveSecondsP50!: number | null;
  @ApiProperty({ nullable: true, type: Number }) resolveSecondsP90!: number | null;
  @ApiProperty({ description: 'Resolved with no breach and within resolveBy' }) onTime!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'onTime / resolved' }) onTimeRate!: number | null;
  @ApiProperty() returned!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'returned / tasks' }) returnRate!: number | null;
  @ApiProperty({ description: 'Closed cases it led with a satisfaction rating' }) rated!: number;
  @ApiProperty({ nullable: true, type: Number, description: '(satisfied + basically satisfied) / rated' })
  satisfactionRate!: number | null;
  @ApiProperty() breaches!: number;
  @ApiProperty({ description: 'Tasks on time whose case is closed' }) onTimeClosed!: number;
  @ApiProperty({ description: '积分 = onTimeClosed × onTime + breaches × breach' }) points!: number;
}

export class UnitPerformanceDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ type: PointsRuleDto }) pointsRule!: PointsRuleDto;
  @ApiProperty({ type: [UnitPerformanceRowDto] }) units!: UnitPerformanceRowDto[];
}

export class HotspotCellDto {
  @ApiProperty({ description: 'Grid code ("" when unknown)' }) grid!: string;
  @ApiPropertyOptional({ description: 'Building code (level=building)' }) building?: string;
  @ApiProperty({ description: 'Category code ("" when unknown)' }) category!: string;
  @ApiProperty() count!: number;
}

export class HotspotsDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: ['grid', 'building'] }) level!: 'grid' | 'building';
  @ApiProperty({ description: 'Days are counted in this zone (whole days touched by the period)' })
  timezone!: string;
  @ApiProperty({ type: [HotspotCellDto] }) cells!: HotspotCellDto[];
}

export class TriageItemDto {
  @ApiProperty() caseId!: string;
  @ApiProperty() reference!: string;
  @ApiProperty({ nullable: true, type: String }) priority!: string | null;
  @ApiProperty({ nullable: true, type: String }) category!: string | null;
  @ApiProperty({ nullable: true, type: String }) grid!: string | null;
  @ApiProperty({ nullable: true, type: String }) building!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() reportedAt!: string;
  @ApiProperty() waitingSeconds!: number;
}

export class TriageQueueDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [TriageItemDto] }) items!: TriageItemDto[];
}

export class OpsTaskDto {
  @ApiProperty() taskId!: string;
  @ApiProperty({ nullable: true, type: String }) unitId!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitName!: string | null;
  @ApiProperty({ nullable: true, type: String }) role!: string | null;
  @ApiProperty({ nullable: true, type: String }) assignedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) acceptedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) returnedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) acceptBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) resolveBy!: string | null;
  @ApiProperty() acceptBreached!: boolean;
  @ApiProperty() resolveBreached!: boolean;
}

export class OpsBreachDto {
  @ApiProperty() breachId!: string;
  @ApiProperty() deadline!: string;
  @ApiProperty({ nullable: true, type: String }) unitId!: string | null;
  @ApiProperty({ nullable: true, type: String }) dueAt!: string | null;
  @ApiProperty() breachedAt!: string;
  @ApiProperty({ nullable: true, type: Number }) lateBySeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) acknowledgedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the deadline was met or the case ended' })
  closedAt!: string | null;
}

export class OpsTimelineEntryDto {
  @ApiProperty() eventId!: string;
  @ApiProperty({ example: 'case.sla-breached' }) type!: string;
  @ApiProperty() at!: string;
  @ApiProperty({ nullable: true, type: String }) status!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitId!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitName!: string | null;
  @ApiProperty({ nullable: true, type: String }) note!: string | null;
}

export class OpsCaseDetailDto {
  @ApiProperty() caseId!: string;
  @ApiProperty() reference!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: String }) priority!: string | null;
  @ApiProperty({ nullable: true, type: String }) category!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String }) grid!: string | null;
  @ApiProperty({ nullable: true, type: String }) building!: string | null;
  @ApiProperty({ nullable: true, type: Number }) lat!: number | null;
  @ApiProperty({ nullable: true, type: Number }) lng!: number | null;
  @ApiProperty({ nullable: true, type: String }) leadUnitId!: string | null;
  @ApiProperty({ nullable: true, type: String }) leadUnitName!: string | null;
  @ApiProperty() triage!: boolean;
  @ApiProperty({ nullable: true, type: String }) triageReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) reportedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) assignedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) acceptedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) closedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) satisfaction!: string | null;
  @ApiProperty() breachCount!: number;
  @ApiProperty() returnCount!: number;
  @ApiProperty({ type: [OpsTaskDto] }) tasks!: OpsTaskDto[];
  @ApiProperty({ type: [OpsBreachDto] }) breaches!: OpsBreachDto[];
  @ApiProperty({ type: [OpsTimelineEntryDto], description: 'Events the ops read model saw, in time order' })
  timeline!: OpsTimelineEntryDto[];
}
