import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DomainError, NotFoundError, ValidationFailedError } from '@app/contracts';
import type { NewEvent } from '@app/messaging';
import { JsonLogger } from '@app/observability';
import { LOGGER, MessagingService } from '@app/platform';
import { validateRefData } from '../domain';
import { RefDataCache } from '../reference-data/ref-data.cache';
import { allReferenceEvents, referenceEvent, toRefData } from '../reference-data/reference.mapper';
import { HistoryEntry, ReferenceRepository } from '../reference-data/reference.repository';
import {
  EntityDataOf,
  EntityKind,
  KIND_LABEL,
  ReferenceSnapshot,
  SNAPSHOT_LIST,
  StoredEntity,
  StoredUnit,
  UnitData,
} from '../reference-data/reference.types';
import { ROUTING_CONFIG, RoutingConfig } from '../routing.config';
import type { AdminActor } from './admin-auth.guard';

export type EntityView<T> = T & { active: boolean; version: number; createdAt: string; updatedAt: string };
export type UnitView = EntityView<UnitData> & { apiKeyCount: number };
export interface UnitCreated {
  unit: UnitView;
  /** Shown once: only its sha256 is stored. */
  apiKey: string;
  /** Shown once here (it travels to dispatch/notification on the internal reference topic). */
  webhookSecret: string;
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const newApiKey = (): string => `rk_${randomBytes(24).toString('base64url')}`;
const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;

type Action = 'create' | 'update' | 'deactivate';

interface ChangeOutcome<T> {
  entity: StoredEntity<T>;
  refVersion: number;
}

/**
 * Create, update, deactivate reference entities. Every change: bumps the reference-data version
 * (serializing admin writes), validates the whole reference set as it would be after the change
 * (the domain's validateRefData / validateRule), writes the entity, its history row (who, when,
 * before/after) and its reference event through the outbox, all in one transaction; then every
 * replica's cache is told.
 */
@Injectable()
export class ReferenceAdminHandler {
  constructor(
    private readonly repository: ReferenceRepository,
    private readonly messaging: MessagingService,
    private readonly cache: RefDataCache,
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async list<K extends EntityKind>(kind: K): Promise<EntityView<EntityDataOf[K]>[]> {
    const rows = await this.repository.list<EntityDataOf[K]>(kind);
    return rows.map((r) => this.view(r));
  }

  async get<K extends EntityKind>(kind: K, id: string): Promise<EntityView<EntityDataOf[K]>> {
    const row = await this.repository.find<EntityDataOf[K]>(kind, id);
    if (!row) throw new NotFoundError(`${KIND_LABEL[kind]} ${id}`, 'ROUTING.NOT_FOUND');
    return this.view(row);
  }

  async getUnit(id: string): Promise<UnitView> {
    const unit = await this.get('unit', id);
    return { ...unit, apiKeyCount: await this.repository.activeApiKeyCount(id) };
  }

  async listUnits(): Promise<UnitView[]> {
    const units = await this.list('unit');
    return Promise.all(
      units.map(async (u) => ({ ...u, apiKeyCount: await this.repository.activeApiKeyCount(u.unitId) })),
    );
  }

  async history(kind: EntityKind, id: string): Promise<HistoryEntry[]> {
    const entries = await this.repository.history(kind, id);
    if (entries.length === 0 && !(await this.repository.find(kind, id)))
      throw new NotFoundError(`${KIND_LABEL[kind]} ${id}`, 'ROUTING.NOT_FOUND');
    return entries;
  }

  async create<K extends Exclude<EntityKind, 'unit'>>(
    kind: K,
    id: string,
    data: EntityDataOf[K],
    actor: AdminActor,
  ): Promise<EntityView<EntityDataOf[K]>> {
    const out = await this.change(kind, id, 'create', actor, () => ({ data, active: true }));
    return this.view(out.entity);
  }

  async update<K extends EntityKind>(
    kind: K,
    id: string,
    data: EntityDataOf[K],
    actor: AdminActor,
    options: { active?: boolean; webhookSecret?: string } = {},
  ): Promise<EntityView<EntityDataOf[K]>> {
    const out = await this.change(
      kind,
      id,
      'update',
      actor,
      (existing) => ({ data, active: options.active ?? existing?.active ?? true }),
      kind === 'unit' && options.webhookSecret ? { webhookSecret: options.webhookSecret } : {},
    );
    return this.view(out.entity);
  }

  async deactivate<K extends EntityKind>(
    kind: K,
    id: string,
    actor: AdminActor,
  ): Promise<EntityView<EntityDataOf[K]>> {
    const out = await this.change(kind, id, 'deactivate', actor, (existing) => ({
      data: existing?.data as EntityDataOf[K],
      active: false,
    }));
    return this.view(out.entity);
  }

  async createUnit(data: UnitData, actor: AdminActor, webhookSecret?: string): Promise<UnitCreated> {
    const apiKey = newApiKey();
    const secret = webhookSecret ?? newWebhookSecret();
    const out = await this.change('unit', data.unitId, 'create', actor, () => ({ data, active: true }), {
      webhookSecret: secret,
      apiKeyHash: sha256Hex(apiKey),
    });
    return {
      unit: { ...this.view(out.entity), apiKeyCount: 1 },
      apiKey,
      webhookSecret: secret,
    };
  }

  /** Adds a partner API key to a unit (optionally revoking the others: rotation); shown once. */
  async addApiKey(
    unitId: string,
    actor: AdminActor,
    options: { label?: string; revokeOthers?: boolean },
  ): Promise<{ unitId: string; apiKey: string; apiKeyCount: number; version: number }> {
    const apiKey = newApiKey();
    const out = await this.messaging.transaction(actor.work, async (m) => {
      const refVersion = await this.repository.bumpVersion(m);
      const existing = await this.repository.find<UnitData>('unit', unitId, m);
      if (!existing) throw new NotFoundError(`${KIND_LABEL.unit} ${unitId}`, 'ROUTING.NOT_FOUND');
      const before = await this.repository.unitSecrets(m, unitId);
      const keyId = await this.repository.addApiKey(m, unitId, sha256Hex(apiKey), actor.name, options.label);
      if (options.revokeOthers) await this.repository.revokeApiKeys(m, unitId, [keyId]);
      const next = { ...existing, version: existing.version + 1 };
      await this.repository.save(m, 'unit', next);
      const secrets = await this.repository.unitSecrets(m, unitId);
      await this.repository.addHistory(m, {
        entityType: 'unit',
        entityId: unitId,
        version: next.version,
        refVersion,
        action: 'api_key_added',
        actor: actor.name,
        before: { apiKeyCount: before.apiKeyHashes.length },
        after: {
          apiKeyCount: secrets.apiKeyHashes.length,
          label: options.label ?? null,
          revokedOthers: !!options.revokeOthers,
        },
      });
      const unit: StoredUnit = { ...next, ...secrets };
      const event = referenceEvent('unit', unit);
      return {
        result: { refVersion, count: secrets.apiKeyHashes.length, version: next.version },
        events: event ? [event] : [],
      };
    });
    await this.cache.changed(out.refVersion);
    return { unitId, apiKey, apiKeyCount: out.count, version: out.version };
  }

  /** Publishes every current entity's reference event again (e.g. for a new consumer group). */
  async republishAll(actor: AdminActor): Promise<{ published: number; refVersion: number }> {
    const out = await this.messaging.transaction(actor.work, async (m) => {
      const snapshot = await this.repository.loadSnapshot(m);
      const events = allReferenceEvents(snapshot);
      return { result: { published: events.length, refVersion: snapshot.version }, events };
    });
    this.logger.info(`reference events republished by ${actor.name}`, out);
    return out;
  }

  private async change<K extends EntityKind>(
    kind: K,
    id: string,
    action: Action,
    actor: AdminActor,
    mutate: (existing?: StoredEntity<EntityDataOf[K]>) => { data: EntityDataOf[K]; active: boolean },
    unitExtras: { webhookSecret?: string; apiKeyHash?: string } = {},
  ): Promise<ChangeOutcome<EntityDataOf[K]>> {
    const label = KIND_LABEL[kind];
    const out = await this.messaging.transaction(actor.work, async (m) => {
      const refVersion = await this.repository.bumpVersion(m);
      const snapshot = await this.repository.loadSnapshot(m);
      const listName = SNAPSHOT_LIST[kind];
      const list = snapshot[listName] as StoredEntity<EntityDataOf[K]>[];
      const index = list.findIndex((e) => e.id === id);
      const existing = index >= 0 ? list[index] : undefined;
      if (action === 'create' && existing) {
        throw new DomainError(
          'ROUTING.ALREADY_EXISTS',
          `${label} ${id} already exists; update it with PUT`,
          { id },
          409,
        );
      }
      if (action !== 'create' && !existing) throw new NotFoundError(`${label} ${id}`, 'ROUTING.NOT_FOUND');
      const { data, active } = mutate(existing);
      if (action === 'deactivate') this.refuseDeactivatingInUse(kind, id, snapshot);
      const now = new Date().toISOString();
      const next: StoredEntity<EntityDataOf[K]> = {
        id,
        active,
        version: (existing?.version ?? 0) + 1,
        data,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      const candidateList =
        index >= 0 ? list.map((e, i) => (i === index ? { ...e, ...next } : e)) : [...list, next];
      const candidate: ReferenceSnapshot = { ...snapshot, [listName]: candidateList };
      this.validate(kind, index >= 0 ? index : list.length, snapshot, candidate);

      await this.repository.save(m, kind, next, unitExtras.webhookSecret);
      if (unitExtras.apiKeyHash)
        await this.repository.addApiKey(m, id, unitExtras.apiKeyHash, actor.name, 'initial');
      await this.repository.addHistory(m, {
        entityType: kind,
        entityId: id,
        version: next.version,
        refVersion,
        action,
        actor: actor.name,
        before: existing ? { ...existing.data, active: existing.active } : null,
        after: { ...next.data, active: next.active },
      });
      const events: NewEvent[] = [];
      const stored: StoredEntity<unknown> =
        kind === 'unit' ? { ...next, ...(await this.repository.unitSecrets(m, id)) } : next;
      const event = referenceEvent(kind, stored);
      if (event) events.push(event);
      return { result: { entity: next, refVersion }, events };
    });
    await this.cache.changed(out.refVersion);
    return out;
  }

  /** An SLA policy still named by an active category or rule cannot be switched off. */
  private refuseDeactivatingInUse(kind: EntityKind, id: string, snapshot: ReferenceSnapshot): void {
    if (kind !== 'sla_policy') return;
    const users = [
      ...snapshot.categories
        .filter((c) => c.active && c.data.slaPolicyId === id)
        .map((c) => `category ${c.id}`),
      ...snapshot.rules.filter((r) => r.active && r.data.then.slaPolicyId === id).map((r) => `rule ${r.id}`),
    ];
    const byPriority = Object.entries(snapshot.settings.slaPolicyIdByPriority ?? {})
      .filter(([, p]) => p === id)
      .map(([priority]) => `the ${priority} priority default`);
    if (users.length + byPriority.length > 0) {
      throw new DomainError(
        'ROUTING.IN_USE',
        `SLA policy ${id} is still used by ${[...users, ...byPriority].slice(0, 5).join(', ')}; move them to another policy first`,
        { usedBy: [...users, ...byPriority] },
        409,
      );
    }
  }

  /** 400 naming each new problem the change would introduce (field paths relative to the entity). */
  private validate(
    kind: EntityKind,
    index: number,
    before: ReferenceSnapshot,
    after: ReferenceSnapshot,
  ): void {
    const problemsOf = (s: ReferenceSnapshot): string[] =>
      validateRefData(toRefData(s, this.config)).map((p) => `${p.path}\u0000${p.problem}`);
    const old = new Set(problemsOf(before));
    const added = problemsOf(after)
      .filter((p) => !old.has(p))
      .map((p) => {
        const [path, problem] = p.split('\u0000');
        return { path, problem };
      });
    if (added.length === 0) return;
    const prefix = `${SNAPSHOT_LIST[kind]}[${index}]`;
    const own = added.filter(
      (p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`),
    );
    const shown = own.length > 0 ? own : added;
    const byField = new Map<string, string[]>();
    for (const p of shown) {
      const field =
        p.path === prefix
          ? 'body'
          : p.path.startsWith(prefix)
            ? p.path.slice(prefix.length).replace(/^\./, '')
            : p.path;
      byField.set(field, [...(byField.get(field) ?? []), p.problem]);
    }
    const fields = [...byField.entries()].map(([field, problems]) => ({ field, problems }));
    throw new ValidationFailedError(
      `Invalid ${KIND_LABEL[kind].toLowerCase()}: ${fields.map((f) => `${f.field} ${f.problems.join('; ')}`).join('; ')}`,
      fields,
    );
  }

  private view<T>(e: StoredEntity<T>): EntityView<T> {
    return {
      ...e.data,
      active: e.active,
      version: e.version,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
    };
  }
}
