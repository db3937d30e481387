import { ApiProperty } from '@nestjs/swagger';
import { ALLOWED_MEDIA_TYPES } from '../domain';

export class MediaUploadBody {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: `One file: ${ALLOWED_MEDIA_TYPES.join(', ')}; size limit MEDIA_MAX_BYTES (default 10 MB)`,
  })
  file!: unknown;
}

export class MediaAnswer {
  @ApiProperty({
    description: 'URL to put in media[].url of a report',
    example: 'http://localhost:3001/v1/media/3f1c…',
  })
  url!: string;
  @ApiProperty({ enum: ALLOWED_MEDIA_TYPES }) contentType!: string;
  @ApiProperty({ example: 48213 }) size!: number;
}
