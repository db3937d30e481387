import type { Locale, RenderedMessage } from './types';

/** Every message the service sends, by key; each exists in zh-CN and en. */
export const TEMPLATE_KEYS = [
  'received',
  'co_reported',
  'accepted',
  'info_requested',
  'resolved_confirm',
  'closed',
  'new_task',
  'reminder',
  'escalation',
  'reopened',
  'breach',
  'supervision_flag',
  'triage_needed',
] as const;
export type TemplateKey = (typeof TEMPLATE_KEYS)[number];

export interface TemplateVars {
  reference: string;
  /** Short summary of the report (truncated description). */
  summary?: string | null;
  /** ISO instant of the relevant deadline, shown in Asia/Shanghai time. */
  dueAt?: string | null;
  trackingLink: string;
  unitName?: string | null;
  note?: string | null;
}

const SHANGHAI_OFFSET_MIN = 8 * 60;

/** `2026-11-23 18:05` in Asia/Shanghai (UTC+8 all year: China has no daylight saving time). */
export function formatShanghai(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t + SHANGHAI_OFFSET_MIN * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

export function summarize(text: string | null | undefined, max = 60): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function trackingLink(baseUrl: string, reference: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/reports/${encodeURIComponent(reference)}`;
}

type Render = (
  v: Required<Pick<TemplateVars, 'reference' | 'trackingLink'>> & {
    summary: string;
    due: string;
    unit: string;
    note: string;
  },
) => RenderedMessage;

const zh: Record<TemplateKey, Render> = {
  received: (v) => ({
    subject: `【综治中心】已收到您的反映 ${v.reference}`,
    text: `您反映的问题（${v.summary}）已收到，编号 ${v.reference}。我们会尽快处理，进度可查看：${v.trackingLink}`,
  }),
  co_reported: (v) => ({
    subject: `【综治中心】您反映的问题已在处理中 ${v.reference}`,
    text: `您反映的问题与已受理的事项 ${v.reference}（${v.summary}）相同，已合并处理，办结时会通知您。进度：${v.trackingLink}`,
  }),
  accepted: (v) => ({
    subject: `【综治中心】${v.reference} 已受理`,
    text: `您反映的问题 ${v.reference}（${v.summary}）已由${v.unit || '责任单位'}签收处理${v.due ? `，预计 ${v.due} 前办结` : ''}。进度：${v.trackingLink}`,
  }),
  info_requested: (v) => ({
    subject: `【综治中心】${v.reference} 需要您补充信息`,
    text: `处理 ${v.reference}（${v.summary}）需要您补充信息${v.note ? `：${v.note}` : ''}。请通过：${v.trackingLink} 回复`,
  }),
  resolved_confirm: (v) => ({
    subject: `【综治中心】${v.reference} 已办结，请确认`,
    text: `您反映的问题 ${v.reference}（${v.summary}）已处理完毕，请确认是否解决并评价：${v.trackingLink}`,
  }),
  closed: (v) => ({
    subject: `【综治中心】${v.reference} 已销号`,
    text: `您反映的问题 ${v.reference}（${v.summary}）已办结销号，感谢您的反映。详情：${v.trackingLink}`,
  }),
  new_task: (v) => ({
    subject: `【新工单】${v.reference} ${v.summary}`,
    text: `新工单 ${v.reference}：${v.summary}${v.due ? `。请于 ${v.due} 前签收/办结` : ''}。详情：${v.trackingLink}`,
  }),
  reminder: (v) => ({
    subject: `【催办】${v.reference} 即将/已经超时`,
    text: `工单 ${v.reference}（${v.summary}）${v.due ? `时限 ${v.due}，` : ''}请尽快处理。详情：${v.trackingLink}`,
  }),
  escalation: (v) => ({
    subject: `【升级督办】${v.reference}`,
    text: `工单 ${v.reference}（${v.summary}）已超时并升级${v.unit ? `，责任单位：${v.unit}` : ''}${v.due ? `，时限 ${v.due}` : ''}。详情：${v.trackingLink}`,
  }),
  reopened: (v) => ({
    subject: `【重办】${v.reference}`,
    text: `居民对 ${v.reference}（${v.summary}）的处理结果不满意，工单已重新打开${v.due ? `，请于 ${v.due} 前办结` : ''}。详情：${v.trackingLink}`,
  }),
  breach: (v) => ({
    subject: `【超时】${v.reference}`,
    text: `工单 ${v.reference}（${v.summary}）已超过时限${v.due ? ` ${v.due}` : ''}${v.unit ? `，责任单位：${v.unit}` : ''}。详情：${v.trackingLink}`,
  }),
  supervision_flag: (v) => ({
    subject: `【督办】${v.reference}`,
    text: `工单 ${v.reference}（${v.summary}）已列入督办${v.unit ? `，责任单位：${v.unit}` : ''}。详情：${v.trackingLink}`,
  }),
  triage_needed: (v) => ({
    subject: `【待人工分拨】${v.reference}`,
    text: `事项 ${v.reference}（${v.summary}）无法自动分拨${v.note ? `（${v.note}）` : ''}，请人工处理。详情：${v.trackingLink}`,
  }),
};

const en: Record<TemplateKey, Render> = {
  received: (v) => ({
    subject: `We received your report ${v.reference}`,
    text: `Your report (${v.summary}) was received as ${v.reference}. We will act on it soon; follow it at ${v.trackingLink}`,
  }),
  co_reported: (v) => ({
    subject: `Your report joins case ${v.reference}`,
    text: `What you reported is already being handled as ${v.reference} (${v.summary}); we will tell you when it is closed. Follow it at ${v.trackingLink}`,
  }),
  accepted: (v) => ({
    subject: `${v.reference} accepted`,
    text: `Your report ${v.reference} (${v.summary}) was accepted by ${v.unit || 'the responsible unit'}${v.due ? `; expected to be resolved by ${v.due}` : ''}. Follow it at ${v.trackingLink}`,
  }),
  info_requested: (v) => ({
    subject: `${v.reference}: more information needed`,
    text: `To handle ${v.reference} (${v.summary}) we need more information${v.note ? `: ${v.note}` : ''}. Reply at ${v.trackingLink}`,
  }),
  resolved_confirm: (v) => ({
    subject: `${v.reference} resolved: please confirm`,
    text: `Your report ${v.reference} (${v.summary}) has been resolved. Please confirm and rate the work at ${v.trackingLink}`,
  }),
  closed: (v) => ({
    subject: `${v.reference} closed`,
    text: `Your report ${v.reference} (${v.summary}) is closed. Thank you for reporting it. Details: ${v.trackingLink}`,
  }),
  new_task: (v) => ({
    subject: `New task ${v.reference}: ${v.summary}`,
    text: `New task ${v.reference}: ${v.summary}${v.due ? `. Due ${v.due}` : ''}. Details: ${v.trackingLink}`,
  }),
  reminder: (v) => ({
    subject: `Reminder: ${v.reference} is due`,
    text: `Task ${v.reference} (${v.summary})${v.due ? ` is due ${v.due}` : ' is due'}; please act now. Details: ${v.trackingLink}`,
  }),
  escalation: (v) => ({
    subject: `Escalated: ${v.reference}`,
    text: `Task ${v.reference} (${v.summary}) is late and was escalated${v.unit ? `; unit: ${v.unit}` : ''}${v.due ? `; due ${v.due}` : ''}. Details: ${v.trackingLink}`,
  }),
  reopened: (v) => ({
    subject: `Reopened: ${v.reference}`,
    text: `The resident was not satisfied with ${v.reference} (${v.summary}); the task is open again${v.due ? `, due ${v.due}` : ''}. Details: ${v.trackingLink}`,
  }),
  breach: (v) => ({
    subject: `Overdue: ${v.reference}`,
    text: `Task ${v.reference} (${v.summary}) missed its deadline${v.due ? ` ${v.due}` : ''}${v.unit ? `; unit: ${v.unit}` : ''}. Details: ${v.trackingLink}`,
  }),
  supervision_flag: (v) => ({
    subject: `Flagged for supervision: ${v.reference}`,
    text: `Task ${v.reference} (${v.summary}) is flagged for supervision${v.unit ? `; unit: ${v.unit}` : ''}. Details: ${v.trackingLink}`,
  }),
  triage_needed: (v) => ({
    subject: `Triage needed: ${v.reference}`,
    text: `Case ${v.reference} (${v.summary}) could not be routed automatically${v.note ? ` (${v.note})` : ''}; please triage it. Details: ${v.trackingLink}`,
  }),
};

const TEMPLATES: Record<Locale, Record<TemplateKey, Render>> = { 'zh-CN': zh, en };

/** Renders a template: reference, summary, due time (Asia/Shanghai) and the tracking link. */
export function renderTemplate(key: TemplateKey, locale: Locale, vars: TemplateVars): RenderedMessage {
  const t = (TEMPLATES[locale] ?? zh)[key];
  const due = vars.dueAt ? `${formatShanghai(vars.dueAt)}${locale === 'en' ? ' (UTC+8)' : ''}` : '';
  return t({
    reference: vars.reference,
    trackingLink: vars.trackingLink,
    summary: summarize(vars.summary) || vars.reference,
    due,
    unit: vars.unitName ?? '',
    note: summarize(vars.note, 200),
  });
}
