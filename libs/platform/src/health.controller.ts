import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Admin, Kafka } from 'kafkajs';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { metricsRegistry } from '@app/observability';
import { KAFKA, REDIS } from './tokens';

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
export class HealthController {
  private admin?: Admin;
  private adminConnecting?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: Kafka,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const [postgres, redis, kafka] = await Promise.all([
      this.check(() => this.dataSource.query('SELECT 1')),
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
