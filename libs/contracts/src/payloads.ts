import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  AREA_LEVELS,
  AreaLevel,
  CASE_STATUSES,
  CaseStatus,
  CHANNELS,
  Channel,
  CONTACT_CHANNELS,
  ContactChannel,
  ESCALATION_ACTIONS,
  EscalationAction,
  MANDATORY_REPORT_KINDS,
  MandatoryReportKind,
  PRIORITIES,
  Priority,
  SATISFACTION,
  Satisfaction,
  SLA_DEADLINE_KINDS,
  SlaDeadlineKind,
  TASK_ROLES,
  TaskRole,
  UNIT_TYPES,
  UnitType,
} from './vocabulary';

// ---------------------------------------------------------------- shared parts

export class LocationDto {
  @IsOptional() @IsString() @Length(1, 64) gridCode?: string;
  @IsOptional() @IsString() @Length(1, 64) buildingCode?: string;
  @IsOptional() @IsString() @Length(1, 500) addressText?: string;
  @IsOptional() @IsLatitude() lat?: number;
  @IsOptional() @IsLongitude() lng?: number;
}

export class ReporterDto {
  @IsBoolean() anonymous!: boolean;
  /** Hidden from everyone but the center and the police (涉黑涉恶线索 and the like). */
  @IsBoolean() confidential!: boolean;
  @IsOptional() @IsString() @Length(1, 100) name?: string;
  @IsOptional() @Matches(/^\+?[0-9 -]{5,20}$/) phone?: string;
  @IsOptional() @IsEmail() email?: string;
  @IsOptional() @IsString() @Length(1, 128) wechatOpenId?: string;
  @IsOptional() @IsIn(CONTACT_CHANNELS) preferredContact?: ContactChannel;
  @IsOptional() @IsIn(['zh-CN', 'en']) locale?: 'zh-CN' | 'en';
}

export class MediaRefDto {
  @IsString() @Length(1, 2000) url!: string;
  @IsOptional() @IsString() @Length(1, 100) contentType?: string;
}

/** Everything routing and dispatch need to know about the report; travels with the case. */
export class ReportSnapshot {
  @IsUUID() caseId!: string;
  /** Human-readable reference, e.g. WL-20261123-000123. */
  @IsString() @Length(3, 40) reference!: string;
  @IsIn(CHANNELS) channel!: Channel;
  @IsString() @Length(1, 4000) description!: string;
  @IsOptional() @IsString() @Length(1, 64) categoryCode?: string;
  @ValidateNested() @Type(() => LocationDto) location!: LocationDto;
  @ValidateNested() @Type(() => ReporterDto) reporter!: ReporterDto;
  @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => MediaRefDto) media!: MediaRefDto[];
  @IsOptional() @IsString() @Length(1, 64) gridWorkerId?: string;
  @IsISO8601() reportedAt!: string;
  /** Open311 attribute[code] values, or other structured answers. */
  @IsOptional() attributes?: Record<string, string>;
}

export class SlaCalendarDto {
  @IsIn(['24x7', 'working']) kind!: '24x7' | 'working';
  /** IANA zone the working hours are counted in (default Asia/Shanghai). */
  @IsOptional() @IsString() timezone?: string;
  /** ISO weekdays 1 (Monday) … 7 (Sunday). */
  @IsOptional()
  @IsArray()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(7, { each: true })
  weekdays?: number[];
  @IsOptional() @Matches(/^\d{2}:\d{2}$/) dayStart?: string;
  @IsOptional() @Matches(/^\d{2}:\d{2}$/) dayEnd?: string;
  /** Local dates (YYYY-MM-DD) that are not working days. */
  @IsOptional() @IsArray() @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true }) holidays?: string[];
  /** Local dates that are working days although on a weekend (调休). */
  @IsOptional() @IsArray() @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true }) workdays?: string[];
}

export class EscalationStepDto {
  @IsIn(SLA_DEADLINE_KINDS) on!: SlaDeadlineKind;
  /** Seconds after the breach (in the policy's calendar). */
  @IsInt() @Min(0) afterSeconds!: number;
  @IsIn(ESCALATION_ACTIONS) action!: EscalationAction;
}

export class SlaPolicyDto {
  @IsString() @Length(1, 64) policyId!: string;
  @IsOptional() @IsString() name?: string;
  @IsInt() @Min(1) acceptWithinSeconds!: number;
  @IsInt() @Min(1) resolveWithinSeconds!: number;
  @IsNumber() @Min(0.05) @Max(0.99) warnAtFraction!: number;
  @ValidateNested() @Type(() => SlaCalendarDto) calendar!: SlaCalendarDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => EscalationStepDto) escalation!: EscalationStepDto[];
}

export class UnitRefDto {
  @IsString() @Length(1, 64) unitId!: string;
  @IsIn(UNIT_TYPES) unitType!: UnitType;
  @IsOptional() @IsString() unitName?: string;
}

// ---------------------------------------------------------------- intake → routing

export class CaseReportedPayload extends ReportSnapshot {}

// ---------------------------------------------------------------- intake → dispatch, notification

export class CaseResidentPayload {
  @IsUUID() caseId!: string;
  @IsString() reference!: string;
  /** case.co-reported: another resident's report attached to this case. */
  @IsOptional() @IsUUID() coReportId?: string;
  @IsOptional() @ValidateNested() @Type(() => ReporterDto) reporter?: ReporterDto;
  /** case.feedback-submitted */
  @IsOptional() @IsBoolean() confirmed?: boolean;
  @IsOptional() @IsIn(SATISFACTION) satisfaction?: Satisfaction;
  /** case.feedback-submitted comment or case.info-provided text. */
  @IsOptional() @IsString() @Length(0, 2000) comment?: string;
  @IsISO8601() at!: string;
}

// ---------------------------------------------------------------- routing → dispatch

export class CaseRoutedPayload {
  @ValidateNested() @Type(() => ReportSnapshot) report!: ReportSnapshot;
  @IsString() categoryCode!: string;
  @IsNumber() @Min(0) @Max(1) confidence!: number;
  @IsIn(PRIORITIES) priority!: Priority;
  @IsOptional() @IsIn(MANDATORY_REPORT_KINDS) mandatoryReport?: MandatoryReportKind;
  @ValidateNested() @Type(() => UnitRefDto) lead!: UnitRefDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => UnitRefDto) support!: UnitRefDto[];
  @ValidateNested() @Type(() => SlaPolicyDto) slaPolicy!: SlaPolicyDto;
  @IsOptional() @IsString() ruleId?: string;
  @IsInt() @Min(0) ruleVersion!: number;
  @IsArray() @IsString({ each: true }) reasons!: string[];
  /** 1 for the first routing; +1 for every re-route after a return. */
  @IsInt() @Min(1) attempt!: number;
  @IsArray() @IsString({ each: true }) excludedUnitIds!: string[];
}

export const TRIAGE_REASONS = [
  'LOW_CONFIDENCE',
  'NO_COVERING_UNIT',
  'TOO_MANY_RETURNS',
  'MANDATORY_REPORT',
  'NO_RULE',
] as const;
export type TriageReason = (typeof TRIAGE_REASONS)[number];

export class CaseTriageRequiredPayload {
  @ValidateNested() @Type(() => ReportSnapshot) report!: ReportSnapshot;
  @IsIn(TRIAGE_REASONS) reason!: TriageReason;
  @IsArray() @IsString({ each: true }) reasons!: string[];
  @IsOptional() @IsString() categoryCode?: string;
  @IsOptional() @IsNumber() confidence?: number;
  @IsIn(PRIORITIES) priority!: Priority;
  @IsOptional() @IsIn(MANDATORY_REPORT_KINDS) mandatoryReport?: MandatoryReportKind;
  @IsOptional() @IsIn(UNIT_TYPES) suggestedUnitType?: UnitType;
  @IsOptional() @ValidateNested() @Type(() => SlaPolicyDto) slaPolicy?: SlaPolicyDto;
  @IsInt() @Min(0) ruleVersion!: number;
  @IsInt() @Min(1) attempt!: number;
  @IsArray() @IsString({ each: true }) excludedUnitIds!: string[];
}

// ---------------------------------------------------------------- dispatch → routing

export class CaseReturnedPayload {
  @ValidateNested() @Type(() => ReportSnapshot) report!: ReportSnapshot;
  @IsUUID() taskId!: string;
  @IsString() unitId!: string;
  @IsString() @Length(1, 2000) reason!: string;
  /** Every unit that has returned this case so far (routing excludes them all). */
  @IsArray() @IsString({ each: true }) excludedUnitIds!: string[];
  @IsInt() @Min(1) returnCount!: number;
  /** Category as the case now stands (possibly corrected by the center). */
  @IsOptional() @IsString() categoryCode?: string;
}

// ---------------------------------------------------------------- dispatch → notification, intake

/** What partner units see of a task: no reporter identity when the reporter is confidential. */
export class TaskSummaryDto {
  @IsString() reference!: string;
  @IsString() description!: string;
  @IsOptional() @IsString() categoryCode?: string;
  @IsIn(PRIORITIES) priority!: Priority;
  @ValidateNested() @Type(() => LocationDto) location!: LocationDto;
  @IsOptional() @IsString() reporterName?: string;
  @IsOptional() @IsString() reporterPhone?: string;
  @IsBoolean() reporterConfidential!: boolean;
}

export class CaseLifecyclePayload {
  @IsUUID() caseId!: string;
  @IsString() reference!: string;
  /** Case status after this change. */
  @IsIn(CASE_STATUSES) status!: CaseStatus;
  @IsOptional() @IsIn(PRIORITIES) priority?: Priority;
  @IsOptional() @IsString() categoryCode?: string;
  @IsOptional() @IsUUID() taskId?: string;
  @IsOptional() @IsIn(TASK_ROLES) taskRole?: TaskRole;
  @IsOptional() @IsString() unitId?: string;
  @IsOptional() @IsIn(UNIT_TYPES) unitType?: UnitType;
  @IsOptional() @IsString() unitName?: string;
  @IsOptional() @IsIn(['unit', 'staff', 'resident', 'system']) actorKind?:
    'unit' | 'staff' | 'resident' | 'system';
  @IsOptional() @IsString() actorId?: string;
  @IsOptional() @IsString() @Length(0, 4000) note?: string;
  /** Whether the resident's tracking view shows this entry, and the text it shows. */
  @IsBoolean() residentVisible!: boolean;
  @IsOptional() @IsString() @Length(0, 1000) residentNote?: string;
  @IsOptional() @IsISO8601() acceptBy?: string;
  @IsOptional() @IsISO8601() resolveBy?: string;
  /** case.sla-* / case.escalated */
  @IsOptional() @IsIn(SLA_DEADLINE_KINDS) deadline?: SlaDeadlineKind;
  @IsOptional() @IsISO8601() dueAt?: string;
  @IsOptional() @IsInt() lateBySeconds?: number;
  @IsOptional() @IsIn(ESCALATION_ACTIONS) escalationAction?: EscalationAction;
  @IsOptional() @IsInt() escalationStep?: number;
  /** case.closed */
  @IsOptional() @IsIn(['resident_confirmed', 'center_verified', 'auto_closed']) closedHow?:
    'resident_confirmed' | 'center_verified' | 'auto_closed';
  @IsOptional() @IsIn(SATISFACTION) satisfaction?: Satisfaction;
  /** case.merged */
  @IsOptional() @IsUUID() mergedInto?: string;
  @IsOptional() @IsString() mergedIntoReference?: string;
  /** case.assigned (and reopened): what the unit needs to act, confidentiality applied. */
  @IsOptional() @ValidateNested() @Type(() => TaskSummaryDto) task?: TaskSummaryDto;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => MediaRefDto) evidence?: MediaRefDto[];
  @IsISO8601() at!: string;
}

// ---------------------------------------------------------------- routing → dispatch, notification (reference data)

export class UnitContactDto {
  @IsOptional() @IsString() phone?: string;
  @IsOptional() @IsEmail() email?: string;
  @IsOptional() @IsString() wechatOpenId?: string;
}

export class UnitReferencePayload {
  @IsString() @Length(1, 64) unitId!: string;
  @IsString() @Length(1, 200) name!: string;
  @IsIn(UNIT_TYPES) unitType!: UnitType;
  @IsArray() @IsString({ each: true }) areaCodes!: string[];
  @ValidateNested() @Type(() => UnitContactDto) contact!: UnitContactDto;
  @IsOptional() @ValidateNested() @Type(() => UnitContactDto) supervisorContact?: UnitContactDto;
  @IsOptional() @IsUrl({ require_tld: false }) webhookUrl?: string;
  /** HMAC secret for webhooks to this unit (topic is internal and access-controlled). */
  @IsOptional() @IsString() webhookSecret?: string;
  /** sha256 hex of each active partner API key; the keys themselves never leave routing's admin API answer. */
  @IsArray() @IsString({ each: true }) apiKeyHashes!: string[];
  @IsBoolean() active!: boolean;
  @IsInt() @Min(1) version!: number;
}

export class AreaReferencePayload {
  @IsString() @Length(1, 64) code!: string;
  @IsString() name!: string;
  @IsIn(AREA_LEVELS) level!: AreaLevel;
  @IsOptional() @IsString() parentCode?: string;
  @IsBoolean() active!: boolean;
  @IsInt() @Min(1) version!: number;
}

export class CategoryReferencePayload {
  @IsString() @Length(1, 64) code!: string;
  @IsString() nameZh!: string;
  @IsString() nameEn!: string;
  @IsIn(UNIT_TYPES) defaultUnitType!: UnitType;
  @IsIn(PRIORITIES) defaultPriority!: Priority;
  @IsString() slaPolicyId!: string;
  @IsOptional() @IsIn(MANDATORY_REPORT_KINDS) mandatoryReportKind?: MandatoryReportKind;
  @IsBoolean() active!: boolean;
  @IsInt() @Min(1) version!: number;
}

export class SlaPolicyReferencePayload extends SlaPolicyDto {
  @IsBoolean() active!: boolean;
  @IsInt() @Min(1) version!: number;
}
