import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { requestWork } from '@app/platform';
import { clientAddress, compact, idempotencyKeyOf, toLocation, toReporter } from '../shared/http-helpers';
import { IntakeRateLimits } from '../shared/rate-limits';
import { CreateReportDto, ReportAnswer } from './report-intake.dto';
import { ReportIntakeHandler, ReportAnswerBody } from './report-intake.handler';

@ApiTags('reports')
@Controller('v1/reports')
export class ReportIntakeHttpController {
  constructor(
    private readonly handler: ReportIntakeHandler,
    private readonly limits: IntakeRateLimits,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Report a problem (any channel)',
    description:
      'Creates a case, or attaches the report to an open case of the same category at the same building/grid within the duplicate window (answer has duplicateOf). No authentication: residents, grid workers and hotline operators call it; limited per client address and per phone number.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Same key + same body → the original answer (201 again); same key + other body → 422. 8-128 chars [A-Za-z0-9._:-].',
  })
  @ApiCreatedResponse({ type: ReportAnswer })
  @ApiBadRequestResponse({ description: 'Invalid field (named in details.fields)' })
  @ApiUnprocessableEntityResponse({
    description: 'Idempotency-Key reused with a different body (IDEMPOTENCY.KEY_REUSED)',
  })
  @ApiTooManyRequestsResponse({ description: 'Rate limited (INTAKE.RATE_LIMITED); see Retry-After' })
  async create(
    @Body() dto: CreateReportDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReportAnswerBody> {
    const key = idempotencyKeyOf(req);
    await this.limits.report(clientAddress(req), dto.reporter.phone);
    const out = await this.handler.submit(
      compact({
        channel: dto.channel,
        description: dto.description,
        categoryCode: dto.categoryCode,
        location: toLocation(dto.location),
        reporter: toReporter({
          ...dto.reporter,
          anonymous: dto.reporter.anonymous,
          confidential: dto.reporter.confidential,
        }),
        media: (dto.media ?? []).map((m) => compact({ url: m.url, contentType: m.contentType })),
        gridWorkerId: dto.gridWorkerId,
      }),
      requestWork(req),
      key ? { idempotency: { scope: 'v1.reports', key } } : {},
    );
    res.status(out.status);
    if (out.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return out.body;
  }
}
