import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { requestWork } from '@app/platform';
import { clientAddress } from '../shared/http-helpers';
import { IntakeRateLimits } from '../shared/rate-limits';
import { AcceptedAnswer, FeedbackDto, InfoDto, ReportStatusView, TrackingQuery } from './report-tracking.dto';
import { ReportTrackingHandler } from './report-tracking.handler';

const TOKEN_HEADER = {
  name: 'X-Tracking-Token',
  required: false,
  description:
    'The tracking token from the report answer (or pass ?token=). Wrong or missing token → 404, as for an unknown reference.',
};

@ApiTags('reports')
@Controller('v1/reports/:reference')
@ApiParam({ name: 'reference', example: 'WL-20261123-000123' })
@ApiHeader(TOKEN_HEADER)
@ApiNotFoundResponse({ description: 'Unknown reference, or wrong/missing tracking token (INTAKE.NOT_FOUND)' })
export class ReportTrackingHttpController {
  constructor(
    private readonly handler: ReportTrackingHandler,
    private readonly limits: IntakeRateLimits,
  ) {}

  private token(req: Request, q: TrackingQuery): string | undefined {
    return req.header('x-tracking-token') ?? q.token;
  }

  @Get()
  @ApiOperation({
    summary: 'Track a report (resident view): status, responsible unit, expected time, timeline',
  })
  @ApiOkResponse({ type: ReportStatusView })
  async view(
    @Param('reference') reference: string,
    @Query() q: TrackingQuery,
    @Req() req: Request,
  ): Promise<ReportStatusView> {
    await this.limits.client(`track:${clientAddress(req)}`);
    return this.handler.view(reference, this.token(req, q));
  }

  @Post('feedback')
  @HttpCode(202)
  @ApiOperation({ summary: 'Confirm and rate a resolved case (回访); publishes case.feedback-submitted' })
  @ApiAcceptedResponse({ type: AcceptedAnswer })
  @ApiConflictResponse({ description: 'The case is not resolved (INTAKE.NOT_AWAITING_FEEDBACK)' })
  async feedback(
    @Param('reference') reference: string,
    @Query() q: TrackingQuery,
    @Body() dto: FeedbackDto,
    @Req() req: Request,
  ): Promise<AcceptedAnswer> {
    await this.limits.client(`track:${clientAddress(req)}`);
    await this.handler.feedback(reference, this.token(req, q), dto, requestWork(req));
    return { accepted: true, reference };
  }

  @Post('info')
  @HttpCode(202)
  @ApiOperation({ summary: 'Give the information the center asked for; publishes case.info-provided' })
  @ApiAcceptedResponse({ type: AcceptedAnswer })
  @ApiConflictResponse({
    description: 'The center has not asked for information (INTAKE.INFO_NOT_REQUESTED)',
  })
  async info(
    @Param('reference') reference: string,
    @Query() q: TrackingQuery,
    @Body() dto: InfoDto,
    @Req() req: Request,
  ): Promise<AcceptedAnswer> {
    await this.limits.client(`track:${clientAddress(req)}`);
    await this.handler.provideInfo(reference, this.token(req, q), dto.text, requestWork(req));
    return { accepted: true, reference };
  }
}
