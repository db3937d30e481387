import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { UNIT_TYPE_LABELS, UNIT_TYPES } from '@app/contracts';
import type {
  AreaData,
  CategoryData,
  RuleData,
  SlaPolicyData,
  UnitData,
} from '../reference-data/reference.types';
import { HistoryEntry } from '../reference-data/reference.repository';
import { Actor, AdminActor, AdminAuthGuard } from './admin-auth.guard';
import {
  AddApiKeyDto,
  ApiKeyAddedAnswer,
  AreaAnswer,
  CategoryAnswer,
  CreateAreaDto,
  CreateCategoryDto,
  CreateRuleDto,
  CreateSlaPolicyDto,
  CreateUnitDto,
  HistoryEntryAnswer,
  RepublishAnswer,
  RuleAnswer,
  SlaPolicyAnswer,
  UnitAnswer,
  UnitCreatedAnswer,
  UnitTypeAnswer,
  UpdateAreaDto,
  UpdateCategoryDto,
  UpdateRuleDto,
  UpdateSlaPolicyDto,
  UpdateUnitDto,
} from './reference-admin.dto';
import { EntityView, ReferenceAdminHandler, UnitCreated, UnitView } from './reference-admin.handler';

/** A DTO as plain data (no undefined fields), without the transport-only fields. */
function plain<T>(dto: object, drop: string[] = ['active', 'webhookSecret']): T {
  const out = JSON.parse(JSON.stringify(dto)) as Record<string, unknown>;
  for (const k of drop) delete out[k];
  return out as T;
}

const CODE_PARAM = '{id}: the entity code / id';

function AdminDocs(tag: string): ClassDecorator {
  return (target) => {
    ApiTags(tag)(target);
    ApiBearerAuth()(target);
    ApiHeader({
      name: 'X-Actor',
      required: true,
      description: 'Who makes the change (recorded in the history)',
    })(target);
    ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token (ROUTING.UNAUTHORIZED)' })(target);
    ApiBadRequestResponse({
      description:
        'Invalid body or a change that breaks the reference data; details.fields names each problem',
    })(target);
    UseGuards(AdminAuthGuard)(target);
  };
}

@AdminDocs('admin: areas')
@Controller('v1/admin/areas')
export class AreasAdminHttpController {
  constructor(private readonly handler: ReferenceAdminHandler) {}

  @Get()
  @ApiOperation({ summary: 'List areas (street → community → grid → building), inactive included' })
  @ApiOkResponse({ type: [AreaAnswer] })
  list(): Promise<EntityView<AreaData>[]> {
    return this.handler.list('area');
  }

  @Get(':id')
  @ApiOperation({ summary: 'One area', description: CODE_PARAM })
  @ApiOkResponse({ type: AreaAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  get(@Param('id') id: string): Promise<EntityView<AreaData>> {
    return this.handler.get('area', id);
  }

  @Post()
  @ApiOperation({
    summary: 'Create an area',
    description: 'Publishes reference.area; takes effect on every replica within seconds.',
  })
  @ApiCreatedResponse({ type: AreaAnswer })
  @ApiConflictResponse({ description: 'ROUTING.ALREADY_EXISTS' })
  create(@Body() dto: CreateAreaDto, @Actor() actor: AdminActor): Promise<EntityView<AreaData>> {
    return this.handler.create('area', dto.code, plain<AreaData>(dto), actor);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace an area definition', description: CODE_PARAM })
  @ApiOkResponse({ type: AreaAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  update(
    @Param('id') id: string,
    @Body() dto: UpdateAreaDto,
    @Actor() actor: AdminActor,
  ): Promise<EntityView<AreaData>> {
    return this.handler.update('area', id, { ...plain<AreaData>(dto), code: id }, actor, {
      active: dto.active,
    });
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivate an area (kept for history; no longer resolves locations)' })
  @ApiOkResponse({ type: AreaAnswer })
  deactivate(@Param('id') id: string, @Actor() actor: AdminActor): Promise<EntityView<AreaData>> {
    return this.handler.deactivate('area', id, actor);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Every change of the area: who, when, before and after' })
  @ApiOkResponse({ type: [HistoryEntryAnswer] })
  history(@Param('id') id: string): Promise<HistoryEntry[]> {
    return this.handler.history('area', id);
  }
}

@AdminDocs('admin: units')
@Controller('v1/admin/units')
export class UnitsAdminHttpController {
  constructor(private readonly handler: ReferenceAdminHandler) {}

  @Get()
  @ApiOperation({ summary: 'List units, inactive included (no secrets)' })
  @ApiOkResponse({ type: [UnitAnswer] })
  list(): Promise<UnitView[]> {
    return this.handler.listUnits();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One unit (no secrets)', description: CODE_PARAM })
  @ApiOkResponse({ type: UnitAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  get(@Param('id') id: string): Promise<UnitView> {
    return this.handler.getUnit(id);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a unit',
    description:
      'Answers a freshly generated partner API key and the webhook secret ONCE (only the key hash is stored). Publishes reference.unit.',
  })
  @ApiCreatedResponse({ type: UnitCreatedAnswer })
  @ApiConflictResponse({ description: 'ROUTING.ALREADY_EXISTS' })
  create(@Body() dto: CreateUnitDto, @Actor() actor: AdminActor): Promise<UnitCreated> {
    return this.handler.createUnit(plain<UnitData>(dto), actor, dto.webhookSecret);
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Replace a unit definition (webhookSecret kept unless given)',
    description: CODE_PARAM,
  })
  @ApiOkResponse({ type: UnitAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateUnitDto,
    @Actor() actor: AdminActor,
  ): Promise<UnitView> {
    await this.handler.update('unit', id, { ...plain<UnitData>(dto), unitId: id }, actor, {
      active: dto.active,
      webhookSecret: dto.webhookSecret,
    });
    return this.handler.getUnit(id);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivate a unit (no new tasks; its API keys stop working at dispatch)' })
  @ApiOkResponse({ type: UnitAnswer })
  async deactivate(@Param('id') id: string, @Actor() actor: AdminActor): Promise<UnitView> {
    await this.handler.deactivate('unit', id, actor);
    return this.handler.getUnit(id);
  }

  @Post(':id/api-keys')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Add (or rotate with revokeOthers) a partner API key',
    description: 'The key is answered ONCE; reference.unit carries the new set of key hashes.',
  })
  @ApiCreatedResponse({ type: ApiKeyAddedAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  addApiKey(
    @Param('id') id: string,
    @Body() dto: AddApiKeyDto,
    @Actor() actor: AdminActor,
  ): Promise<{ unitId: string; apiKey: string; apiKeyCount: number; version: number }> {
    return this.handler.addApiKey(id, actor, { label: dto.label, revokeOthers: dto.revokeOthers });
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Every change of the unit: who, when, before and after (never secrets)' })
  @ApiOkResponse({ type: [HistoryEntryAnswer] })
  history(@Param('id') id: string): Promise<HistoryEntry[]> {
    return this.handler.history('unit', id);
  }
}

@AdminDocs('admin: categories')
@Controller('v1/admin/categories')
export class CategoriesAdminHttpController {
  constructor(private readonly handler: ReferenceAdminHandler) {}

  @Get()
  @ApiOperation({ summary: 'List categories with their keywords, inactive included' })
  @ApiOkResponse({ type: [CategoryAnswer] })
  list(): Promise<EntityView<CategoryData>[]> {
    return this.handler.list('category');
  }

  @Get(':id')
  @ApiOperation({ summary: 'One category', description: CODE_PARAM })
  @ApiOkResponse({ type: CategoryAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  get(@Param('id') id: string): Promise<EntityView<CategoryData>> {
    return this.handler.get('category', id);
  }

  @Post()
  @ApiOperation({ summary: 'Create a category (keywords are data: the classifier uses them at once)' })
  @ApiCreatedResponse({ type: CategoryAnswer })
  @ApiConflictResponse({ description: 'ROUTING.ALREADY_EXISTS' })
  create(@Body() dto: CreateCategoryDto, @Actor() actor: AdminActor): Promise<EntityView<CategoryData>> {
    return this.handler.create('category', dto.code, plain<CategoryData>(dto), actor);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a category definition', description: CODE_PARAM })
  @ApiOkResponse({ type: CategoryAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  update(
    @Param('id') id: string,
    @Body() dto: UpdateCategoryDto,
    @Actor() actor: AdminActor,
  ): Promise<EntityView<CategoryData>> {
    return this.handler.update('category', id, { ...plain<CategoryData>(dto), code: id }, actor, {
      active: dto.active,
    });
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivate a category (no longer classified into or accepted)' })
  @ApiOkResponse({ type: CategoryAnswer })
  deactivate(@Param('id') id: string, @Actor() actor: AdminActor): Promise<EntityView<CategoryData>> {
    return this.handler.deactivate('category', id, actor);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Every change of the category: who, when, before and after' })
  @ApiOkResponse({ type: [HistoryEntryAnswer] })
  history(@Param('id') id: string): Promise<HistoryEntry[]> {
    return this.handler.history('category', id);
  }
}

@AdminDocs('admin: SLA policies')
@Controller('v1/admin/sla-policies')
export class SlaPoliciesAdminHttpController {
  constructor(private readonly handler: ReferenceAdminHandler) {}

  @Get()
  @ApiOperation({ summary: 'List SLA policies, inactive included' })
  @ApiOkResponse({ type: [SlaPolicyAnswer] })
  list(): Promise<EntityView<SlaPolicyData>[]> {
    return this.handler.list('sla_policy');
  }

  @Get(':id')
  @ApiOperation({ summary: 'One SLA policy', description: CODE_PARAM })
  @ApiOkResponse({ type: SlaPolicyAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  get(@Param('id') id: string): Promise<EntityView<SlaPolicyData>> {
    return this.handler.get('sla_policy', id);
  }

  @Post()
  @ApiOperation({
    summary: 'Create an SLA policy (accept within, resolve within, warn at, calendar, escalation)',
  })
  @ApiCreatedResponse({ type: SlaPolicyAnswer })
  @ApiConflictResponse({ description: 'ROUTING.ALREADY_EXISTS' })
  create(@Body() dto: CreateSlaPolicyDto, @Actor() actor: AdminActor): Promise<EntityView<SlaPolicyData>> {
    return this.handler.create('sla_policy', dto.policyId, plain<SlaPolicyData>(dto), actor);
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Replace an SLA policy (cases already routed keep their snapshot)',
    description: CODE_PARAM,
  })
  @ApiOkResponse({ type: SlaPolicyAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  update(
    @Param('id') id: string,
    @Body() dto: UpdateSlaPolicyDto,
    @Actor() actor: AdminActor,
  ): Promise<EntityView<SlaPolicyData>> {
    return this.handler.update('sla_policy', id, { ...plain<SlaPolicyData>(dto), policyId: id }, actor, {
      active: dto.active,
    });
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Deactivate an SLA policy (409 ROUTING.IN_USE while a category or rule names it)',
  })
  @ApiOkResponse({ type: SlaPolicyAnswer })
  @ApiConflictResponse({ description: 'ROUTING.IN_USE' })
  deactivate(@Param('id') id: string, @Actor() actor: AdminActor): Promise<EntityView<SlaPolicyData>> {
    return this.handler.deactivate('sla_policy', id, actor);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Every change of the SLA policy: who, when, before and after' })
  @ApiOkResponse({ type: [HistoryEntryAnswer] })
  history(@Param('id') id: string): Promise<HistoryEntry[]> {
    return this.handler.history('sla_policy', id);
  }
}

@AdminDocs('admin: rules')
@Controller('v1/admin/rules')
export class RulesAdminHttpController {
  constructor(private readonly handler: ReferenceAdminHandler) {}

  @Get()
  @ApiOperation({ summary: 'List routing rules, inactive included' })
  @ApiOkResponse({ type: [RuleAnswer] })
  list(): Promise<EntityView<RuleData>[]> {
    return this.handler.list('rule');
  }

  @Get(':id')
  @ApiOperation({ summary: 'One rule', description: CODE_PARAM })
  @ApiOkResponse({ type: RuleAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  get(@Param('id') id: string): Promise<EntityView<RuleData>> {
    return this.handler.get('rule', id);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a routing rule',
    description:
      'Refused (400, naming the problem) for an unknown unit type, a priorityOrder already used by an active rule, an empty match, a malformed time window, or unknown categories/areas/SLA policies. Takes effect on every replica within seconds.',
  })
  @ApiCreatedResponse({ type: RuleAnswer })
  @ApiConflictResponse({ description: 'ROUTING.ALREADY_EXISTS' })
  create(@Body() dto: CreateRuleDto, @Actor() actor: AdminActor): Promise<EntityView<RuleData>> {
    return this.handler.create('rule', dto.id, plain<RuleData>(dto), actor);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a rule (same validation as create)', description: CODE_PARAM })
  @ApiOkResponse({ type: RuleAnswer })
  @ApiNotFoundResponse({ description: 'ROUTING.NOT_FOUND' })
  update(
    @Param('id') id: string,
    @Body() dto: UpdateRuleDto,
    @Actor() actor: AdminActor,
  ): Promise<EntityView<RuleData>> {
    return this.handler.update('rule', id, { ...plain<RuleData>(dto), id }, actor, { active: dto.active });
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivate a rule (frees its priorityOrder)' })
  @ApiOkResponse({ type: RuleAnswer })
  deactivate(@Param('id') id: string, @Actor() actor: AdminActor): Promise<EntityView<RuleData>> {
    return this.handler.deactivate('rule', id, actor);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Every change of the rule: who, when, before and after' })
  @ApiOkResponse({ type: [HistoryEntryAnswer] })
  history(@Param('id') id: string): Promise<HistoryEntry[]> {
    return this.handler.history('rule', id);
  }
}

@AdminDocs('admin: reference data')
@Controller('v1/admin')
export class ReferenceAdminHttpController {
  constructor(private readonly handler: ReferenceAdminHandler) {}

  @Get('unit-types')
  @ApiOperation({ summary: 'The fixed unit type codes with their labels' })
  @ApiOkResponse({ type: [UnitTypeAnswer] })
  unitTypes(): { code: string; zh: string; en: string }[] {
    return UNIT_TYPES.map((code) => ({ code, ...UNIT_TYPE_LABELS[code] }));
  }

  @Post('seed/republish')
  @HttpCode(200)
  @ApiOperation({
    summary: "Publish every current entity's reference event again",
    description:
      'For a new consumer group or a rebuilt local copy; the topics are compacted, so a normal start does not need it.',
  })
  @ApiOkResponse({ type: RepublishAnswer })
  republish(@Actor() actor: AdminActor): Promise<{ published: number; refVersion: number }> {
    return this.handler.republishAll(actor);
  }
}
