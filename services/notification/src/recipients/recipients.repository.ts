import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { UnitReferencePayload } from '@app/contracts';
import { InboxClaim, withInbox } from '@app/messaging';
import { PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import type {
  CaseInfo,
  ContactPoints,
  Locale,
  RecipientRole,
  ResidentRecipient,
  ResidentsNeeded,
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

/** A case upsert plus what the event's plan reads, for `recordCases`. */
export interface CaseRecord {
  upsert: Partial<CaseInfo> & { caseId: string; reference: string };
  /** A resident the event adds (kept if the case already has one with that key). */
  addResident?: ResidentRecipient | null;
  residents: ResidentsNeeded;
  /** The unit to read, or null for none. */
  unitId: string | null;
  roles: boolean;
}

/** What a case event's plan is computed from (parts not asked for are empty). */
export interface CaseContext {
  caseInfo: CaseInfo;
  residents: ResidentRecipient[];
  unit: UnitRecipient | null;
  roles: RoleRecipient[];
}

const RESIDENT_JSON = (t: string) =>
  `json_build_object('key', ${t}.resident_key, 'phone', ${t}.phone, 'email', ${t}.email, 'wechatOpenId', ${t}.wechat_open_id,
     'preferredContact', ${t}.preferred_contact, 'locale', ${t}.locale)`;

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

  /**
   * One statement for case events of DIFFERENT cases (one event alone, or a round of a consumer
   * chunk): per event, creates or refreshes what we know of its case (fields given as
   * null/undefined keep their value), adds the event's resident (a resident already known under
   * that key is kept), and reads back the case with only the residents, unit and roles its plan
   * needs. Everything is read in the statement's snapshot, which holds every earlier statement
   * of the transaction; a resident inserted by this very statement is taken from its RETURNING.
   * No event reads another's case, so each gets what its own statement would have given it.
   * Answers in the order of `records`. `inbox`: the consumed event's inbox row, written by the
   * same statement (see withInbox; one event alone).
   */
  async recordCases(m: EntityManager, records: CaseRecord[], inbox?: InboxClaim): Promise<CaseContext[]> {
    if (new Set(records.map((r) => r.upsert.caseId)).size !== records.length)
      throw new Error('recordCases: one event per case in a statement');
    const items = records.map((r, ord) => {
      const c = r.upsert;
      const added = r.addResident;
      // All residents are read from the snapshot, which does not hold one this statement adds.
      if (added && r.residents === 'all') throw new Error('recordCases: addResident with all residents');
      return {
        ord,
        case_id: c.caseId,
        reference: c.reference,
        summary: c.summary ?? null,
        priority: c.priority ?? null,
        reporter_confidential: c.reporterConfidential ?? null,
        add_key: added?.key ?? null,
        add_phone: added?.phone ?? null,
        add_email: added?.email ?? null,
        add_wechat_open_id: added?.wechatOpenId ?? null,
        add_preferred_contact: added?.preferredContact ?? null,
        add_locale: added?.locale ?? null,
        residents: r.residents === 'all' || r.residents === 'none' ? r.residents : 'one',
        resident_key: typeof r.residents === 'object' ? r.residents.key : null,
        unit_id: r.unitId,
        roles: r.roles,
      };
    });
    const [sql, params] = withInbox(
      inbox,
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, case_id uuid, reference text, summary text,
           priority text, reporter_confidential boolean, add_key text, add_phone text, add_email text,
           add_wechat_open_id text, add_preferred_contact text, add_locale text, residents text, resident_key text,
           unit_id text, roles boolean)
       ), c AS (
         INSERT INTO ${this.s}.cases AS t (case_id, reference, summary, priority, reporter_confidential)
         SELECT case_id, reference, summary, priority, COALESCE(reporter_confidential, false) FROM x
         ON CONFLICT (case_id) DO UPDATE SET
           reference = EXCLUDED.reference,
           summary = COALESCE(t.summary, EXCLUDED.summary),
           priority = COALESCE(EXCLUDED.priority, t.priority),
           reporter_confidential = t.reporter_confidential OR EXCLUDED.reporter_confidential,
           updated_at = now()
         RETURNING case_id, reference, summary, priority, reporter_confidential
       ), r AS (
         INSERT INTO ${this.s}.case_residents (case_id, resident_key, phone, email, wechat_open_id, preferred_contact, locale)
         SELECT case_id, add_key, add_phone, add_email, add_wechat_open_id, add_preferred_contact, add_locale
         FROM x WHERE add_key IS NOT NULL
         ON CONFLICT (case_id, resident_key) DO NOTHING
         RETURNING case_id, resident_key, phone, email, wechat_open_id, preferred_contact, locale
       )
       SELECT c.case_id, c.reference, c.summary, c.priority, c.reporter_confidential,
         CASE WHEN x.residents = 'all' THEN
           (SELECT COALESCE(json_agg(${RESIDENT_JSON('cr')}
              ORDER BY (cr.resident_key = 'reporter') DESC, cr.created_at, cr.resident_key), '[]'::json)
            FROM ${this.s}.case_residents cr WHERE cr.case_id = x.case_id) END AS residents,
         CASE WHEN x.residents = 'one' THEN COALESCE(
           (SELECT ${RESIDENT_JSON('r')} FROM r WHERE r.case_id = x.case_id AND r.resident_key = x.resident_key),
           (SELECT ${RESIDENT_JSON('cr')} FROM ${this.s}.case_residents cr
            WHERE cr.case_id = x.case_id AND cr.resident_key = x.resident_key)) END AS resident,
         (SELECT json_build_object('unitId', u.unit_id, 'name', u.name, 'active', u.active, 'contact', u.contact,
            'supervisorContact', u.supervisor_contact, 'webhookUrl', u.webhook_url)
          FROM ${this.s}.units u WHERE u.unit_id = x.unit_id) AS unit,
         CASE WHEN x.roles THEN
           (SELECT COALESCE(json_agg(json_build_object('role', rr.role, 'email', rr.email, 'phone', rr.phone,
              'wechatOpenId', rr.wechat_open_id, 'locale', rr.locale, 'active', rr.active) ORDER BY rr.role), '[]'::json)
            FROM ${this.s}.role_recipients rr) END AS roles
       FROM x JOIN c ON c.case_id = x.case_id
       ORDER BY x.ord`,
      [JSON.stringify(items)],
    );
    const rows = (await m.query(sql, params)) as {
      case_id: string;
      reference: string;
      summary: string | null;
      priority: CaseInfo['priority'];
      reporter_confidential: boolean;
      residents: ResidentRecipient[] | null;
      resident: ResidentRecipient | null;
      unit: UnitRecipient | null;
      roles: RoleRecipient[] | null;
    }[];
    return rows.map((row) => ({
      caseInfo: {
        caseId: row.case_id,
        reference: row.reference,
        summary: row.summary,
        priority: row.priority,
        reporterConfidential: row.reporter_confidential,
      },
      residents: row.residents ?? (row.resident ? [row.resident] : []),
      unit: row.unit ? { ...row.unit, contact: row.unit.contact ?? {} } : null,
      roles: row.roles ?? [],
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
