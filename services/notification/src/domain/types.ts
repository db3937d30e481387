import type { ContactChannel, Priority } from '@app/contracts';

/** How a notification travels. `webhook` is a partner system's endpoint; the rest reach people. */
export const DELIVERY_CHANNELS = ['webhook', 'sms', 'email', 'wechat'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type Locale = 'zh-CN' | 'en';

/** Center roles whose contacts are data (notification's own table, admin API). */
export const RECIPIENT_ROLES = ['supervisor', 'center'] as const;
export type RecipientRole = (typeof RECIPIENT_ROLES)[number];

export type RecipientKind = 'resident' | 'unit' | 'unit_supervisor' | 'role';

export interface ContactPoints {
  phone?: string | null;
  email?: string | null;
  wechatOpenId?: string | null;
}

/** A resident told about a case: the reporter or a co-reporter (never anonymous ones). */
export interface ResidentRecipient extends ContactPoints {
  /** 'reporter' or `co:<coReportId>`; unique within the case. */
  key: string;
  preferredContact?: ContactChannel | null;
  locale: Locale;
}

/** Local copy of a unit's reference data (reference.units.v1). */
export interface UnitRecipient {
  unitId: string;
  name: string;
  active: boolean;
  contact: ContactPoints;
  supervisorContact?: ContactPoints | null;
  webhookUrl?: string | null;
}

export interface RoleRecipient extends ContactPoints {
  role: RecipientRole;
  locale: Locale;
  active: boolean;
}

/** What notification remembers of a case (from case.reported / lifecycle events). */
export interface CaseInfo {
  caseId: string;
  reference: string;
  summary?: string | null;
  priority?: Priority | null;
  reporterConfidential: boolean;
}

export interface RenderedMessage {
  subject: string;
  text: string;
}
