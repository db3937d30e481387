import { SetMetadata } from '@nestjs/common';

export const STAFF_ROLES = ['dispatcher', 'supervisor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * The center's role matrix (who may do what under /center/v1):
 *
 * | right                                                       | dispatcher | supervisor | admin |
 * | ----------------------------------------------------------- | :--------: | :--------: | :---: |
 * | view cases, search, timeline, triage queue                  |     ✓      |     ✓      |   ✓   |
 * | assign, reassign, release support, cancel, merge, ask info  |     ✓      |     ✓      |   ✓   |
 * | approve / refuse extension, verify & close, reopen, 督办     |            |     ✓      |   ✓   |
 *
 * Use with `@Roles(...DISPATCH_ROLES)` or `@Roles(...SUPERVISE_ROLES)` under `StaffAuthGuard`.
 */
export const DISPATCH_ROLES: readonly StaffRole[] = ['dispatcher', 'supervisor', 'admin'];
export const SUPERVISE_ROLES: readonly StaffRole[] = ['supervisor', 'admin'];
export const ADMIN_ROLES: readonly StaffRole[] = ['admin'];

export const ROLES_KEY = 'dispatch:staff-roles';

/** Roles allowed on a route (any of them); without it, any signed-in staff member may call. */
export const Roles = (...roles: StaffRole[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

/** The signed-in staff member, set on the request by StaffAuthGuard. */
export interface StaffPrincipal {
  staffId: string;
  username: string;
  displayName: string;
  roles: StaffRole[];
}
