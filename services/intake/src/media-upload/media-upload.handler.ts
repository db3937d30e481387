import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '@app/contracts';
import { PLATFORM_CONFIG, PlatformConfig } from '@app/platform';
import { declaredTypeMatches, MEDIA_EXTENSIONS, sniffMediaType } from '../domain';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { INTAKE_ERRORS, invalidField } from '../shared/intake-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Stores uploaded media under MEDIA_DIR after checking what the bytes really are. */
@Injectable()
export class MediaUploadHandler {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig,
  ) {}

  async store(file: {
    buffer: Buffer;
    mimetype?: string;
    size: number;
  }): Promise<{ url: string; contentType: string; size: number }> {
    if (file.size > this.config.mediaMaxBytes) {
      throw new DomainError(
        INTAKE_ERRORS.MediaTooLarge,
        `file is larger than ${this.config.mediaMaxBytes} bytes`,
        { field: 'file' },
        413,
      );
    }
    if (file.size === 0) throw invalidField('file', 'must not be empty');
    const type = sniffMediaType(file.buffer);
    if (!type || !declaredTypeMatches(file.mimetype, type)) {
      throw new DomainError(
        INTAKE_ERRORS.MediaTypeNotAllowed,
        type
          ? `file content is ${type}, not the declared ${file.mimetype}`
          : 'file is not an allowed type (JPEG, PNG, WebP, MP4, MP3)',
        { field: 'file' },
        415,
      );
    }
    const id = randomUUID();
    const fileName = `${id}.${MEDIA_EXTENSIONS[type]}`;
    await mkdir(this.config.mediaDir, { recursive: true });
    const path = join(this.config.mediaDir, fileName);
    const temp = `${path}.part`;
    await writeFile(temp, file.buffer, { flag: 'wx' });
    try {
      await rename(temp, path);
      await this.dataSource.query(
        `INSERT INTO intake.media (id, file_name, content_type, size_bytes, sha256) VALUES ($1, $2, $3, $4, $5)`,
        [id, fileName, type, file.size, createHash('sha256').update(file.buffer).digest('hex')],
      );
    } catch (err) {
      await unlink(path).catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return { url: `${this.platform.publicUrl}/v1/media/${id}`, contentType: type, size: file.size };
  }

  async load(id: string): Promise<{ body: Buffer; contentType: string } | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = (await this.dataSource.query(
      `SELECT file_name, content_type FROM intake.media WHERE id = $1`,
      [id],
    )) as {
      file_name: string;
      content_type: string;
    }[];
    if (!row) return undefined;
    const body = await readFile(join(this.config.mediaDir, row.file_name)).catch(() => undefined);
    return body ? { body, contentType: row.content_type } : undefined;
  }
}
