import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestNamespace, ServiceProcess, spawnService, TestNamespace } from '@app/testing';
import { call, LENIENT_LIMITS, report } from './support';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(200, 7),
]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 1)]);

describe('media upload: allowed types by content, size limit, stored under MEDIA_DIR, usable in a report', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let mediaDir: string;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'media' });
    mediaDir = mkdtempSync(join(tmpdir(), 'intake-media-'));
    intake = await spawnService('intake', {
      ...ns.env,
      ...LENIENT_LIMITS,
      MEDIA_DIR: mediaDir,
      MEDIA_MAX_BYTES: '4096',
    });
  });

  afterAll(async () => {
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
    rmSync(mediaDir, { recursive: true, force: true });
  });

  const upload = async (content: Buffer, type: string, field = 'file', extra?: Record<string, string>) => {
    const form = new FormData();
    form.append(field, new Blob([content], { type }), 'photo');
    for (const [k, v] of Object.entries(extra ?? {})) form.append(k, v);
    const res = await fetch(`${intake.url}/v1/media`, { method: 'POST', body: form });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { details?: Record<string, unknown> },
    };
  };

  it('stores a PNG, serves it back with its checked type, and the URL goes into a report', async () => {
    const up = await upload(PNG, 'image/png');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({
      contentType: 'image/png',
      size: PNG.length,
      url: expect.stringMatching(/\/v1\/media\/[0-9a-f-]{36}$/),
    });
    expect(readdirSync(mediaDir).filter((f) => f.endsWith('.png'))).toHaveLength(1);
    const id = String(up.body.url).split('/').pop();
    const back = await fetch(`${intake.url}/v1/media/${id}`);
    expect(back.status).toBe(200);
    expect(back.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await back.arrayBuffer()).equals(PNG)).toBe(true);
    const rep = await call(`${intake.url}/v1/reports`, {
      body: report({ media: [{ url: up.body.url, contentType: 'image/png' }] }),
    });
    expect(rep.status).toBe(201);
    expect((await fetch(`${intake.url}/v1/media/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('accepts a JPEG declared as image/jpg and refuses content that is not what it claims or not allowed (415)', async () => {
    expect((await upload(JPEG, 'image/jpg')).status).toBe(201);
    const svg = await upload(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      'image/png',
    );
    expect(svg.status).toBe(415);
    expect(svg.body.code).toBe('INTAKE.MEDIA_TYPE_NOT_ALLOWED');
    const liar = await upload(JPEG, 'image/png');
    expect(liar.status).toBe(415);
  });

  it('refuses files over MEDIA_MAX_BYTES (413), other fields (400), and a missing file (400), leaving no file behind', async () => {
    const before = readdirSync(mediaDir).length;
    const big = await upload(Buffer.concat([PNG, Buffer.alloc(5000)]), 'image/png');
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('INTAKE.MEDIA_TOO_LARGE');
    const wrongField = await upload(PNG, 'image/png', 'photo');
    expect(wrongField.status).toBe(400);
    expect(JSON.stringify(wrongField.body.details)).toContain('photo');
    const extra = await upload(PNG, 'image/png', 'file', { caption: 'hi' });
    expect(extra.status).toBe(400);
    const none = await call<{ details: { fields: { field: string }[] } }>(`${intake.url}/v1/media`, {
      body: {},
    });
    expect(none.status).toBe(400);
    expect(none.body.details.fields[0].field).toBe('file');
    expect(readdirSync(mediaDir).length).toBe(before);
  });
});
