import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { CASE_STATUSES, SATISFACTION } from '@app/contracts';
import type { CaseStatus, Satisfaction } from '@app/contracts';

export class TrackingQuery {
  @ApiPropertyOptional({ description: 'Tracking token (or send header X-Tracking-Token)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  token?: string;
}

export class TimelineEntryView {
  @ApiProperty({ example: 'case.assigned' }) type!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiPropertyOptional({ description: 'Text meant for the resident' }) note?: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class ReportStatusView {
  @ApiProperty({ example: 'WL-20261123-000123' }) reference!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiPropertyOptional({ description: 'The unit responsible (lead unit)' }) responsibleUnit?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the unit is due to resolve it' })
  expectedBy?: string;
  @ApiPropertyOptional() categoryCode?: string;
  @ApiProperty({ format: 'date-time' }) reportedAt!: string;
  @ApiProperty({ description: 'The center asked for more information (POST …/info)' })
  infoRequested!: boolean;
  @ApiProperty({ description: 'Resolved: the reporter may confirm and rate (POST …/feedback)' })
  awaitingFeedback!: boolean;
  @ApiPropertyOptional({ description: 'Set when this case was merged into another' })
  mergedIntoReference?: string;
  @ApiProperty({ type: [TimelineEntryView] }) timeline!: TimelineEntryView[];
}

export class FeedbackDto {
  @ApiProperty({ description: 'The reporter confirms the problem is solved' })
  @IsBoolean()
  confirmed!: boolean;

  @ApiProperty({ enum: SATISFACTION })
  @IsIn(SATISFACTION)
  satisfaction!: Satisfaction;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  comment?: string;
}

export class InfoDto {
  @ApiProperty({ description: 'The information the center asked for', minLength: 1, maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  text!: string;
}

export class AcceptedAnswer {
  @ApiProperty({ example: true }) accepted!: boolean;
  @ApiProperty({ example: 'WL-20261123-000123' }) reference!: string;
}
