import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CaseStatus, NotFoundError, ValidationFailedError } from '@app/contracts';
import type { WorkContext } from '@app/observability';
import { PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import {
  commaList,
  OPEN311_MAX_RESULTS,
  Open311Status,
  requestWindow,
  statusesFor,
  statusNotes,
  toOpen311Status,
  w3cDatetime,
} from '../domain';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { ReportIntakeHandler } from '../report-intake/report-intake.handler';
import { CategoriesRepository, CategoryRow } from '../shared/categories.repository';
import { compact } from '../shared/http-helpers';
import { INTAKE_ERRORS } from '../shared/intake-errors';
import { ReportsRepository } from '../shared/reports.repository';
import type { Open311CreateRequestDto, Open311RequestsQuery } from './open311.dto';
import type { XmlObject } from './open311.format';

/** Attributes every service takes (our location vocabulary), as a GeoReport v2 service definition lists them. */
export const OPEN311_ATTRIBUTES = [
  {
    variable: true,
    code: 'building_code',
    datatype: 'string',
    required: false,
    datatype_description: 'Building code (楼栋编号), e.g. B-0417',
    order: 1,
    description: 'Building (楼栋)',
  },
  {
    variable: true,
    code: 'grid_code',
    datatype: 'string',
    required: false,
    datatype_description: 'Grid code (网格编号), e.g. G-04',
    order: 2,
    description: 'Grid (网格)',
  },
] as const;

const ATTRIBUTE_TO_LOCATION: Record<string, 'buildingCode' | 'gridCode'> = {
  building_code: 'buildingCode',
  grid_code: 'gridCode',
};

interface RequestRow {
  reference: string;
  status: CaseStatus;
  description: string;
  categoryCode: string | null;
  unitName: string | null;
  lastResidentNote: string | null;
  mergedIntoReference: string | null;
  reportedAt: Date;
  updatedAt: Date;
  expectedAt: Date | null;
  addressText: string | null;
  buildingCode: string | null;
  lat: number | null;
  lng: number | null;
  media: { url: string }[];
  confidential: boolean;
}

const REQUEST_COLUMNS = `reference, status, description, COALESCE(routed_category_code, category_code) AS "categoryCode",
  unit_name AS "unitName", last_resident_note AS "lastResidentNote", merged_into_reference AS "mergedIntoReference",
  reported_at AS "reportedAt", updated_at AS "updatedAt", expected_at AS "expectedAt", address_text AS "addressText",
  building_code AS "buildingCode", lat, lng, media, reporter_confidential AS confidential`;

/** GeoReport v2 over intake: services from the category list, requests from the report read model. */
@Injectable()
export class Open311Handler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: ReportIntakeHandler,
    private readonly reports: ReportsRepository,
    private readonly categories: CategoriesRepository,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig,
  ) {}

  checkJurisdiction(jurisdictionId: string | undefined): void {
    if (
      jurisdictionId &&
      this.config.open311JurisdictionId &&
      jurisdictionId !== this.config.open311JurisdictionId
    ) {
      throw new NotFoundError(`jurisdiction_id ${jurisdictionId}`, INTAKE_ERRORS.NotFound);
    }
  }

  discovery(): XmlObject {
    const url = `${this.platform.publicUrl}/open311/v2/`;
    return {
      changeset: w3cDatetime(new Date('2026-01-01T00:00:00Z')),
      contact: 'Community integrated-governance center (综治中心)',
      key_service: 'Ask the center for an api_key',
      endpoints: {
        endpoint: [
          {
            specification: 'http://wiki.open311.org/GeoReport_v2',
            url,
            changeset: w3cDatetime(new Date('2026-01-01T00:00:00Z')),
            type: 'production',
            formats: { format: ['text/xml', 'application/json'] },
          },
        ],
      },
    };
  }

  /** JSON discovery has arrays where XML has repeated elements. */
  discoveryJson(): XmlObject {
    const d = this.discovery();
    const endpoint = (d.endpoints as { endpoint: XmlObject[] }).endpoint[0];
    return { ...d, endpoints: [{ ...endpoint, formats: ['text/xml', 'application/json'] }] };
  }

  async services(): Promise<XmlObject[]> {
    return (await this.categories.active()).map((c) => this.service(c));
  }

  private service(c: CategoryRow): XmlObject {
    return {
      service_code: c.code,
      service_name: c.nameZh,
      description: c.nameEn,
      metadata: true,
      type: 'realtime',
      keywords: [c.code, c.nameEn].join(','),
      group: c.defaultPriority === 'urgent' ? 'urgent' : 'general',
    };
  }

  async serviceDefinition(code: string): Promise<XmlObject> {
    const known = (await this.categories.active()).some((c) => c.code === code);
    if (!known) throw new NotFoundError(`service_code ${code}`, INTAKE_ERRORS.NotFound);
    return { service_code: code, attributes: OPEN311_ATTRIBUTES.map((a) => ({ ...a })) };
  }

  async create(
    dto: Open311CreateRequestDto,
    clientId: string,
    idempotencyKey: string | undefined,
    work: WorkContext,
  ): Promise<XmlObject[]> {
    this.checkJurisdiction(dto.jurisdiction_id);
    const problems: { field: string; problems: string[] }[] = [];
    const location: {
      buildingCode?: string;
      gridCode?: string;
      addressText?: string;
      lat?: number;
      lng?: number;
    } = {};
    for (const [code, value] of Object.entries(dto.attribute ?? {})) {
      const target = ATTRIBUTE_TO_LOCATION[code];
      if (!target)
        problems.push({ field: `attribute[${code}]`, problems: ['is not an attribute of this service'] });
      else if (typeof value !== 'string' || value.length < 1 || value.length > 64) {
        problems.push({ field: `attribute[${code}]`, problems: ['must be a string of 1-64 characters'] });
      } else location[target] = value;
    }
    if (dto.address_id) location.buildingCode ??= dto.address_id;
    if (dto.address_string) location.addressText = dto.address_string;
    if (dto.lat !== undefined && dto.long !== undefined) {
      location.lat = dto.lat;
      location.lng = dto.long;
    }
    if (dto.lat === undefined && !dto.address_string && !dto.address_id) {
      problems.push({
        field: 'lat',
        problems: ['a location is required: lat and long, address_string or address_id'],
      });
    }
    if (problems.length)
      throw new ValidationFailedError(
        `Invalid request: check ${problems.map((p) => p.field).join(', ')}`,
        problems,
      );
    const name = [dto.first_name, dto.last_name].filter(Boolean).join(' ') || undefined;
    const anonymous = !name && !dto.phone && !dto.email;
    const description =
      dto.description ?? (await this.categories.names()).get(dto.service_code)?.nameZh ?? dto.service_code;
    const out = await this.intake.submit(
      {
        channel: 'open311',
        description,
        categoryCode: dto.service_code,
        location: compact(location),
        reporter: compact({
          anonymous,
          confidential: false,
          name,
          phone: dto.phone,
          email: dto.email,
          preferredContact: dto.phone ? ('sms' as const) : dto.email ? ('email' as const) : undefined,
        }),
        media: dto.media_url ? [{ url: dto.media_url }] : [],
        open311ClientId: clientId,
        ...(dto.device_id || dto.account_id
          ? {
              attributes: compact<Record<string, string>>({
                ...(dto.device_id ? { device_id: dto.device_id } : {}),
                ...(dto.account_id ? { account_id: dto.account_id } : {}),
              }),
            }
          : {}),
      },
      work,
      {
        idempotency: idempotencyKey ? { scope: `open311:${clientId}`, key: idempotencyKey } : undefined,
        fieldNames: { categoryCode: 'service_code' },
      },
    );
    const b = out.body;
    return [
      compact({
        service_request_id: b.reference,
        token: b.trackingToken,
        service_notice: b.duplicateOf
          ? `Joined request ${b.duplicateOf.reference}, already reported at the same place / 已并入同一问题的工单 ${b.duplicateOf.reference}`
          : `Received as ${b.reference} / 已受理`,
        account_id: dto.account_id,
      }),
    ];
  }

  async list(q: Open311RequestsQuery): Promise<XmlObject[]> {
    this.checkJurisdiction(q.jurisdiction_id);
    const ids = commaList(q.service_request_id);
    let rows: RequestRow[];
    if (ids.length) {
      if (ids.length > OPEN311_MAX_RESULTS)
        throw this.invalid('service_request_id', `at most ${OPEN311_MAX_RESULTS} ids`);
      rows = (await this.dataSource.query(
        `SELECT ${REQUEST_COLUMNS} FROM intake.reports WHERE reference = ANY($1) ORDER BY reported_at DESC`,
        [ids],
      )) as RequestRow[];
    } else {
      const statusFilter = commaList(q.status);
      for (const s of statusFilter)
        if (s !== 'open' && s !== 'closed')
          throw this.invalid('status', `must be open, closed or both (got ${s})`);
      const window = requestWindow({
        startDate: q.start_date ? new Date(q.start_date) : undefined,
        endDate: q.end_date ? new Date(q.end_date) : undefined,
        now: new Date(),
      });
      if ('error' in window) throw this.invalid(window.field, window.error);
      const params: unknown[] = [window.from, window.to];
      const where = ['reported_at >= $1', 'reported_at <= $2'];
      const codes = commaList(q.service_code);
      if (codes.length) {
        params.push(codes);
        where.push(`COALESCE(routed_category_code, category_code) = ANY($${params.length})`);
      }
      if (statusFilter.length) {
        params.push(statusesFor(statusFilter as Open311Status[]));
        where.push(`status = ANY($${params.length})`);
      }
      params.push(OPEN311_MAX_RESULTS);
      rows = (await this.dataSource.query(
        `SELECT ${REQUEST_COLUMNS} FROM intake.reports WHERE ${where.join(' AND ')} ORDER BY reported_at DESC LIMIT $${params.length}`,
        params,
      )) as RequestRow[];
    }
    const names = await this.categories.names();
    return rows.map((r) => this.request(r, names));
  }

  async one(reference: string): Promise<XmlObject[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${REQUEST_COLUMNS} FROM intake.reports WHERE reference = $1`,
      [reference],
    )) as RequestRow[];
    if (!rows.length) throw new NotFoundError(`service_request_id ${reference}`, INTAKE_ERRORS.NotFound);
    const names = await this.categories.names();
    return rows.map((r) => this.request(r, names));
  }

  async token(token: string): Promise<XmlObject[]> {
    const reference = await this.reports.referenceByToken(token);
    if (!reference) throw new NotFoundError('token', INTAKE_ERRORS.NotFound);
    return [{ service_request_id: reference, token }];
  }

  /**
   * One service request as partners see it. Never any reporter data; for a confidential
   * reporter, the description and media are withheld too (they may identify the reporter).
   */
  private request(r: RequestRow, names: Map<string, CategoryRow>): XmlObject {
    const category = r.categoryCode ? names.get(r.categoryCode) : undefined;
    return compact({
      service_request_id: r.reference,
      status: toOpen311Status(r.status),
      status_notes: statusNotes(r.status, r.lastResidentNote, r.mergedIntoReference),
      service_name: category?.nameZh,
      service_code: r.categoryCode ?? undefined,
      description: r.confidential ? undefined : r.description,
      agency_responsible: r.unitName ?? undefined,
      service_notice: r.confidential
        ? 'Details withheld to protect the reporter / 为保护反映人，详情不公开'
        : undefined,
      requested_datetime: w3cDatetime(new Date(r.reportedAt)),
      updated_datetime: w3cDatetime(new Date(r.updatedAt)),
      expected_datetime: r.expectedAt ? w3cDatetime(new Date(r.expectedAt)) : undefined,
      address: r.addressText ?? undefined,
      address_id: r.buildingCode ?? undefined,
      lat: r.lat ?? undefined,
      long: r.lng ?? undefined,
      media_url: r.confidential ? undefined : r.media[0]?.url,
    }) as XmlObject;
  }

  private invalid(field: string, problem: string): ValidationFailedError {
    return new ValidationFailedError(`Invalid request: check ${field}`, [{ field, problems: [problem] }]);
  }
}
