/** Fixed vocabularies shared by every service (codes are API; labels are for people). */

export const UNIT_TYPES = [
  'property_management',
  'police',
  'water_utility',
  'power_utility',
  'city_management',
  'volunteer_team',
  'community',
  'fire_emergency',
  'market_supervision',
] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

export const UNIT_TYPE_LABELS: Record<UnitType, { zh: string; en: string }> = {
  property_management: { zh: '物业', en: 'Property management' },
  police: { zh: '派出所', en: 'Police station' },
  water_utility: { zh: '供水公司', en: 'Water utility' },
  power_utility: { zh: '供电公司', en: 'Power utility' },
  city_management: { zh: '城管执法', en: 'City management' },
  volunteer_team: { zh: '志愿服务队', en: 'Volunteer team' },
  community: { zh: '社区', en: 'Community' },
  fire_emergency: { zh: '消防应急', en: 'Fire / emergency' },
  market_supervision: { zh: '市场监管', en: 'Market supervision' },
};

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Lower rank = more pressing. */
export const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

export const CHANNELS = ['app', 'wechat', 'hotline', 'grid_worker', 'walk_in', 'open311'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CONTACT_CHANNELS = ['sms', 'email', 'wechat', 'none'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

/** 四必报: kinds that must always be reported up and never sit in a routine queue. */
export const MANDATORY_REPORT_KINDS = [
  'safety_hazard',
  'instability_factor',
  'collective_demand',
  'organised_crime_clue',
] as const;
export type MandatoryReportKind = (typeof MANDATORY_REPORT_KINDS)[number];

export const AREA_LEVELS = ['street', 'community', 'grid', 'building'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

/** Case statuses as the outside world sees them (dispatch's state machine owns the transitions). */
export const CASE_STATUSES = [
  'reported',
  'triage',
  'routed',
  'assigned',
  'accepted',
  'in_progress',
  'resolved',
  'closed',
  'cancelled',
  'merged',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const TASK_STATUSES = [
  'assigned',
  'accepted',
  'in_progress',
  'resolved',
  'returned',
  'released',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_ROLES = ['lead', 'support'] as const;
export type TaskRole = (typeof TASK_ROLES)[number];

export const SATISFACTION = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION)[number];

export const SLA_DEADLINE_KINDS = ['accept', 'resolve'] as const;
export type SlaDeadlineKind = (typeof SLA_DEADLINE_KINDS)[number];

export const ESCALATION_ACTIONS = ['remind_unit', 'notify_supervisor', 'flag_supervision'] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];
