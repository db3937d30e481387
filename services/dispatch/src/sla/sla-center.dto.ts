import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { ESCALATION_ACTIONS, SLA_DEADLINE_KINDS } from '@app/contracts';
import { PageQuery } from '@app/platform';

export class BreachesQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Breaches of this unit' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unitId?: string;

  @ApiPropertyOptional({ description: 'Grid, building or community code of the case location' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  areaCode?: string;

  @ApiPropertyOptional({ description: 'Category of the case' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  categoryCode?: string;
}

export class EscalationsQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Only acknowledged / only unacknowledged (default: unacknowledged)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  acknowledged?: 'true' | 'false';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unitId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  caseId?: string;
}

export class AcknowledgeEscalationDto {
  @ApiPropertyOptional({
    description: 'What the supervisor did or decided',
    example: '已电话督促物业今晚处理',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  note?: string;
}

export class EscalationDto {
  @ApiProperty({ format: 'uuid' }) escalationId!: string;
  @ApiPropertyOptional({ format: 'uuid' }) breachId?: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiPropertyOptional() reference?: string;
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty() unitId!: string;
  @ApiProperty({ enum: SLA_DEADLINE_KINDS }) deadline!: string;
  @ApiProperty({ format: 'date-time', description: 'The deadline that was missed' }) dueAt!: string;
  @ApiProperty({ description: 'Index of the step in the policy escalation ladder (0-based)' }) step!: number;
  @ApiProperty({ enum: ESCALATION_ACTIONS }) action!: string;
  @ApiProperty({ format: 'date-time' }) firedAt!: string;
  @ApiProperty({ description: 'Business seconds past the deadline when the step fired' })
  lateBySeconds!: number;
  @ApiPropertyOptional() acknowledgedBy?: string;
  @ApiPropertyOptional({ format: 'date-time' }) acknowledgedAt?: string;
  @ApiPropertyOptional() acknowledgeNote?: string;
}

export class EscalationPageDto {
  @ApiProperty({ type: [EscalationDto] }) items!: EscalationDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class BreachDto {
  @ApiProperty({ format: 'uuid' }) breachId!: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty() reference!: string;
  @ApiProperty() caseStatus!: string;
  @ApiProperty() priority!: string;
  @ApiPropertyOptional() categoryCode?: string;
  @ApiPropertyOptional() gridCode?: string;
  @ApiProperty() supervisionFlagged!: boolean;
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty() unitId!: string;
  @ApiPropertyOptional() unitName?: string;
  @ApiProperty({ enum: SLA_DEADLINE_KINDS }) deadline!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty({ format: 'date-time' }) breachedAt!: string;
  @ApiProperty({ description: 'Wall-clock seconds past the deadline now' }) overdueSeconds!: number;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Set when the deadline was met, the task ended or the clock restarted',
  })
  resolvedAt?: string;
  @ApiPropertyOptional({ enum: ['met', 'restarted'] }) resolution?: string;
  @ApiProperty({ type: [EscalationDto] }) escalations!: EscalationDto[];
}

export class BreachPageDto {
  @ApiProperty({ type: [BreachDto], description: 'Open breaches, oldest deadline first' })
  items!: BreachDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class TaskSlaDto {
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty() unitId!: string;
  @ApiProperty({ enum: ['lead', 'support'] }) role!: string;
  @ApiProperty() status!: string;
  @ApiProperty({
    type: Object,
    description:
      'slaView: policyId, calendarKind, paused, pausedSince, pausedSeconds, accept/resolve {dueAt, warnAt, standing, remainingSeconds | overdueSeconds | lateBySeconds, …}, next timer',
  })
  sla!: Record<string, unknown>;
}

export class CaseSlaDto {
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: [TaskSlaDto] }) tasks!: TaskSlaDto[];
  @ApiProperty({ type: [BreachDto], description: 'Every breach of the case, open and resolved' })
  breaches!: BreachDto[];
}
