import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Open311 client keys (stored hashed); a demo key from OPEN311_DEMO_API_KEY is seeded at boot. */
@Injectable()
export class Open311ClientsService implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.open311DemoApiKey) return;
    await this.dataSource.query(
      `INSERT INTO intake.open311_clients (id, name, key_hash) VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO NOTHING`,
      [randomUUID(), 'demo', hashKey(this.config.open311DemoApiKey)],
    );
  }

  /** The client id of an active key, or undefined. */
  async verify(apiKey: string | undefined): Promise<string | undefined> {
    if (!apiKey || apiKey.length > 200) return undefined;
    const [row] = (await this.dataSource.query(
      `SELECT id FROM intake.open311_clients WHERE key_hash = $1 AND active`,
      [hashKey(apiKey)],
    )) as {
      id: string;
    }[];
    return row?.id;
  }
}
