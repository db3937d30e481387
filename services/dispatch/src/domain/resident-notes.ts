/** The lines a resident's tracking view shows for a case change: Chinese, then English. */
import { UNIT_TYPE_LABELS } from '@app/contracts';
import type { UnitRef } from './case-machine.types';

const both = (zh: string, en: string): string => `${zh} / ${en}`;

function unitLabel(unit: UnitRef): { zh: string; en: string } {
  const label = UNIT_TYPE_LABELS[unit.unitType];
  return { zh: unit.unitName ?? label.zh, en: unit.unitName ?? label.en };
}

export const residentNotes = {
  assigned: (u: UnitRef): string => {
    const l = unitLabel(u);
    return both(`已派发至${l.zh}办理`, `Assigned to ${l.en}`);
  },
  triaged: (): string =>
    both('已转综治中心人工分派', 'Passed to the governance center, which will assign it'),
  accepted: (u: UnitRef): string => {
    const l = unitLabel(u);
    return both(`已由${l.zh}签收`, `Accepted by ${l.en}`);
  },
  progress: (u: UnitRef): string => {
    const l = unitLabel(u);
    return both(`${l.zh}正在处理`, `${l.en} is handling it`);
  },
  leadDoneSupportPending: (u: UnitRef): string => {
    const l = unitLabel(u);
    return both(
      `${l.zh}已处理完毕，协办单位处理中`,
      `${l.en} has finished; supporting units are still working`,
    );
  },
  rerouting: (): string => both('正在重新分派至责任单位', 'Being passed to the responsible unit'),
  extended: (): string => both('办理期限已延长', 'The time to handle it has been extended'),
  infoRequested: (question: string): string =>
    both(`请补充信息：${question}`, `Please tell us more: ${question}`),
  infoReceived: (): string => both('已收到您补充的信息', 'We received your information'),
  resolved: (u: UnitRef): string => {
    const l = unitLabel(u);
    return both(`${l.zh}已办结，请确认并评价`, `Resolved by ${l.en}; please confirm and rate it`);
  },
  closed: (): string => both('已办结销号，感谢您的反映', 'Closed. Thank you for reporting it'),
  reopened: (u: UnitRef): string => {
    const l = unitLabel(u);
    return both(`已重新交${l.zh}办理`, `Reopened; ${l.en} will handle it again`);
  },
  cancelled: (): string => both('已撤销', 'Cancelled'),
  merged: (intoReference?: string): string =>
    intoReference
      ? both(`已与案件${intoReference}合并办理`, `Merged into case ${intoReference}`)
      : both('已与相同问题的案件合并办理', 'Merged with a case about the same problem'),
};
