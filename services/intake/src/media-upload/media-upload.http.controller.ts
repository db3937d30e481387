import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import multer from 'multer';
import { DomainError, NotFoundError } from '@app/contracts';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { clientAddress } from '../shared/http-helpers';
import { INTAKE_ERRORS, invalidField } from '../shared/intake-errors';
import { IntakeRateLimits } from '../shared/rate-limits';
import { MediaAnswer, MediaUploadBody } from './media-upload.dto';
import { MediaUploadHandler } from './media-upload.handler';

@ApiTags('media')
@Controller('v1/media')
export class MediaUploadHttpController {
  private readonly upload: ReturnType<ReturnType<typeof multer>['single']>;

  constructor(
    private readonly handler: MediaUploadHandler,
    private readonly limits: IntakeRateLimits,
    @Inject(INTAKE_CONFIG) config: IntakeConfig,
  ) {
    this.upload = multer({
      storage: multer.memoryStorage(),
      limits: { fileSize: config.mediaMaxBytes, files: 1, fields: 0, parts: 1 },
    }).single('file');
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a photo, video or audio (multipart field "file"); the type is checked from the content',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: MediaUploadBody })
  @ApiCreatedResponse({ type: MediaAnswer })
  @ApiPayloadTooLargeResponse({ description: 'INTAKE.MEDIA_TOO_LARGE' })
  @ApiUnsupportedMediaTypeResponse({ description: 'INTAKE.MEDIA_TYPE_NOT_ALLOWED' })
  async create(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<MediaAnswer> {
    await this.limits.upload(clientAddress(req));
    if (!req.is('multipart/form-data'))
      throw invalidField('file', 'send multipart/form-data with one part named "file"');
    await new Promise<void>((resolve, reject) =>
      this.upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError) {
          if (err.code === 'LIMIT_FILE_SIZE') {
            return reject(
              new DomainError(
                INTAKE_ERRORS.MediaTooLarge,
                'file is larger than the limit',
                { field: 'file' },
                413,
              ),
            );
          }
          return reject(
            invalidField(err.field ?? 'file', `${err.message}; send exactly one part named "file"`),
          );
        }
        reject(invalidField('file', 'malformed multipart body'));
      }),
    );
    const file = (req as Request & { file?: Express.Multer.File }).file;
    if (!file) throw invalidField('file', 'is required');
    return this.handler.store(file);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Fetch uploaded media' })
  @ApiOkResponse({ description: 'The file, with its checked content type' })
  @ApiNotFoundResponse()
  async get(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const found = await this.handler.load(id);
    if (!found) throw new NotFoundError('Media', INTAKE_ERRORS.NotFound);
    res.setHeader('Content-Type', found.contentType);
    res.setHeader('Cache-Control', 'private, max-age=86400');
    res.setHeader('Content-Disposition', 'inline');
    res.send(found.body);
  }
}
