import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  ValidateIf,
  IsDefined,
} from 'class-validator';

/** POST requests.{format}: application/x-www-form-urlencoded, field names as GeoReport v2 has them. */
export class Open311CreateRequestDto {
  @ApiProperty({ description: 'Client API key (required)' })
  @IsOptional()
  @IsString()
  api_key?: string;

  @ApiPropertyOptional({
    description: 'Accepted; must match OPEN311_JURISDICTION_ID when that is configured',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  jurisdiction_id?: string;

  @ApiProperty({ description: 'service_code from GET services' })
  @IsString()
  @Length(1, 64)
  service_code!: string;

  @ApiPropertyOptional({
    description: 'Latitude (WGS84); with long. One of lat/long, address_string or address_id is required.',
  })
  @ValidateIf((o: Open311CreateRequestDto) => o.lat !== undefined || o.long !== undefined)
  @IsDefined()
  @Type(() => Number)
  @IsNumber()
  @IsLatitude()
  lat?: number;

  @ApiPropertyOptional({ description: 'Longitude (WGS84); with lat' })
  @ValidateIf((o: Open311CreateRequestDto) => o.lat !== undefined || o.long !== undefined)
  @IsDefined()
  @Type(() => Number)
  @IsNumber()
  @IsLongitude()
  long?: number;

  @ApiPropertyOptional({ description: 'Human-entered address or description of location', maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  address_string?: string;

  @ApiPropertyOptional({
    description: "Address id from the jurisdiction's address repository (here: the building code)",
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  address_id?: string;

  @ApiPropertyOptional() @IsOptional() @IsEmail() email?: string;
  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @Length(1, 200) device_id?: string;
  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @Length(1, 200) account_id?: string;
  @ApiPropertyOptional({ maxLength: 50 }) @IsOptional() @IsString() @Length(1, 50) first_name?: string;
  @ApiPropertyOptional({ maxLength: 50 }) @IsOptional() @IsString() @Length(1, 50) last_name?: string;

  @ApiPropertyOptional({ pattern: '^\\+?[0-9 -]{5,20}$' })
  @IsOptional()
  @Matches(/^\+?[0-9 -]{5,20}$/, { message: 'phone must be 5-20 digits, spaces or dashes' })
  phone?: string;

  @ApiPropertyOptional({ maxLength: 4000 }) @IsOptional() @IsString() @Length(1, 4000) description?: string;

  @ApiPropertyOptional({ description: 'URL of a photo (e.g. from POST /v1/media)' })
  @IsOptional()
  @IsString()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  media_url?: string;

  @ApiPropertyOptional({
    description: 'attribute[code]=value pairs from the service definition (building_code, grid_code)',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsObject()
  attribute?: Record<string, unknown>;
}

/** GET requests.{format} query. */
export class Open311RequestsQuery {
  @ApiPropertyOptional({ description: 'Comma-delimited ids; overrides every other parameter' })
  @IsOptional()
  @IsString()
  @Length(1, 4000)
  service_request_id?: string;

  @ApiPropertyOptional({ description: 'Comma-delimited service codes' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  service_code?: string;

  @ApiPropertyOptional({
    description: 'Earliest requested_datetime (W3C); with end_date at most 90 days apart',
  })
  @IsOptional()
  @IsISO8601()
  start_date?: string;

  @ApiPropertyOptional({ description: 'Latest requested_datetime (W3C)' })
  @IsOptional()
  @IsISO8601()
  end_date?: string;

  @ApiPropertyOptional({ description: 'open, closed, or both comma-delimited (default: all)' })
  @IsOptional()
  @IsString()
  @Length(1, 20)
  status?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) jurisdiction_id?: string;
  @ApiPropertyOptional({ description: 'Not needed for reading; accepted' })
  @IsOptional()
  @IsString()
  api_key?: string;
}

export class Open311JurisdictionQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) jurisdiction_id?: string;
  @ApiPropertyOptional({ description: 'Not needed for reading; accepted' })
  @IsOptional()
  @IsString()
  api_key?: string;
}
