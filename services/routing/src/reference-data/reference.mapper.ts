import {
  AreaReferencePayload,
  CategoryReferencePayload,
  SlaPolicyDto,
  SlaPolicyReferencePayload,
  Topic,
  UnitReferencePayload,
} from '@app/contracts';
import type { NewEvent } from '@app/messaging';
import type { RoutingRefData } from '../domain';
import type {
  AreaData,
  CategoryData,
  EntityKind,
  ReferenceSnapshot,
  SlaPolicyData,
  StoredEntity,
  StoredUnit,
} from './reference.types';

/** Only the fields the contract's SlaPolicyDto has (what travels in case.routed). */
export function slaPolicySnapshot(p: SlaPolicyData): SlaPolicyDto {
  return {
    policyId: p.policyId,
    ...(p.name !== undefined ? { name: p.name } : {}),
    acceptWithinSeconds: p.acceptWithinSeconds,
    resolveWithinSeconds: p.resolveWithinSeconds,
    warnAtFraction: p.warnAtFraction,
    calendar: { ...p.calendar },
    escalation: p.escalation.map((s) => ({ on: s.on, afterSeconds: s.afterSeconds, action: s.action })),
  };
}

/** What `decide` reads: built once per reference-data version (the domain caches per object). */
export function toRefData(
  snapshot: ReferenceSnapshot,
  options: { confidenceThreshold: number; maxReturns: number },
): RoutingRefData {
  return {
    areas: snapshot.areas.map((a) => ({ ...a.data, active: a.active })),
    units: snapshot.units.map((u) => ({
      unitId: u.data.unitId,
      name: u.data.name,
      unitType: u.data.unitType,
      areaCodes: u.data.areaCodes,
      active: u.active,
    })),
    categories: snapshot.categories.map((c) => ({ ...c.data, active: c.active })),
    slaPolicies: snapshot.slaPolicies.map((p) => ({ ...p.data, active: p.active })),
    rules: snapshot.rules.map((r) => ({ ...r.data, active: r.active })),
    signalLexicon: snapshot.settings.signalLexicon,
    ...(snapshot.settings.slaPolicyIdByPriority
      ? { slaPolicyIdByPriority: snapshot.settings.slaPolicyIdByPriority }
      : {}),
    ...(snapshot.settings.confidenceSaturation !== undefined
      ? { confidenceSaturation: snapshot.settings.confidenceSaturation }
      : {}),
    confidenceThreshold: options.confidenceThreshold,
    maxReturns: options.maxReturns,
  };
}

export function unitReference(u: StoredUnit): UnitReferencePayload {
  return {
    unitId: u.data.unitId,
    name: u.data.name,
    unitType: u.data.unitType,
    areaCodes: u.data.areaCodes,
    contact: u.data.contact,
    ...(u.data.supervisorContact ? { supervisorContact: u.data.supervisorContact } : {}),
    ...(u.data.webhookUrl ? { webhookUrl: u.data.webhookUrl } : {}),
    webhookSecret: u.webhookSecret,
    apiKeyHashes: u.apiKeyHashes,
    active: u.active,
    version: u.version,
  };
}

export function areaReference(a: StoredEntity<AreaData>): AreaReferencePayload {
  return {
    code: a.data.code,
    name: a.data.name,
    level: a.data.level,
    ...(a.data.parentCode ? { parentCode: a.data.parentCode } : {}),
    active: a.active,
    version: a.version,
  };
}

export function categoryReference(c: StoredEntity<CategoryData>): CategoryReferencePayload {
  return {
    code: c.data.code,
    nameZh: c.data.nameZh,
    nameEn: c.data.nameEn,
    defaultUnitType: c.data.defaultUnitType,
    defaultPriority: c.data.defaultPriority,
    slaPolicyId: c.data.slaPolicyId,
    ...(c.data.mandatoryReportKind ? { mandatoryReportKind: c.data.mandatoryReportKind } : {}),
    active: c.active,
    version: c.version,
  };
}

export function slaPolicyReference(p: StoredEntity<SlaPolicyData>): SlaPolicyReferencePayload {
  return { ...slaPolicySnapshot(p.data), active: p.active, version: p.version };
}

/** The reference event of one entity (rules stay inside routing: none). */
export function referenceEvent(kind: EntityKind, entity: StoredEntity<unknown>): NewEvent | undefined {
  switch (kind) {
    case 'unit':
      return {
        topic: Topic.ReferenceUnits,
        type: 'reference.unit',
        key: entity.id,
        payload: unitReference(entity as StoredUnit),
      };
    case 'area':
      return {
        topic: Topic.ReferenceAreas,
        type: 'reference.area',
        key: entity.id,
        payload: areaReference(entity as StoredEntity<AreaData>),
      };
    case 'category':
      return {
        topic: Topic.ReferenceCategories,
        type: 'reference.category',
        key: entity.id,
        payload: categoryReference(entity as StoredEntity<CategoryData>),
      };
    case 'sla_policy':
      return {
        topic: Topic.ReferenceSlaPolicies,
        type: 'reference.sla-policy',
        key: entity.id,
        payload: slaPolicyReference(entity as StoredEntity<SlaPolicyData>),
      };
    default:
      return undefined;
  }
}

/** Every entity's reference event, areas first (parents before children), then policies, categories, units. */
export function allReferenceEvents(snapshot: ReferenceSnapshot): NewEvent[] {
  return [
    ...snapshot.areas.map((a) => referenceEvent('area', a)),
    ...snapshot.slaPolicies.map((p) => referenceEvent('sla_policy', p)),
    ...snapshot.categories.map((c) => referenceEvent('category', c)),
    ...snapshot.units.map((u) => referenceEvent('unit', u)),
  ].filter((e): e is NewEvent => e !== undefined);
}
