import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Min } from 'class-validator';

/**
 * The envelope every event travels in. `key` is the Kafka message key: the caseId for case
 * topics, the entity id for reference topics. eventId, correlationId and causationId are also
 * copied into Kafka headers so tools can read them without parsing the value.
 */
export class EventEnvelope<P = Record<string, unknown>> {
  @IsUUID()
  eventId!: string;

  @IsString()
  @Length(3, 80)
  type!: string;

  @IsInt()
  @Min(1)
  schemaVersion!: number;

  @IsString()
  @Length(1, 200)
  key!: string;

  @IsOptional()
  @IsUUID()
  caseId?: string;

  @IsString()
  @Length(1, 200)
  correlationId!: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  causationId?: string;

  @IsISO8601({ strict: true })
  occurredAt!: string;

  @IsIn(['intake', 'routing', 'dispatch', 'notification', 'test', 'bench'])
  producer!: string;

  @IsObject()
  payload!: P;
}

export const ENVELOPE_HEADERS = {
  eventId: 'x-event-id',
  type: 'x-event-type',
  correlationId: 'x-correlation-id',
  causationId: 'x-causation-id',
  producer: 'x-producer',
  dlqReason: 'x-dlq-reason',
  dlqSourceTopic: 'x-dlq-source-topic',
  dlqSourcePartition: 'x-dlq-source-partition',
  dlqSourceOffset: 'x-dlq-source-offset',
  dlqConsumer: 'x-dlq-consumer',
} as const;
