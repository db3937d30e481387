import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { slaPolicySnapshot } from '../reference-data/reference.mapper';
import { ExplainAnswer, ExplainRequestDto } from './route-case.dto';
import { RouteCaseHandler } from './route-case.handler';

@ApiTags('routing')
@Controller('v1/routing')
export class RouteCaseHttpController {
  constructor(private readonly handler: RouteCaseHandler) {}

  @Post('explain')
  @HttpCode(200)
  @ApiOperation({
    summary: 'The decision routing would take for a text and a place, with no side effects',
    description:
      'Same code path and reference data as live routing (case.reported / case.returned). Nothing is stored or published.',
  })
  @ApiOkResponse({ type: ExplainAnswer })
  @ApiBadRequestResponse({ description: 'Invalid field (named in details.fields)' })
  async explain(@Body() dto: ExplainRequestDto): Promise<ExplainAnswer> {
    const excluded = dto.excludedUnitIds ?? [];
    const returnCount = dto.returnCount ?? 0;
    const {
      decision: d,
      ruleVersion,
      at,
    } = await this.handler.explain(
      {
        text: dto.text,
        ...(dto.categoryCode ? { categoryCode: dto.categoryCode } : {}),
        location: { ...(dto.location ?? {}) },
        excludedUnitIds: excluded,
        returnCount,
        attempt: returnCount + 1,
      },
      dto.at ? new Date(dto.at) : new Date(),
    );
    const routed = d.kind === 'routed';
    return {
      outcome: d.kind,
      categoryCode: d.categoryCode ?? null,
      confidence: d.confidence ?? null,
      unitType: routed ? d.unitType : (d.suggestedUnitType ?? null),
      unitId: routed ? d.lead.unitId : null,
      unitName: routed ? d.lead.unitName : null,
      supportUnitIds: routed ? d.support.map((s) => s.unitId) : [],
      support: routed ? d.support : [],
      priority: d.priority,
      mandatoryReport: d.mandatoryReport ?? null,
      slaPolicy: d.slaPolicy ? slaPolicySnapshot(d.slaPolicy) : null,
      ruleId: routed ? (d.ruleId ?? null) : null,
      ruleVersion,
      triageReason: routed ? null : d.reason,
      reasons: d.reasons,
      signals: d.signals,
      areaChain: d.areaChain,
      ...(d.ranking ? { ranking: d.ranking } : {}),
      at: at.toISOString(),
    };
  }
}
