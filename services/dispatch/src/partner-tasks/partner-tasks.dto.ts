import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '@app/platform';
import { TASK_STATUSES, TaskStatus } from '@app/contracts';

export class ListTasksQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'Comma-separated task statuses',
    example: 'assigned,accepted,in_progress',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  )
  @IsArray()
  @IsIn(TASK_STATUSES, { each: true })
  status?: TaskStatus[];

  @ApiPropertyOptional({
    description: 'Only tasks changed at or after this instant (polling)',
    format: 'date-time',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  updatedSince?: string;
}

export class ReturnTaskDto {
  @ApiProperty({ description: '退单 reason', example: '不属于物业职责，请转供水公司' })
  @IsString()
  @Length(2, 2000)
  reason!: string;
}

export class ProgressNoteDto {
  @ApiProperty({ example: '已派两名工程师到场疏通' })
  @IsString()
  @Length(1, 4000)
  note!: string;
}

export class RequestExtensionDto {
  @ApiProperty({ example: '需要等待配件到货' })
  @IsString()
  @Length(2, 2000)
  reason!: string;

  @ApiProperty({ description: 'The new resolve deadline asked for', format: 'date-time' })
  @IsISO8601({ strict: true })
  requestedDueAt!: string;
}

export class EvidenceDto {
  @ApiProperty({ example: 'https://media.example.org/cases/abc/after.jpg' })
  @IsString()
  @Length(1, 2000)
  url!: string;

  @ApiPropertyOptional({ example: 'image/jpeg' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  contentType?: string;
}

export class ResolveTaskDto {
  @ApiProperty({ example: '管道已疏通，现场已清理' })
  @IsString()
  @Length(1, 4000)
  note!: string;

  @ApiPropertyOptional({ type: [EvidenceDto], description: 'Photos or documents showing the result' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => EvidenceDto)
  evidence?: EvidenceDto[];
}

export class PartnerCaseSummaryDto {
  @ApiProperty() reference!: string;
  @ApiProperty() status!: string;
  @ApiProperty() description!: string;
  @ApiPropertyOptional() categoryCode?: string;
  @ApiProperty() priority!: string;
  @ApiProperty({ type: Object }) location!: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Omitted when the reporter is confidential (only the police see it)' })
  reporterName?: string;
  @ApiPropertyOptional() reporterPhone?: string;
  @ApiProperty() reporterConfidential!: boolean;
}

export class PartnerTaskDto {
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty() unitId!: string;
  @ApiProperty({ enum: ['lead', 'support'] }) role!: string;
  @ApiProperty({ enum: TASK_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) assignedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) acceptedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) acceptBy?: string;
  @ApiPropertyOptional({ format: 'date-time' }) resolveBy?: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: PartnerCaseSummaryDto }) case!: PartnerCaseSummaryDto;
  @ApiPropertyOptional({
    isArray: true,
    type: String,
    description: 'What this unit may do with the task now',
  })
  allowedActions?: string[];
  @ApiPropertyOptional({ type: [Object], description: 'Timeline entries meant for this unit' })
  timeline?: Record<string, unknown>[];
}

export class PartnerTaskPageDto {
  @ApiProperty({ type: [PartnerTaskDto] }) items!: PartnerTaskDto[];
  @ApiPropertyOptional({ description: 'Pass as cursor for the next page; absent on the last page' })
  nextCursor?: string;
}
