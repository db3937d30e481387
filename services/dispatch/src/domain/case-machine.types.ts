/** State, commands and events of the case state machine (see case-machine.ts). */
import type {
  CaseStatus,
  LifecycleEventType,
  MediaRefDto,
  Priority,
  Satisfaction,
  TaskRole,
  TaskStatus,
  TriageReason,
  UnitType,
} from '@app/contracts';

export type ClosedHow = 'resident_confirmed' | 'center_verified' | 'auto_closed';
export type ActorKind = 'unit' | 'staff' | 'resident' | 'system';
export type EvidenceRef = MediaRefDto;

export interface UnitRef {
  unitId: string;
  unitType: UnitType;
  unitName?: string;
}

/** A unit to give a task to; the caller mints the task id (a UUID) so the machine stays pure. */
export interface UnitAssignment extends UnitRef {
  taskId: string;
}

export interface CaseTask extends UnitRef {
  taskId: string;
  role: TaskRole;
  status: TaskStatus;
  assignedAt: Date;
  acceptedAt?: Date;
  resolvedAt?: Date;
  /** Set when the task ended: resolved, returned, released or cancelled. */
  endedAt?: Date;
  resolutionNote?: string;
  returnedReason?: string;
}

export interface PendingExtension {
  taskId: string;
  unitId: string;
  requestedDueAt: Date;
  reason: string;
  requestedAt: Date;
}

export interface CaseResolution {
  taskId: string;
  unitId: string;
  note: string;
  evidence: EvidenceRef[];
  resolvedAt: Date;
}

export interface CaseState {
  caseId: string;
  reference: string;
  status: CaseStatus;
  priority: Priority;
  categoryCode?: string;
  /** Every task ever created for the case, in creation order (ended ones included). */
  tasks: CaseTask[];
  /** Units that returned a task (退单); routing excludes them. */
  returnedUnitIds: string[];
  returnCount: number;
  reopenCount: number;
  supervisionFlagged: boolean;
  pendingExtension?: PendingExtension;
  /** The center asked the resident for information at this instant; SLA clocks are paused. */
  awaitingResidentSince?: Date;
  resolution?: CaseResolution;
  /** Last rating the resident gave (kept across a reopen). */
  satisfaction?: Satisfaction;
  mergedInto?: string;
  closedHow?: ClosedHow;
  closedAt?: Date;
}

// ---------------------------------------------------------------- commands

interface CommandBase {
  /** Who acts: unit user, staff member, resident or system id (audit only). */
  actorId?: string;
}

/** Routing decided (case.routed): lead and support tasks are created. */
export interface RouteCommand extends CommandBase {
  type: 'route';
  lead: UnitAssignment;
  support: UnitAssignment[];
  priority?: Priority;
  categoryCode?: string;
}
/** Routing could not decide (case.triage-required): a person at the center must. */
export interface TriageCommand extends CommandBase {
  type: 'triage';
  reason: TriageReason;
  reasons?: string[];
  priority?: Priority;
  categoryCode?: string;
}
/** Center assigns by hand (from triage or awaiting routing), or reassigns the open lead task. */
export interface AssignCommand extends CommandBase {
  type: 'assign';
  lead: UnitAssignment;
  support?: UnitAssignment[];
  reason?: string;
  priority?: Priority;
  categoryCode?: string;
}
interface TaskCommandBase extends CommandBase {
  taskId: string;
  unitId: string;
}
export interface AcceptCommand extends TaskCommandBase {
  type: 'accept';
}
export interface ProgressCommand extends TaskCommandBase {
  type: 'progress';
  note: string;
}
export interface ReturnCommand extends TaskCommandBase {
  type: 'return';
  reason: string;
}
export interface RequestExtensionCommand extends TaskCommandBase {
  type: 'request_extension';
  reason: string;
  requestedDueAt: Date;
}
export interface GrantExtensionCommand extends CommandBase {
  type: 'grant_extension';
  /** Defaults to the requested due date. */
  dueAt?: Date;
  note?: string;
}
export interface RefuseExtensionCommand extends CommandBase {
  type: 'refuse_extension';
  reason?: string;
}
export interface RequestInfoCommand extends CommandBase {
  type: 'request_info';
  question: string;
}
export interface ProvideInfoCommand extends CommandBase {
  type: 'provide_info';
  text: string;
}
export interface ResolveCommand extends TaskCommandBase {
  type: 'resolve';
  note: string;
  evidence?: EvidenceRef[];
}
export interface ReleaseSupportCommand extends CommandBase {
  type: 'release_support';
  taskId: string;
  reason?: string;
}
export interface ConfirmCommand extends CommandBase {
  type: 'confirm';
  satisfaction: Satisfaction;
  comment?: string;
  /** Required when unsatisfied: the id of the new lead task of the reopened case. */
  reopenTaskId?: string;
}
export interface VerifyCloseCommand extends CommandBase {
  type: 'verify_close';
  note?: string;
}
export interface AutoCloseCommand extends CommandBase {
  type: 'auto_close';
}
export interface ReopenCommand extends CommandBase {
  type: 'reopen';
  /** Id of the new lead task. */
  taskId: string;
  reason: string;
  /** Another unit to reopen to; default the last lead unit. */
  unit?: UnitRef;
}
export interface CancelCommand extends CommandBase {
  type: 'cancel';
  reason: string;
}
export interface MergeCommand extends CommandBase {
  type: 'merge';
  intoCaseId: string;
  intoReference?: string;
  reason?: string;
}
export interface FlagSupervisionCommand extends CommandBase {
  type: 'flag_supervision';
  reason?: string;
  /** `escalation`: flagged by an SLA escalation step (actorKind system); default staff. */
  source?: 'staff' | 'escalation';
}

export type CaseCommand =
  | RouteCommand
  | TriageCommand
  | AssignCommand
  | AcceptCommand
  | ProgressCommand
  | ReturnCommand
  | RequestExtensionCommand
  | GrantExtensionCommand
  | RefuseExtensionCommand
  | RequestInfoCommand
  | ProvideInfoCommand
  | ResolveCommand
  | ReleaseSupportCommand
  | ConfirmCommand
  | VerifyCloseCommand
  | AutoCloseCommand
  | ReopenCommand
  | CancelCommand
  | MergeCommand
  | FlagSupervisionCommand;

export type CaseCommandType = CaseCommand['type'];
export type CaseCommandOf<T extends CaseCommandType> = Extract<CaseCommand, { type: T }>;

// ---------------------------------------------------------------- events

export interface TaskRef {
  taskId: string;
  unitId: string;
  role: TaskRole;
  status: TaskStatus;
}

/**
 * One entry of the case's lifecycle (topic case.lifecycle.v1); field names follow
 * `CaseLifecyclePayload`, instants are `Date`. `residentNote` is the bilingual line the resident's
 * tracking view shows when `residentVisible`.
 */
export interface CaseDomainEvent {
  type: LifecycleEventType;
  caseId: string;
  reference: string;
  /** Case status after the change. */
  status: CaseStatus;
  priority: Priority;
  categoryCode?: string;
  at: Date;
  actorKind: ActorKind;
  actorId?: string;
  taskId?: string;
  taskRole?: TaskRole;
  taskStatus?: TaskStatus;
  unitId?: string;
  unitType?: UnitType;
  unitName?: string;
  note?: string;
  reason?: string;
  residentVisible: boolean;
  residentNote?: string;
  /** case.assigned (reassignment) / case.reopened: the task this one replaces. */
  previousTaskId?: string;
  previousUnitId?: string;
  /** Tasks this change ended (released, cancelled) whose units must be told. */
  endedTasks?: TaskRef[];
  /** case.returned: true when the lead returned and the case awaits routing again. */
  awaitingReroute?: boolean;
  excludedUnitIds?: string[];
  returnCount?: number;
  /** case.extension-*: the due instant asked for / granted. */
  requestedDueAt?: Date;
  dueAt?: Date;
  /** case.info-provided: when the pause began (SLA clocks resume); absent if nothing was asked. */
  pausedSince?: Date;
  closedHow?: ClosedHow;
  satisfaction?: Satisfaction;
  comment?: string;
  mergedInto?: string;
  mergedIntoReference?: string;
  evidence?: EvidenceRef[];
  reopenCount?: number;
}

export interface TransitionResult {
  state: CaseState;
  events: CaseDomainEvent[];
}
