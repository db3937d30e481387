import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { DomainError } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { LOGGER, REDIS } from '@app/platform';
import { DISPATCH_CONFIG, DispatchConfig, S } from '../dispatch.config';
import { FailureLimiter } from './failure-limiter';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password';
import { STAFF_ROLES, StaffPrincipal, StaffRole } from './roles';

export const AUTH_ERRORS = {
  Unauthenticated: 'AUTH.UNAUTHENTICATED',
  InvalidCredentials: 'AUTH.INVALID_CREDENTIALS',
  Forbidden: 'AUTH.FORBIDDEN',
  TooManyAttempts: 'AUTH.TOO_MANY_ATTEMPTS',
} as const;

export const unauthenticated = (message = 'Sign in first: send Authorization: Bearer <token>'): DomainError =>
  new DomainError(AUTH_ERRORS.Unauthenticated, message, undefined, 401);

export class TooManyAttemptsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      AUTH_ERRORS.TooManyAttempts,
      `Too many failed attempts; retry in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
      429,
    );
  }
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  roles: StaffRole[];
  displayName: string;
}

const DEMO_STAFF: { username: string; displayName: string; password: string; roles: StaffRole[] }[] = [
  { username: 'admin', displayName: '系统管理员 Admin', password: 'admin-demo-2026', roles: ['admin'] },
  {
    username: 'dispatcher',
    displayName: '派单员 Dispatcher',
    password: 'dispatcher-demo-2026',
    roles: ['dispatcher'],
  },
  {
    username: 'supervisor',
    displayName: '督办员 Supervisor',
    password: 'supervisor-demo-2026',
    roles: ['supervisor'],
  },
];

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Staff accounts and bearer tokens (random, stored only as sha256). */
@Injectable()
export class StaffAuthService implements OnApplicationBootstrap {
  private readonly log: JsonLogger;
  private readonly byIp: FailureLimiter;
  private readonly byUser: FailureLimiter;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) redis: Redis,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(DISPATCH_CONFIG) private readonly config: DispatchConfig,
  ) {
    this.log = logger.child('staff-auth');
    this.byIp = new FailureLimiter(redis, this.log, 'login-ip', 30, 300);
    this.byUser = new FailureLimiter(redis, this.log, 'login-user', 5, 300);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.seedDemoStaff) await this.seedDemoStaff();
  }

  /** Creates the demo accounts that do not exist yet (never overwrites a changed password). */
  async seedDemoStaff(): Promise<void> {
    for (const s of DEMO_STAFF) {
      const hash = await hashPassword(s.password);
      await this.dataSource.query(
        `INSERT INTO ${S}.staff (staff_id, username, display_name, password_hash, roles)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING`,
        [randomUUID(), s.username, s.displayName, hash, s.roles],
      );
    }
    this.log.info('demo staff accounts present (SEED_DEMO_STAFF=true)');
  }

  async createStaff(
    username: string,
    displayName: string,
    password: string,
    roles: StaffRole[],
  ): Promise<string> {
    const id = randomUUID();
    await this.dataSource.query(
      `INSERT INTO ${S}.staff (staff_id, username, display_name, password_hash, roles) VALUES ($1, $2, $3, $4, $5)`,
      [id, username, displayName, await hashPassword(password), roles],
    );
    return id;
  }

  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    const user = username.trim().toLowerCase();
    const wait = Math.max(await this.byIp.blockedFor(ip), await this.byUser.blockedFor(user));
    if (wait > 0) throw new TooManyAttemptsError(wait);
    const [row] = (await this.dataSource.query(
      `SELECT staff_id, display_name, password_hash, roles, active FROM ${S}.staff WHERE username = $1`,
      [user],
    )) as {
      staff_id: string;
      display_name: string;
      password_hash: string;
      roles: StaffRole[];
      active: boolean;
    }[];
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!row || !ok || !row.active) {
      await Promise.all([this.byIp.recordFailure(ip), this.byUser.recordFailure(user)]);
      throw new DomainError(AUTH_ERRORS.InvalidCredentials, 'Wrong username or password', undefined, 401);
    }
    await this.byUser.reset(user);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.staffTokenTtlMinutes * 60_000);
    await this.dataSource.query(
      `INSERT INTO ${S}.staff_tokens (token_hash, staff_id, expires_at) VALUES ($1, $2, $3)`,
      [sha256Hex(token), row.staff_id, expiresAt],
    );
    // Expired tokens are of no use: drop them now and then.
    if (Math.random() < 0.05) {
      await this.dataSource
        .query(`DELETE FROM ${S}.staff_tokens WHERE expires_at < now()`)
        .catch(() => undefined);
    }
    return { token, expiresAt, roles: row.roles.filter(isRole), displayName: row.display_name };
  }

  async logout(token: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${S}.staff_tokens WHERE token_hash = $1`, [sha256Hex(token)]);
  }

  /** The staff member a token belongs to, or undefined when unknown, expired or deactivated. */
  async authenticate(token: string): Promise<StaffPrincipal | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT s.staff_id, s.username, s.display_name, s.roles
         FROM ${S}.staff_tokens t JOIN ${S}.staff s ON s.staff_id = t.staff_id
        WHERE t.token_hash = $1 AND t.expires_at > now() AND s.active`,
      [sha256Hex(token)],
    )) as { staff_id: string; username: string; display_name: string; roles: string[] }[];
    if (!row) return undefined;
    return {
      staffId: row.staff_id,
      username: row.username,
      displayName: row.display_name,
      roles: row.roles.filter(isRole),
    };
  }
}

function isRole(r: string): r is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(r);
}
