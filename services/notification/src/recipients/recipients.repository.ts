import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { UnitReferencePayload } from '@app/contracts';
import { PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import type {
  CaseInfo,
  ContactPoints,
  Locale,
  RecipientRole,
  ResidentRecipient,
  RoleRecipient,
  UnitRecipient,
} from '../domain';

interface UnitRow {
  unit_id: string;
  name: string;
  unit_type: string;
  contact: ContactPoints;
  supervisor_contact: ContactPoints | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  active: boolean;
  version: number;
  updated_at: Date;
}

interface RoleRow {
  role: RecipientRole;
  email: string | null;
  phone: string | null;
  wechat_open_id: string | null;
  locale: Locale;
  active: boolean;
  updated_at: Date;
}

export interface UnitDirectoryEntry extends UnitRecipient {
  unitType: string;
  hasWebhookSecret: boolean;
  version: number;
  updatedAt: string;
}

export interface RoleRecipientRecord extends RoleRecipient {
  updatedAt: string;
}

/** Recipients as data: cases and their residents, the unit directory, center role contacts. */
@Injectable()
export class RecipientsRepository {
  private readonly s: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
  ) {
    this.s = `"${config.schema}"`;
  }

  /** Creates or refreshes what we know of a case; fields given as null/undefined keep their value. */
  async upsertCase(
    m: EntityManager,
    c: Partial<CaseInfo> & { caseId: string; reference: string },
  ): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.cases (case_id, reference, summary, priority, reporter_confidential)
       VALUES ($1, $2, $3, $4, COALESCE($5, false))
       ON CONFLICT (case_id) DO UPDATE SET
         reference = EXCLUDED.reference,
         summary = COALESCE(${this.s}.cases.summary, EXCLUDED.summary),
         priority = COALESCE($4, ${this.s}.cases.priority),
         reporter_confidential = ${this.s}.cases.reporter_confidential OR COALESCE($5, false),
         updated_at = now()`,
      [c.caseId, c.reference, c.summary ?? null, c.priority ?? null, c.reporterConfidential ?? null],
    );
  }

  async findCase(m: EntityManager, caseId: string): Promise<CaseInfo | null> {
    const rows = (await m.query(
      `SELECT case_id, reference, summary, priority, reporter_confidential FROM ${this.s}.cases WHERE case_id = $1`,
      [caseId],
    )) as {
      case_id: string;
      reference: string;
      summary: string | null;
      priority: CaseInfo['priority'];
      reporter_confidential: boolean;
    }[];
    const r = rows[0];
    return r
      ? {
          caseId: r.case_id,
          reference: r.reference,
          summary: r.summary,
          priority: r.priority,
          reporterConfidential: r.reporter_confidential,
        }
      : null;
  }

  async addResident(m: EntityManager, caseId: string, r: ResidentRecipient): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.case_residents (case_id, resident_key, phone, email, wechat_open_id, preferred_contact, locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id, resident_key) DO NOTHING`,
      [
        caseId,
        r.key,
        r.phone ?? null,
        r.email ?? null,
        r.wechatOpenId ?? null,
        r.preferredContact ?? null,
        r.locale,
      ],
    );
  }

  async residents(m: EntityManager, caseId: string): Promise<ResidentRecipient[]> {
    const rows = (await m.query(
      `SELECT resident_key, phone, email, wechat_open_id, preferred_contact, locale FROM ${this.s}.case_residents
       WHERE case_id = $1 ORDER BY (resident_key = 'reporter') DESC, created_at, resident_key`,
      [caseId],
    )) as {
      resident_key: string;
      phone: string | null;
      email: string | null;
      wechat_open_id: string | null;
      preferred_contact: ResidentRecipient['preferredContact'];
      locale: Locale;
    }[];
    return rows.map((r) => ({
      key: r.resident_key,
      phone: r.phone,
      email: r.email,
      wechatOpenId: r.wechat_open_id,
      preferredContact: r.preferred_contact,
      locale: r.locale,
    }));
  }

  /** Keeps the highest version per unit (reference topics are compacted and may replay). */
  async upsertUnit(m: EntityManager, u: UnitReferencePayload): Promise<boolean> {
    const rows = (await m.query(
      `INSERT INTO ${this.s}.units (unit_id, name, unit_type, contact, supervisor_contact, webhook_url, webhook_secret, active, version)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9)
       ON CONFLICT (unit_id) DO UPDATE SET
         name = EXCLUDED.name, unit_type = EXCLUDED.unit_type, contact = EXCLUDED.contact,
         supervisor_contact = EXCLUDED.supervisor_contact, webhook_url = EXCLUDED.webhook_url,
         webhook_secret = EXCLUDED.webhook_secret, active = EXCLUDED.active, version = EXCLUDED.version, updated_at = now()
       WHERE ${this.s}.units.version < EXCLUDED.version
       RETURNING unit_id`,
      [
        u.unitId,
        u.name,
        u.unitType,
        JSON.stringify(u.contact ?? {}),
        u.supervisorContact ? JSON.stringify(u.supervisorContact) : null,
        u.webhookUrl ?? null,
        u.webhookSecret ?? null,
        u.active,
        u.version,
      ],
    )) as unknown[];
    return rows.length > 0;
  }

  async findUnit(m: EntityManager | undefined, unitId: string): Promise<UnitRecipient | null> {
    const rows = (await (m ?? this.dataSource).query(`SELECT * FROM ${this.s}.units WHERE unit_id = $1`, [
      unitId,
    ])) as UnitRow[];
    return rows[0] ? toUnit(rows[0]) : null;
  }

  /** The unit's current webhook secret (read at send time, never copied into the delivery log). */
  async webhookSecret(unitId: string): Promise<string | null> {
    const rows = (await this.dataSource.query(
      `SELECT webhook_secret FROM ${this.s}.units WHERE unit_id = $1`,
      [unitId],
    )) as {
      webhook_secret: string | null;
    }[];
    return rows[0]?.webhook_secret ?? null;
  }

  async listUnits(): Promise<UnitDirectoryEntry[]> {
    const rows = (await this.dataSource.query(`SELECT * FROM ${this.s}.units ORDER BY unit_id`)) as UnitRow[];
    return rows.map((r) => ({
      ...toUnit(r),
      unitType: r.unit_type,
      hasWebhookSecret: !!r.webhook_secret,
      version: r.version,
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  async roles(m?: EntityManager): Promise<RoleRecipientRecord[]> {
    const rows = (await (m ?? this.dataSource).query(
      `SELECT * FROM ${this.s}.role_recipients ORDER BY role`,
    )) as RoleRow[];
    return rows.map(toRole);
  }

  async seedRoles(seed: {
    supervisorEmail: string;
    supervisorPhone: string;
    dispatchEmail: string;
  }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.s}.role_recipients (role, email, phone) VALUES ('supervisor', $1, $2), ('center', $3, NULL)
       ON CONFLICT (role) DO NOTHING`,
      [seed.supervisorEmail, seed.supervisorPhone, seed.dispatchEmail],
    );
  }

  async putRole(r: RoleRecipient): Promise<RoleRecipientRecord> {
    const rows = (await this.dataSource.query(
      `INSERT INTO ${this.s}.role_recipients (role, email, phone, wechat_open_id, locale, active) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (role) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone, wechat_open_id = EXCLUDED.wechat_open_id,
         locale = EXCLUDED.locale, active = EXCLUDED.active, updated_at = now()
       RETURNING *`,
      [r.role, r.email ?? null, r.phone ?? null, r.wechatOpenId ?? null, r.locale, r.active],
    )) as RoleRow[];
    return toRole(rows[0]);
  }
}

function toUnit(r: UnitRow): UnitRecipient {
  return {
    unitId: r.unit_id,
    name: r.name,
    active: r.active,
    contact: r.contact ?? {},
    supervisorContact: r.supervisor_contact,
    webhookUrl: r.webhook_url,
  };
}

function toRole(r: RoleRow): RoleRecipientRecord {
  return {
    role: r.role,
    email: r.email,
    phone: r.phone,
    wechatOpenId: r.wechat_open_id,
    locale: r.locale,
    active: r.active,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
