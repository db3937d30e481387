import type {
  CaseLifecyclePayload,
  CaseReportedPayload,
  CaseResidentPayload,
  CaseTriageRequiredPayload,
  LifecycleEventType,
  ReporterDto,
  TaskSummaryDto,
} from '@app/contracts';
import { quietHoursEnd, QuietHours } from './quiet-hours';
import { renderTemplate, TemplateKey, trackingLink } from './templates';
import type {
  CaseInfo,
  ContactPoints,
  DeliveryChannel,
  Locale,
  RecipientKind,
  RenderedMessage,
  ResidentRecipient,
  RoleRecipient,
  UnitRecipient,
} from './types';

/** The events notification reacts to, already decoded and validated. */
export type PlanInput =
  | { kind: 'reported'; payload: CaseReportedPayload }
  | { kind: 'co-reported'; payload: CaseResidentPayload; residentKey: string }
  | { kind: 'lifecycle'; type: LifecycleEventType; payload: CaseLifecyclePayload }
  | { kind: 'triage'; payload: CaseTriageRequiredPayload };

export interface PlanContext {
  caseInfo: CaseInfo;
  /** Residents of the case (reporter and co-reporters), as known after this event's own effect. */
  residents: ResidentRecipient[];
  /** The unit the event is about (payload.unitId), when known. */
  unit?: UnitRecipient | null;
  roles: RoleRecipient[];
  now: Date;
  quietHours: QuietHours | null;
  trackingBaseUrl: string;
}

export interface PlannedDelivery {
  /** Stable recipient id: `resident:<key>`, `unit:<unitId>`, `unit-supervisor:<unitId>`, `role:<role>`. */
  recipient: string;
  recipientKind: RecipientKind;
  channel: DeliveryChannel;
  /** Webhook URL or address (phone, email, openid): with the case, the lane that keeps order. */
  endpoint: string;
  templateKey: TemplateKey;
  locale: Locale;
  urgent: boolean;
  /** Not sent before this instant (quiet hours), or null. */
  notBefore: Date | null;
  message: RenderedMessage;
  /** Structured content for partner systems (the webhook body's `data`). */
  data: Record<string, unknown>;
}

export interface NotificationPlan {
  deliveries: PlannedDelivery[];
  /** Recipients the event should reach but who have no usable channel (shown to ops). */
  unreachable: { recipient: string; reason: string }[];
}

/** A resident recipient from a report's reporter block; null when anonymous or unreachable by choice. */
export function residentFromReporter(
  reporter: ReporterDto | undefined,
  key: string,
): ResidentRecipient | null {
  if (!reporter || reporter.anonymous) return null;
  if (reporter.preferredContact === 'none') return null;
  if (!reporter.phone && !reporter.email && !reporter.wechatOpenId) return null;
  return {
    key,
    phone: reporter.phone ?? null,
    email: reporter.email ?? null,
    wechatOpenId: reporter.wechatOpenId ?? null,
    preferredContact: reporter.preferredContact ?? null,
    locale: reporter.locale ?? 'zh-CN',
  };
}

function address(c: ContactPoints, channel: Exclude<DeliveryChannel, 'webhook'>): string | null {
  const v = channel === 'sms' ? c.phone : channel === 'email' ? c.email : c.wechatOpenId;
  return v ? v : null;
}

/** The resident's preferred channel when it has an address, else SMS, email, WeChat in that order. */
export function residentChannel(
  r: ResidentRecipient,
): { channel: Exclude<DeliveryChannel, 'webhook'>; endpoint: string } | null {
  const order: Exclude<DeliveryChannel, 'webhook'>[] = ['sms', 'email', 'wechat'];
  const preferred = r.preferredContact && r.preferredContact !== 'none' ? [r.preferredContact] : [];
  for (const ch of [...preferred, ...order]) {
    const a = address(r, ch);
    if (a) return { channel: ch, endpoint: a };
  }
  return null;
}

/** Never let a confidential reporter's identity reach a unit. */
export function stripConfidential(
  task: TaskSummaryDto | undefined,
  caseConfidential: boolean,
): Record<string, unknown> | undefined {
  if (!task) return undefined;
  const copy: Record<string, unknown> = { ...task, location: { ...task.location } };
  if (task.reporterConfidential || caseConfidential) {
    delete copy.reporterName;
    delete copy.reporterPhone;
    copy.reporterConfidential = true;
  }
  return copy;
}

type Audience =
  | { to: 'reporter' | 'all_residents'; template: TemplateKey }
  | { to: 'unit' | 'unit_supervisor'; template: TemplateKey }
  | { to: 'role'; role: RoleRecipient['role']; template: TemplateKey };

/** Who hears about each lifecycle event, and with which template. */
export function lifecycleAudiences(type: LifecycleEventType, p: CaseLifecyclePayload): Audience[] {
  switch (type) {
    case 'case.assigned':
      return [{ to: 'unit', template: 'new_task' }];
    case 'case.accepted':
      return p.taskRole === 'support' ? [] : [{ to: 'reporter', template: 'accepted' }];
    case 'case.info-requested':
      return [{ to: 'reporter', template: 'info_requested' }];
    case 'case.resolved':
      return p.status === 'resolved' ? [{ to: 'reporter', template: 'resolved_confirm' }] : [];
    case 'case.closed':
      return [{ to: 'all_residents', template: 'closed' }];
    case 'case.reopened':
      return [{ to: 'unit', template: 'reopened' }];
    case 'case.sla-warning':
      return [{ to: 'unit', template: 'reminder' }];
    case 'case.sla-breached':
      return [
        { to: 'unit', template: 'reminder' },
        { to: 'role', role: 'supervisor', template: 'breach' },
      ];
    case 'case.escalated':
      if (p.escalationAction === 'remind_unit') return [{ to: 'unit', template: 'reminder' }];
      if (p.escalationAction === 'flag_supervision') {
        return [
          { to: 'unit', template: 'escalation' },
          { to: 'role', role: 'supervisor', template: 'supervision_flag' },
        ];
      }
      return [
        { to: 'unit', template: 'escalation' },
        { to: 'unit_supervisor', template: 'escalation' },
        { to: 'role', role: 'supervisor', template: 'escalation' },
      ];
    case 'case.supervision-flagged':
      return [
        { to: 'unit', template: 'escalation' },
        { to: 'role', role: 'supervisor', template: 'supervision_flag' },
      ];
    default:
      return [];
  }
}

/**
 * The notification plan for one event: which recipients, channels and messages. Pure: the
 * caller stores the result as delivery rows in the consumer transaction.
 *
 * Rules: resident-facing messages only ever go to residents; anonymous reporters get nothing;
 * non-urgent resident messages are held through quiet hours (acknowledgements of the resident's
 * own report are not: they answer what the resident just did); unit payloads never carry a
 * confidential reporter's identity.
 */
export function planNotifications(input: PlanInput, ctx: PlanContext): NotificationPlan {
  const plan: NotificationPlan = { deliveries: [], unreachable: [] };
  const info = ctx.caseInfo;
  const link = trackingLink(ctx.trackingBaseUrl, info.reference);
  const urgent =
    (input.kind === 'lifecycle'
      ? input.payload.priority
      : input.kind === 'triage'
        ? input.payload.priority
        : undefined) === 'urgent' || info.priority === 'urgent';
  const eventType =
    input.kind === 'lifecycle'
      ? input.type
      : input.kind === 'reported'
        ? 'case.reported'
        : input.kind === 'triage'
          ? 'case.triage-required'
          : 'case.co-reported';

  const toResident = (
    r: ResidentRecipient,
    template: TemplateKey,
    vars: { dueAt?: string; note?: string; unitName?: string },
    holdable: boolean,
  ) => {
    const route = residentChannel(r);
    if (!route) return;
    const message = renderTemplate(template, r.locale, {
      reference: info.reference,
      summary: info.summary,
      trackingLink: link,
      ...vars,
    });
    plan.deliveries.push({
      recipient: `resident:${r.key}`,
      recipientKind: 'resident',
      channel: route.channel,
      endpoint: route.endpoint,
      templateKey: template,
      locale: r.locale,
      urgent,
      notBefore: holdable && !urgent ? quietHoursEnd(ctx.now, ctx.quietHours) : null,
      message,
      // Resident messages carry no structured data beyond what the message says.
      data: { templateKey: template, reference: info.reference, trackingLink: link },
    });
  };

  const toContacts = (
    recipient: string,
    kind: RecipientKind,
    contacts: ContactPoints,
    locale: Locale,
    template: TemplateKey,
    vars: { dueAt?: string; note?: string; unitName?: string },
    data: Record<string, unknown>,
    opts: { webhookUrl?: string | null; allChannels: boolean },
  ) => {
    const message = renderTemplate(template, locale, {
      reference: info.reference,
      summary: info.summary,
      trackingLink: link,
      ...vars,
    });
    const base = {
      recipient,
      recipientKind: kind,
      templateKey: template,
      locale,
      urgent,
      notBefore: null,
      message,
    };
    const body = { ...data, templateKey: template, message, trackingLink: link };
    if (opts.webhookUrl) {
      plan.deliveries.push({ ...base, channel: 'webhook', endpoint: opts.webhookUrl, data: body });
      return;
    }
    let any = false;
    for (const ch of ['sms', 'email', 'wechat'] as const) {
      const a = address(contacts, ch);
      if (!a) continue;
      if (!opts.allChannels && any) break;
      plan.deliveries.push({ ...base, channel: ch, endpoint: a, data: body });
      any = true;
    }
    if (!any)
      plan.unreachable.push({
        recipient,
        reason: `no webhook, phone, email or WeChat contact for ${recipient}`,
      });
  };

  const toRole = (
    role: RoleRecipient['role'],
    template: TemplateKey,
    vars: { dueAt?: string; note?: string; unitName?: string },
    data: Record<string, unknown>,
  ) => {
    const r = ctx.roles.find((x) => x.role === role && x.active);
    if (!r) {
      plan.unreachable.push({ recipient: `role:${role}`, reason: `no active contacts for role ${role}` });
      return;
    }
    toContacts(`role:${role}`, 'role', r, r.locale, template, vars, data, { allChannels: true });
  };

  switch (input.kind) {
    case 'reported': {
      const r = ctx.residents.find((x) => x.key === 'reporter');
      if (r) toResident(r, 'received', {}, false);
      return plan;
    }
    case 'co-reported': {
      const r = ctx.residents.find((x) => x.key === input.residentKey);
      if (r) toResident(r, 'co_reported', {}, false);
      return plan;
    }
    case 'triage': {
      const p = input.payload;
      const data = {
        eventType,
        reason: p.reason,
        reasons: p.reasons,
        priority: p.priority,
        categoryCode: p.categoryCode ?? null,
        mandatoryReport: p.mandatoryReport ?? null,
      };
      toRole('center', 'triage_needed', { note: p.reasons.join('; ') || p.reason }, data);
      return plan;
    }
    case 'lifecycle': {
      const p = input.payload;
      const unitName = p.unitName ?? ctx.unit?.name ?? undefined;
      const dueAt =
        p.dueAt ??
        (input.type === 'case.assigned' ? (p.acceptBy ?? p.resolveBy) : (p.resolveBy ?? p.acceptBy)) ??
        undefined;
      const vars = { dueAt, unitName, note: p.residentNote ?? undefined };
      for (const a of lifecycleAudiences(input.type, p)) {
        if (a.to === 'reporter' || a.to === 'all_residents') {
          for (const r of ctx.residents) {
            if (a.to === 'reporter' && r.key !== 'reporter') continue;
            toResident(r, a.template, vars, true);
          }
        } else if (a.to === 'role') {
          toRole(a.role, a.template, { dueAt, unitName }, unitData(input.type, p, info));
        } else {
          const unitId = p.unitId;
          if (!unitId) continue;
          const unit = ctx.unit && ctx.unit.unitId === unitId ? ctx.unit : null;
          const recipient = a.to === 'unit' ? `unit:${unitId}` : `unit-supervisor:${unitId}`;
          if (!unit || !unit.active) {
            plan.unreachable.push({
              recipient,
              reason: unit ? `unit ${unitId} is inactive` : `unit ${unitId} is not in the unit directory yet`,
            });
            continue;
          }
          const staffVars = { dueAt, unitName, note: p.note ?? undefined };
          if (a.to === 'unit') {
            toContacts(
              recipient,
              'unit',
              unit.contact,
              'zh-CN',
              a.template,
              staffVars,
              unitData(input.type, p, info),
              {
                webhookUrl: unit.webhookUrl,
                allChannels: true,
              },
            );
          } else if (unit.supervisorContact) {
            toContacts(
              recipient,
              'unit_supervisor',
              unit.supervisorContact,
              'zh-CN',
              a.template,
              staffVars,
              unitData(input.type, p, info),
              {
                allChannels: false,
              },
            );
          }
        }
      }
      return plan;
    }
  }
}

/** Which residents a plan reads: all of the case's, one by key, or none. */
export type ResidentsNeeded = 'all' | 'none' | { key: string };

/** What `planNotifications` reads from its context for an input, so a caller loads only that. */
export interface PlanNeeds {
  residents: ResidentsNeeded;
  /** The unit of `payload.unitId` (its webhook and contacts, or its name for the messages). */
  unit: boolean;
  roles: boolean;
}

/**
 * The parts of the context `planNotifications` looks at for this input; the others may be
 * left empty without changing the plan (plan.spec checks this for every lifecycle type).
 */
export function planNeeds(input: PlanInput): PlanNeeds {
  switch (input.kind) {
    case 'reported':
      return { residents: { key: 'reporter' }, unit: false, roles: false };
    case 'co-reported':
      return { residents: { key: input.residentKey }, unit: false, roles: false };
    case 'triage':
      return { residents: 'none', unit: false, roles: true };
    case 'lifecycle': {
      const audiences = lifecycleAudiences(input.type, input.payload);
      const p = input.payload;
      const toUnit = audiences.some((a) => a.to === 'unit' || a.to === 'unit_supervisor');
      return {
        residents: audiences.some((a) => a.to === 'reporter' || a.to === 'all_residents') ? 'all' : 'none',
        // Unit audiences need the unit itself; any audience needs its name when the event has none.
        unit: !!p.unitId && audiences.length > 0 && (toUnit || p.unitName == null),
        roles: audiences.some((a) => a.to === 'role'),
      };
    }
  }
}

/** A co-reporter's key within the case: the co-report id, else the event that added them. */
export function coReporterKey(p: Pick<CaseResidentPayload, 'coReportId'>, eventId: string): string {
  return `co:${p.coReportId ?? eventId}`;
}

/** What a unit (or its supervisors) receive as structured data: the task, never the reporter when confidential. */
function unitData(
  type: LifecycleEventType,
  p: CaseLifecyclePayload,
  info: CaseInfo,
): Record<string, unknown> {
  const data: Record<string, unknown> = {
    eventType: type,
    status: p.status,
    priority: p.priority ?? info.priority ?? null,
    categoryCode: p.categoryCode ?? null,
    unitId: p.unitId ?? null,
    taskId: p.taskId ?? null,
    taskRole: p.taskRole ?? null,
    acceptBy: p.acceptBy ?? null,
    resolveBy: p.resolveBy ?? null,
    deadline: p.deadline ?? null,
    dueAt: p.dueAt ?? null,
    lateBySeconds: p.lateBySeconds ?? null,
    escalationAction: p.escalationAction ?? null,
    escalationStep: p.escalationStep ?? null,
    note: p.note ?? null,
  };
  const task = stripConfidential(p.task, info.reporterConfidential);
  if (task) data.task = task;
  return data;
}
