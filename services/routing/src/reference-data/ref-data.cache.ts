import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { JsonLogger } from '@app/observability';
import { LOGGER, PLATFORM_CONFIG, PlatformConfig, REDIS } from '@app/platform';
import type { RoutingRefData } from '../domain';
import { ROUTING_CONFIG, RoutingConfig } from '../routing.config';
import { toRefData } from './reference.mapper';
import { ReferenceRepository } from './reference.repository';
import type { ReferenceSnapshot } from './reference.types';

export interface CachedRefData {
  version: number;
  ref: RoutingRefData;
  snapshot: ReferenceSnapshot;
}

/**
 * The whole reference set in memory, keyed by the reference-data version. Kept fresh on every
 * replica two ways: a Redis pub/sub message after each admin change (reload at once), and a
 * cheap version check (at most every ROUTING_REF_CHECK_MS, and before a decision whose cached
 * check is older), so a lost message or a Redis outage cannot keep a replica stale for long.
 * The domain's keyword caches hang off the ref object: it is replaced whole, never mutated.
 */
@Injectable()
export class RefDataCache implements OnModuleInit, OnApplicationShutdown {
  private cached?: CachedRefData;
  private lastCheck = 0;
  private inFlight?: Promise<CachedRefData>;
  private timer?: NodeJS.Timeout;
  private subscriber?: Redis;
  private readonly channel: string;
  private readonly log: JsonLogger;

  constructor(
    private readonly repository: ReferenceRepository,
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.channel = `${platform.redisPrefix}routing:refdata`;
    this.log = logger.child('refdata-cache');
  }

  onModuleInit(): void {
    this.timer = setInterval(
      () => void this.refresh(false).catch((err) => this.log.warn('reference-data check failed', err)),
      this.config.refCheckIntervalMs,
    );
    this.timer.unref();
    this.subscribe();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.subscriber?.disconnect();
  }

  /** The current reference data; re-checks the version first when the last check is old. */
  async get(): Promise<CachedRefData> {
    if (!this.cached || Date.now() - this.lastCheck >= this.config.refCheckIntervalMs) {
      return this.refresh(false);
    }
    return this.cached;
  }

  /** Reloads when the stored version differs from the cached one (or always when forced). */
  refresh(force: boolean): Promise<CachedRefData> {
    if (this.inFlight) {
      // A forced reload waits for the one in flight, then checks again.
      return force ? this.inFlight.then(() => this.refresh(true)) : this.inFlight;
    }
    this.inFlight = (async () => {
      try {
        const version = await this.repository.currentVersion();
        this.lastCheck = Date.now();
        if (!force && this.cached && this.cached.version === version) return this.cached;
        const snapshot = await this.repository.loadSnapshot();
        const next: CachedRefData = {
          version: snapshot.version,
          snapshot,
          ref: toRefData(snapshot, this.config),
        };
        if (this.cached?.version !== next.version) {
          this.log.info(`reference data version ${next.version} loaded`, {
            previous: this.cached?.version,
          });
        }
        this.cached = next;
        return next;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** After a local commit: reload here and tell the other replicas (best effort; the version check backs it). */
  async changed(version: number): Promise<void> {
    await this.refresh(true).catch((err) => this.log.warn('reference-data reload failed', err));
    await this.redis
      .publish(this.channel, String(version))
      .catch((err: Error) =>
        this.log.warn('could not announce the reference-data change', { error: err.message }),
      );
  }

  private subscribe(): void {
    const sub = new Redis(this.platform.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.subscriber = sub;
    let warned = false;
    sub.on('error', (err: Error) => {
      if (!warned)
        this.log.warn('reference-data channel unavailable (version checks continue)', { error: err.message });
      warned = true;
    });
    sub.on('ready', () => {
      warned = false;
      // Anything announced while disconnected: check now.
      void this.refresh(false).catch(() => undefined);
    });
    sub.on('message', (_channel: string, message: string) => {
      if (this.cached && Number(message) <= this.cached.version) return;
      void this.refresh(true).catch((err) => this.log.warn('reference-data reload failed', err));
    });
    sub
      .connect()
      .then(() => sub.subscribe(this.channel))
      .catch((err: Error) =>
        this.log.warn('could not subscribe to reference-data changes', { error: err.message }),
      );
  }
}
