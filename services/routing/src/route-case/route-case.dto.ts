import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsOptional,
  IsString,
  Length,
  Min,
  ValidateNested,
} from 'class-validator';
import { MANDATORY_REPORT_KINDS, PRIORITIES, TRIAGE_REASONS, UNIT_TYPES } from '@app/contracts';

export class ExplainLocationDto {
  @ApiPropertyOptional({ example: 'WL-GH-G1' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  gridCode?: string;

  @ApiPropertyOptional({ example: 'WL-GH-G1-B02' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  buildingCode?: string;

  @ApiPropertyOptional({ example: '桂花苑2幢3单元' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  addressText?: string;

  @ApiPropertyOptional({ example: 30.285 })
  @IsOptional()
  @IsLatitude()
  lat?: number;

  @ApiPropertyOptional({ example: 120.115 })
  @IsOptional()
  @IsLongitude()
  lng?: number;
}

export class ExplainRequestDto {
  @ApiProperty({
    example: '楼下下水管堵了,污水冒出来',
    description: "The report's text (Chinese or English)",
  })
  @IsString()
  @Length(1, 4000)
  text!: string;

  @ApiPropertyOptional({
    example: 'drainage_sewage',
    description: 'A category given with the report (trusted)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  categoryCode?: string;

  @ApiPropertyOptional({ type: ExplainLocationDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ExplainLocationDto)
  location?: ExplainLocationDto;

  @ApiPropertyOptional({
    type: [String],
    description: 'Units that returned the case (as a re-route would exclude them)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  excludedUnitIds?: string[];

  @ApiPropertyOptional({ description: 'Times the case was returned so far', example: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  returnCount?: number;

  @ApiPropertyOptional({
    description: 'Decide as at this instant (time-of-day rules); default now',
    example: '2026-11-24T23:30:00+08:00',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class ExplainSupportUnit {
  @ApiProperty() unitId!: string;
  @ApiProperty({ enum: UNIT_TYPES }) unitType!: string;
  @ApiProperty() unitName!: string;
}

export class ExplainAnswer {
  @ApiProperty({ enum: ['routed', 'triage'] }) outcome!: 'routed' | 'triage';
  @ApiPropertyOptional({ nullable: true, type: String }) categoryCode!: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: '0-1; 1 when the category was given' })
  confidence!: number | null;
  @ApiPropertyOptional({
    enum: UNIT_TYPES,
    nullable: true,
    description: 'Lead unit type (suggested one on triage)',
  })
  unitType!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The covering lead unit' }) unitId!:
    string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) unitName!: string | null;
  @ApiProperty({ type: [String] }) supportUnitIds!: string[];
  @ApiProperty({ type: [ExplainSupportUnit] }) support!: ExplainSupportUnit[];
  @ApiProperty({ enum: PRIORITIES }) priority!: string;
  @ApiPropertyOptional({ enum: MANDATORY_REPORT_KINDS, nullable: true }) mandatoryReport!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'Full SLA policy snapshot',
  })
  slaPolicy!: unknown;
  @ApiPropertyOptional({ nullable: true, type: String }) ruleId!: string | null;
  @ApiProperty({ description: 'Reference-data version the decision used' }) ruleVersion!: number;
  @ApiPropertyOptional({ enum: TRIAGE_REASONS, nullable: true }) triageReason!: string | null;
  @ApiProperty({ type: [String], description: 'Human-readable explanation, in decision order' })
  reasons!: string[];
  @ApiProperty({ type: [String], description: 'Emergency / mandatory-report signals found' })
  signals!: string[];
  @ApiProperty({ type: [String], description: 'Area codes of the location, most specific first' })
  areaChain!: string[];
  @ApiPropertyOptional({
    description: "The classifier's best categories (when classified from the text)",
    type: 'array',
    items: { type: 'object', properties: { categoryCode: { type: 'string' }, score: { type: 'number' } } },
  })
  ranking?: { categoryCode: string; score: number }[];
  @ApiProperty({ description: 'The instant decided at' }) at!: string;
}
