import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { EntityManager } from 'typeorm';
import { JsonLogger, startedWork } from '@app/observability';
import { LOGGER, MessagingService, PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import { parseRefData } from '../domain';
import { sha256Hex } from '../reference-admin/reference-admin.handler';
import { RefDataCache } from '../reference-data/ref-data.cache';
import { allReferenceEvents } from '../reference-data/reference.mapper';
import { ReferenceRepository } from '../reference-data/reference.repository';
import type {
  AreaData,
  CategoryData,
  EntityKind,
  RuleData,
  SlaPolicyData,
  UnitData,
} from '../reference-data/reference.types';
import { ROUTING_CONFIG, RoutingConfig } from '../routing.config';

/** Demo partner API key of a seeded unit (U-PM-GHY → demo-key-pm-ghy); listed in seed/README.md. */
export const demoApiKey = (unitId: string): string => `demo-key-${unitId.toLowerCase().replace(/^u-/, '')}`;
/** Demo webhook secret of a seeded unit. */
export const demoWebhookSecret = (unitId: string): string =>
  `demo-webhook-secret-${unitId.toLowerCase().replace(/^u-/, '')}`;

type Json = Record<string, unknown>;

function pick<T>(obj: Json, keys: string[]): T {
  const out: Json = {};
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  return out as T;
}

/**
 * Loads seed/demo-district.json when SEED_DEMO=true and the reference tables are empty, under a
 * transaction-scoped advisory lock (two replicas booting together load it once), and publishes
 * every entity's reference event through the outbox in the same transaction.
 */
@Injectable()
export class DemoSeedLoader implements OnModuleInit {
  private readonly log: JsonLogger;

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig,
    private readonly repository: ReferenceRepository,
    private readonly messaging: MessagingService,
    private readonly cache: RefDataCache,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('demo-seed');
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.seedDemo) return;
    await this.load();
  }

  /** Returns the new reference-data version, or undefined when data was already there. */
  async load(): Promise<number | undefined> {
    const raw = JSON.parse(readFileSync(this.config.seedPath, 'utf8')) as Json;
    parseRefData(raw); // throws ROUTING.INVALID_REF_DATA listing every problem
    const version = await this.messaging.transaction(startedWork('demo-seed'), async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`routing-seed:${this.platform.schema}`]);
      if (!(await this.repository.isEmpty(m))) return { result: undefined, events: [] };
      const refVersion = await this.repository.bumpVersion(m);
      await this.write(m, raw, refVersion);
      const snapshot = await this.repository.loadSnapshot(m);
      return { result: refVersion, events: allReferenceEvents(snapshot) };
    });
    if (version === undefined) {
      this.log.info('reference data present; demo seed not loaded');
    } else {
      this.log.info(`demo district seeded (reference data version ${version})`);
      await this.cache.changed(version);
    }
    return version;
  }

  private async write(m: EntityManager, raw: Json, refVersion: number): Promise<void> {
    const put = async (kind: EntityKind, id: string, active: boolean, data: unknown, secret?: string) => {
      await this.repository.save(m, kind, { id, active, version: 1, data }, secret);
      await this.repository.addHistory(m, {
        entityType: kind,
        entityId: id,
        version: 1,
        refVersion,
        action: 'seed',
        actor: 'seed:demo-district',
        before: null,
        after: { ...(data as Json), active },
      });
    };
    const list = (key: string): Json[] => raw[key] as Json[];
    for (const p of list('slaPolicies')) {
      const data = pick<SlaPolicyData>(p, [
        'policyId',
        'name',
        'acceptWithinSeconds',
        'resolveWithinSeconds',
        'warnAtFraction',
        'calendar',
        'escalation',
      ]);
      await put('sla_policy', data.policyId, p.active !== false, data);
    }
    for (const a of list('areas')) {
      const data = pick<AreaData>(a, ['code', 'level', 'name', 'parentCode', 'aliases', 'polygon']);
      await put('area', data.code, a.active !== false, data);
    }
    for (const c of list('categories')) {
      const data = pick<CategoryData>(c, [
        'code',
        'nameZh',
        'nameEn',
        'defaultUnitType',
        'defaultPriority',
        'slaPolicyId',
        'mandatoryReportKind',
        'keywordsZh',
        'keywordsEn',
      ]);
      await put('category', data.code, c.active !== false, data);
    }
    for (const u of list('units')) {
      const data = pick<UnitData>(u, [
        'unitId',
        'name',
        'unitType',
        'areaCodes',
        'contact',
        'supervisorContact',
        'webhookUrl',
      ]);
      await put('unit', data.unitId, u.active !== false, data, demoWebhookSecret(data.unitId));
      await this.repository.addApiKey(
        m,
        data.unitId,
        sha256Hex(demoApiKey(data.unitId)),
        'seed:demo-district',
        'demo',
      );
    }
    for (const r of list('rules')) {
      const data = pick<RuleData>(r, ['id', 'priorityOrder', 'description', 'match', 'then']);
      await put('rule', data.id, r.active === true, data);
    }
    await this.repository.saveSetting(m, 'signalLexicon', raw.signalLexicon);
    if (raw.slaPolicyIdByPriority)
      await this.repository.saveSetting(m, 'slaPolicyIdByPriority', raw.slaPolicyIdByPriority);
    if (typeof raw.confidenceSaturation === 'number')
      await this.repository.saveSetting(m, 'confidenceSaturation', raw.confidenceSaturation);
  }
}
