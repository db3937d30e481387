import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { DELIVERY_CHANNELS, DELIVERY_STATUSES, DeliveryChannel, DeliveryStatus } from '../domain';
import type { AttemptRow, DeliveryRow } from './deliveries.repository';

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only deliveries of this case' })
  @IsOptional()
  @IsUUID()
  caseId?: string;

  @ApiPropertyOptional({
    example: 'unit:prop-001',
    description: 'resident:<key>, unit:<unitId>, unit-supervisor:<unitId> or role:<role>',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  recipient?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ enum: DELIVERY_CHANNELS })
  @IsOptional()
  @IsIn(DELIVERY_CHANNELS)
  channel?: DeliveryChannel;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,18}$/)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class PageQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,18}$/)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class StatsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 720, default: 24, description: 'Window in hours' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(720)
  sinceHours?: number;
}

export class DeliveryIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class AttemptView {
  @ApiProperty() attemptNo!: number;
  @ApiProperty({ example: 'webhook' }) provider!: string;
  @ApiProperty({ enum: ['ok', 'failed', 'timeout'] }) outcome!: string;
  @ApiPropertyOptional({ nullable: true, description: 'HTTP status or SMTP code' }) responseCode!:
    number | null;
  @ApiProperty() latencyMs!: number;
  @ApiPropertyOptional({ nullable: true }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
}

export class DeliveryView {
  @ApiProperty({
    format: 'uuid',
    description: 'The deliveryId partners see (X-Webhook-Id); stable across retries',
  })
  id!: string;
  @ApiProperty({ description: 'Global order; within a case and endpoint, deliveries are sent in this order' })
  sequence!: number;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'case.assigned' }) eventType!: string;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) caseId!: string | null;
  @ApiPropertyOptional({ nullable: true }) reference!: string | null;
  @ApiProperty({ example: 'unit:prop-001' }) recipient!: string;
  @ApiProperty({ enum: ['resident', 'unit', 'unit_supervisor', 'role', 'unreachable'] })
  recipientKind!: string;
  @ApiProperty({ enum: [...DELIVERY_CHANNELS, 'none'] }) channel!: string;
  @ApiProperty({ description: 'Webhook URL or address (masked for residents)' }) endpoint!: string;
  @ApiProperty() templateKey!: string;
  @ApiProperty({ enum: ['zh-CN', 'en'] }) locale!: string;
  @ApiProperty() urgent!: boolean;
  @ApiProperty() subject!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: string;
  @ApiPropertyOptional({
    format: 'date-time',
    nullable: true,
    description: 'Held for quiet hours until then',
  })
  heldUntil!: string | null;
  @ApiProperty({ description: 'Attempts since the last replay' }) attempts!: number;
  @ApiProperty() totalAttempts!: number;
  @ApiProperty() replays!: number;
  @ApiProperty({ format: 'date-time' }) nextAttemptAt!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) deliveredAt!: string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) deadAt!: string | null;
  @ApiPropertyOptional({ nullable: true }) lastError!: string | null;
  @ApiPropertyOptional({ nullable: true }) lastResponseCode!: number | null;
  @ApiProperty({ type: [AttemptView] }) attemptLog!: AttemptView[];
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryView] }) items!: DeliveryView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as cursor for the next (older) page' })
  nextCursor!: string | null;
}

export class ChannelStatsView {
  @ApiProperty() channel!: string;
  @ApiProperty() delivered!: number;
  @ApiProperty() dead!: number;
  @ApiProperty({ description: 'pending or sending' }) open!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty() failedAttempts!: number;
  @ApiPropertyOptional({ nullable: true, description: 'delivered / (delivered + dead)' }) successRate!:
    number | null;
  @ApiPropertyOptional({ nullable: true }) p50Seconds!: number | null;
  @ApiPropertyOptional({ nullable: true }) p95Seconds!: number | null;
}

export class DeliveryStatsView {
  @ApiProperty() sinceHours!: number;
  @ApiProperty({ type: [ChannelStatsView] }) channels!: ChannelStatsView[];
}

/** Residents' addresses are personal data: the log shows enough to recognise them, not more. */
export function maskEndpoint(kind: string, channel: string, endpoint: string): string {
  if (kind !== 'resident') return endpoint;
  if (channel === 'email') {
    const [user, domain] = endpoint.split('@');
    return `${user.slice(0, 1)}***@${domain ?? ''}`;
  }
  return endpoint.length > 4
    ? `${'*'.repeat(Math.min(8, endpoint.length - 4))}${endpoint.slice(-4)}`
    : '****';
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function toDeliveryView(row: DeliveryRow, attempts: AttemptRow[]): DeliveryView {
  const heldUntil =
    row.status === 'pending' && row.not_before && new Date(row.not_before).getTime() > Date.now()
      ? iso(row.not_before)
      : null;
  return {
    id: row.id,
    sequence: Number(row.seq),
    eventId: row.event_id,
    eventType: row.event_type,
    caseId: row.case_id,
    reference: row.reference,
    recipient: row.recipient,
    recipientKind: row.recipient_kind,
    channel: row.channel,
    endpoint: maskEndpoint(row.recipient_kind, row.channel, row.endpoint),
    templateKey: row.template_key,
    locale: row.locale,
    urgent: row.urgent,
    subject: row.subject,
    status: row.status,
    heldUntil,
    attempts: row.attempts,
    totalAttempts: row.total_attempts,
    replays: row.replays,
    nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
    occurredAt: new Date(row.occurred_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    deliveredAt: iso(row.delivered_at),
    deadAt: iso(row.dead_at),
    lastError: row.last_error,
    lastResponseCode: row.last_http_status,
    attemptLog: attempts.map((a) => ({
      attemptNo: a.attempt_no,
      provider: a.provider,
      outcome: a.outcome,
      responseCode: a.http_status,
      latencyMs: a.latency_ms,
      error: a.error,
      startedAt: new Date(a.started_at).toISOString(),
    })),
  };
}
