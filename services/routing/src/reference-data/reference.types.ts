import type { AreaLevel, MandatoryReportKind, Priority, SlaPolicyDto, UnitType } from '@app/contracts';
import type { LngLat, RuleAction, RuleMatch, SignalLexicon } from '../domain';

/** The entity kinds of the admin API and the history. */
export const ENTITY_KINDS = ['area', 'unit', 'category', 'sla_policy', 'rule'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** The table each kind lives in (constants: never built from input). */
export const KIND_TABLE: Record<EntityKind, string> = {
  area: 'areas',
  unit: 'units',
  category: 'categories',
  sla_policy: 'sla_policies',
  rule: 'rules',
};

export const KIND_LABEL: Record<EntityKind, string> = {
  area: 'Area',
  unit: 'Unit',
  category: 'Category',
  sla_policy: 'SLA policy',
  rule: 'Routing rule',
};

export interface AreaData {
  code: string;
  level: AreaLevel;
  name: string;
  parentCode?: string;
  aliases?: string[];
  polygon?: LngLat[];
}

export interface UnitContact {
  phone?: string;
  email?: string;
  wechatOpenId?: string;
}

export interface UnitData {
  unitId: string;
  name: string;
  unitType: UnitType;
  areaCodes: string[];
  contact: UnitContact;
  supervisorContact?: UnitContact;
  webhookUrl?: string;
}

export interface CategoryData {
  code: string;
  nameZh: string;
  nameEn: string;
  defaultUnitType: UnitType;
  defaultPriority: Priority;
  slaPolicyId: string;
  mandatoryReportKind?: MandatoryReportKind;
  keywordsZh: string[];
  keywordsEn: string[];
}

export type SlaPolicyData = SlaPolicyDto;

export interface RuleData {
  id: string;
  priorityOrder: number;
  description?: string;
  match: RuleMatch;
  then: RuleAction;
}

/** Routing-wide data that is not an entity of its own: the signal lexicon and SLA per priority. */
export interface RoutingSettings {
  signalLexicon: SignalLexicon;
  slaPolicyIdByPriority?: Partial<Record<Priority, string>>;
  confidenceSaturation?: number;
}

export interface EntityDataOf {
  area: AreaData;
  unit: UnitData;
  category: CategoryData;
  sla_policy: SlaPolicyData;
  rule: RuleData;
}

export interface StoredEntity<T> {
  id: string;
  active: boolean;
  version: number;
  data: T;
  createdAt: string;
  updatedAt: string;
}

/** Secrets of a unit that travel only on the reference topic and in the one-time admin answer. */
export interface UnitSecrets {
  webhookSecret: string;
  apiKeyHashes: string[];
}

export type StoredUnit = StoredEntity<UnitData> & UnitSecrets;

/** Every reference entity at one reference-data version. */
export interface ReferenceSnapshot {
  version: number;
  areas: StoredEntity<AreaData>[];
  units: StoredUnit[];
  categories: StoredEntity<CategoryData>[];
  slaPolicies: StoredEntity<SlaPolicyData>[];
  rules: StoredEntity<RuleData>[];
  settings: RoutingSettings;
}

export const SNAPSHOT_LIST: Record<EntityKind, 'areas' | 'units' | 'categories' | 'slaPolicies' | 'rules'> = {
  area: 'areas',
  unit: 'units',
  category: 'categories',
  sla_policy: 'slaPolicies',
  rule: 'rules',
};

export function idOf<K extends EntityKind>(kind: K, data: EntityDataOf[K]): string {
  switch (kind) {
    case 'area':
      return (data as AreaData).code;
    case 'unit':
      return (data as UnitData).unitId;
    case 'category':
      return (data as CategoryData).code;
    case 'sla_policy':
      return (data as SlaPolicyData).policyId;
    default:
      return (data as RuleData).id;
  }
}
