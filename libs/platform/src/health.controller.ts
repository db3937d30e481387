import { Controller, Get, HttpStatus, Inject, OnApplicationShutdown, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Admin, Kafka } from 'kafkajs';
import type Redis from 'ioredis';
import { Client } from 'pg';
import { metricsRegistry } from '@app/observability';
import type { PlatformConfig } from './config';
import { KAFKA, PLATFORM_CONFIG, REDIS } from './tokens';

type Check = { status: 'up' | 'down'; error?: string; ms: number };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_r, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms),
    ),
  ]);
}

@ApiExcludeController()
@Controller()
export class HealthController implements OnApplicationShutdown {
  private admin?: Admin;
  private adminConnecting?: Promise<void>;
  private pg?: Client;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: Kafka,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pg?.end().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const [postgres, redis, kafka] = await Promise.all([
      this.check(() => this.postgresCheck()),
      this.check(() => this.redis.ping()),
      this.check(() => this.kafkaCheck()),
    ]);
    const up = postgres.status === 'up' && redis.status === 'up' && kafka.status === 'up';
    res
      .status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: up ? 'ready' : 'not_ready', checks: { postgres, redis, kafka } });
  }

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', metricsRegistry.contentType);
    res.send(await metricsRegistry.metrics());
  }

  private async check(fn: () => Promise<unknown>): Promise<Check> {
    const started = Date.now();
    try {
      await withTimeout(fn(), 2000, 'dependency');
      return { status: 'up', ms: Date.now() - started };
    } catch (err) {
      return { status: 'down', error: (err as Error).message, ms: Date.now() - started };
    }
  }

  /**
   * Asks Postgres itself over a connection of its own, so a pool busy with real work under load
   * does not read as "Postgres is down" (that is what request latency and pool metrics are for).
   */
  private async postgresCheck(): Promise<void> {
    try {
      if (!this.pg) {
        const client = new Client({
          connectionString: this.config.databaseUrl,
          connectionTimeoutMillis: 2000,
        });
        client.on('error', () => {
          if (this.pg === client) this.pg = undefined;
        });
        await client.connect();
        this.pg = client;
      }
      await this.pg.query('SELECT 1');
    } catch (err) {
      await this.pg?.end().catch(() => undefined);
      this.pg = undefined;
      throw err;
    }
  }

  private async kafkaCheck(): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.adminConnecting ??= admin.connect().then(() => {
        this.admin = admin;
      });
      try {
        await this.adminConnecting;
      } finally {
        this.adminConnecting = undefined;
      }
    }
    try {
      await this.admin!.describeCluster();
    } catch (err) {
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = undefined;
      throw err;
    }
  }
}
