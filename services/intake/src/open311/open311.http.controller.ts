import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { NotFoundError } from '@app/contracts';
import { requestWork } from '@app/platform';
import { clientAddress, idempotencyKeyOf } from '../shared/http-helpers';
import { INTAKE_ERRORS } from '../shared/intake-errors';
import { IntakeRateLimits } from '../shared/rate-limits';
import { Open311ApiKeyGuard } from './open311.api-key.guard';
import { Open311CreateRequestDto, Open311JurisdictionQuery, Open311RequestsQuery } from './open311.dto';
import { Open311ExceptionFilter } from './open311.exception.filter';
import { formatOf, Open311Format, sendOpen311 } from './open311.format';
import { Open311Handler } from './open311.handler';

const FORMAT = { name: 'format', enum: ['json', 'xml'], description: 'Response format' };
const ERRORS =
  'Errors as GeoReport v2: [{"code":400,"description":"…"}] or <errors><error><code/><description/></error></errors>';

/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), to the letter: `.json` and `.xml`,
 * form-encoded POST with api_key, ids as strings, richer states mapped to open/closed with
 * status_notes. Reading is public; creating needs an api_key.
 */
@ApiTags('open311')
@ApiExtraModels(Open311CreateRequestDto)
@Controller('open311/v2')
@UseFilters(Open311ExceptionFilter)
@ApiProduces('application/json', 'application/xml')
@ApiResponse({ status: 400, description: ERRORS })
@ApiResponse({ status: 404, description: ERRORS })
export class Open311HttpController {
  constructor(
    private readonly handler: Open311Handler,
    private readonly limits: IntakeRateLimits,
  ) {}

  private format(value: string): Open311Format {
    const f = formatOf(value);
    if (!f) throw new NotFoundError(`format ${value}`, INTAKE_ERRORS.NotFound);
    return f;
  }

  /** What every read endpoint does first: the format, the client's rate limit, the jurisdiction. */
  private async readRequest(
    format: string,
    q: Open311JurisdictionQuery,
    req: Request,
  ): Promise<Open311Format> {
    const f = this.format(format);
    await this.limits.client(`open311:${clientAddress(req)}`);
    this.handler.checkJurisdiction(q.jurisdiction_id);
    return f;
  }

  @Get('discovery.:format')
  @ApiOperation({ summary: 'Service discovery' })
  @ApiParam(FORMAT)
  discovery(@Param('format') format: string, @Res() res: Response): void {
    const f = this.format(format);
    sendOpen311(
      res,
      f,
      200,
      { root: 'discovery' },
      f === 'xml' ? this.handler.discovery() : this.handler.discoveryJson(),
    );
  }

  @Get('services.:format')
  @ApiOperation({ summary: 'Service list (the categories)' })
  @ApiParam(FORMAT)
  async services(
    @Param('format') format: string,
    @Query() q: Open311JurisdictionQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const f = await this.readRequest(format, q, req);
    sendOpen311(res, f, 200, { root: 'services', child: 'service' }, await this.handler.services());
  }

  @Get('services/:service_code.:format')
  @ApiOperation({ summary: 'Service definition (attributes)' })
  @ApiParam({ name: 'service_code' })
  @ApiParam(FORMAT)
  async serviceDefinition(
    @Param('service_code') code: string,
    @Param('format') format: string,
    @Query() q: Open311JurisdictionQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const f = await this.readRequest(format, q, req);
    const def = await this.handler.serviceDefinition(code);
    const xmlShape = { ...def, attributes: { attribute: def.attributes as never } };
    sendOpen311(res, f, 200, { root: 'service_definition' }, f === 'xml' ? xmlShape : def);
  }

  @Post('requests.:format')
  @UseGuards(Open311ApiKeyGuard)
  @ApiOperation({
    summary: 'Create a service request (form-encoded, api_key required; attribute[code]=value)',
  })
  @ApiParam(FORMAT)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: Open311CreateRequestDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Optional; same key + same form → the original answer',
  })
  @ApiResponse({ status: 201, description: '[{ service_request_id, token, service_notice, account_id }]' })
  @ApiResponse({ status: 403, description: `Invalid or missing api_key. ${ERRORS}` })
  @ApiResponse({
    status: 429,
    description: `Too many wrong api_keys from this client (see Retry-After). ${ERRORS}`,
  })
  async create(
    @Param('format') format: string,
    @Body() dto: Open311CreateRequestDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const f = this.format(format);
    const clientId = res.locals.open311ClientId as string;
    const key = idempotencyKeyOf(req);
    await this.limits.open311Report(clientId, dto.phone);
    const answer = await this.handler.create(dto, clientId, key, requestWork(req));
    sendOpen311(res, f, 201, { root: 'service_requests', child: 'request' }, answer);
  }

  @Get('requests.:format')
  @ApiOperation({ summary: 'Query service requests (default: last 90 days, at most 1,000, newest first)' })
  @ApiParam(FORMAT)
  async list(
    @Param('format') format: string,
    @Query() q: Open311RequestsQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const f = this.format(format);
    await this.limits.client(`open311:${clientAddress(req)}`);
    sendOpen311(res, f, 200, { root: 'service_requests', child: 'request' }, await this.handler.list(q));
  }

  @Get('requests/:service_request_id.:format')
  @ApiOperation({ summary: 'One service request' })
  @ApiParam({ name: 'service_request_id', example: 'WL-20261123-000123' })
  @ApiParam(FORMAT)
  async one(
    @Param('service_request_id') id: string,
    @Param('format') format: string,
    @Query() q: Open311JurisdictionQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const f = await this.readRequest(format, q, req);
    sendOpen311(res, f, 200, { root: 'service_requests', child: 'request' }, await this.handler.one(id));
  }

  @Get('tokens/:token.:format')
  @ApiOperation({ summary: 'Service request id from a token' })
  @ApiParam({ name: 'token' })
  @ApiParam(FORMAT)
  async token(
    @Param('token') token: string,
    @Param('format') format: string,
    @Query() q: Open311JurisdictionQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const f = await this.readRequest(format, q, req);
    sendOpen311(res, f, 200, { root: 'service_requests', child: 'request' }, await this.handler.token(token));
  }
}
