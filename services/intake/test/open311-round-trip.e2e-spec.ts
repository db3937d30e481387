import { XMLParser } from 'fast-xml-parser';
import type { Producer } from 'kafkajs';
import { CaseReportedPayload, Topic } from '@app/contracts';
import {
  createTestNamespace,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import { category, LENIENT_LIMITS, lifecycle, produce } from './support';

/** Field lists of GeoReport v2 (http://wiki.open311.org/GeoReport_v2). */
const SPEC = {
  service: {
    all: ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'],
    required: ['service_code', 'service_name', 'metadata', 'type'],
  },
  attribute: {
    all: [
      'variable',
      'code',
      'datatype',
      'required',
      'datatype_description',
      'order',
      'description',
      'values',
    ],
    required: ['variable', 'code', 'datatype', 'required', 'order', 'description'],
  },
  request: {
    all: [
      'service_request_id',
      'status',
      'status_notes',
      'service_name',
      'service_code',
      'description',
      'agency_responsible',
      'service_notice',
      'requested_datetime',
      'updated_datetime',
      'expected_datetime',
      'address',
      'address_id',
      'zipcode',
      'lat',
      'long',
      'media_url',
    ],
    required: ['service_request_id', 'status', 'requested_datetime'],
  },
  created: { all: ['service_request_id', 'token', 'service_notice', 'account_id'], required: [] as string[] },
  error: { all: ['code', 'description'], required: ['code', 'description'] },
  discovery: { all: ['changeset', 'contact', 'key_service', 'endpoints'], required: ['endpoints'] },
};

const xml = new XMLParser({
  isArray: (name) =>
    ['request', 'service', 'error', 'attribute', 'endpoint', 'format', 'value'].includes(name),
  parseTagValue: false,
});

function fieldsOk(obj: Record<string, unknown>, spec: { all: string[]; required: string[] }): void {
  for (const k of Object.keys(obj)) expect(spec.all).toContain(k);
  for (const k of spec.required) expect(obj).toHaveProperty(k);
}

describe('Open311 GeoReport v2: JSON and XML round trips, to the spec', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let producer: Producer;
  let reported: TopicReader<CaseReportedPayload>;
  let base: string;
  const apiKey = 'partner-key-for-tests';

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'open311' });
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS, OPEN311_DEMO_API_KEY: apiKey });
    base = `${intake.url}/open311/v2`;
    producer = ns.kafka.producer();
    await producer.connect();
    reported = await TopicReader.open<CaseReportedPayload>(ns, Topic.CaseReported);
    await produce(
      ns,
      producer,
      Topic.ReferenceCategories,
      'reference.category',
      'drain_blocked',
      category('drain_blocked', { nameZh: '下水道堵塞', nameEn: 'Blocked drain' }),
    );
    await produce(
      ns,
      producer,
      Topic.ReferenceCategories,
      'reference.category',
      'stair_light',
      category('stair_light', { nameZh: '楼道灯损坏', nameEn: 'Broken stair light' }),
    );
    await produce(
      ns,
      producer,
      Topic.ReferenceCategories,
      'reference.category',
      'retired',
      category('retired', { active: false }),
    );
    await waitFor(
      async () => ((await (await fetch(`${base}/services.json`)).json()) as unknown[]).length === 2,
      { what: 'two services' },
    );
  });

  afterAll(async () => {
    await reported?.close();
    await producer?.disconnect();
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}/${path}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const post = async (format: 'json' | 'xml', form: Record<string, string>) => {
    const res = await fetch(`${base}/requests.${format}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('serves discovery, services and service definitions in JSON and XML', async () => {
    const dj = JSON.parse((await get('discovery.json')).text) as Record<string, unknown> & {
      endpoints: { formats: string[] }[];
    };
    fieldsOk(dj, SPEC.discovery);
    expect(dj.endpoints[0]).toMatchObject({
      specification: 'http://wiki.open311.org/GeoReport_v2',
      type: 'production',
    });
    expect(dj.endpoints[0].formats).toEqual(['text/xml', 'application/json']);
    const dx = xml.parse((await get('discovery.xml')).text) as {
      discovery: { endpoints: { endpoint: { formats: { format: string[] } }[] } };
    };
    expect(dx.discovery.endpoints.endpoint[0].formats.format).toEqual(['text/xml', 'application/json']);

    const sj = await get('services.json');
    expect(sj.type).toContain('application/json');
    const services = JSON.parse(sj.text) as Record<string, unknown>[];
    expect(services.map((s) => s.service_code)).toEqual(['drain_blocked', 'stair_light']);
    services.forEach((s) => fieldsOk(s, SPEC.service));
    expect(services[0]).toMatchObject({ service_name: '下水道堵塞', metadata: true, type: 'realtime' });
    const sx = await get('services.xml');
    expect(sx.type).toContain('xml');
    const sxp = xml.parse(sx.text) as { services: { service: Record<string, unknown>[] } };
    expect(sxp.services.service.map((s) => s.service_code)).toEqual(['drain_blocked', 'stair_light']);
    sxp.services.service.forEach((s) => fieldsOk(s, SPEC.service));

    const defj = JSON.parse((await get('services/drain_blocked.json')).text) as {
      service_code: string;
      attributes: Record<string, unknown>[];
    };
    expect(defj.service_code).toBe('drain_blocked');
    defj.attributes.forEach((a) => fieldsOk(a, SPEC.attribute));
    expect(defj.attributes.map((a) => a.code)).toEqual(['building_code', 'grid_code']);
    const defx = xml.parse((await get('services/drain_blocked.xml')).text) as {
      service_definition: { attributes: { attribute: Record<string, unknown>[] } };
    };
    expect(defx.service_definition.attributes.attribute.map((a) => a.code)).toEqual([
      'building_code',
      'grid_code',
    ]);

    const missing = await get('services/nope.json');
    expect(missing.status).toBe(404);
    const errs = JSON.parse(missing.text) as Record<string, unknown>[];
    errs.forEach((e) => fieldsOk(e, SPEC.error));
    expect(errs[0].code).toBe(404);
    const missingXml = await get('services/nope.xml');
    expect(missingXml.status).toBe(404);
    expect(
      (xml.parse(missingXml.text) as { errors: { error: { code: string }[] } }).errors.error[0].code,
    ).toBe('404');
  });

  it('refuses POST requests without a valid api_key (403) and bad fields (400) in the spec error format', async () => {
    const noKey = await post('json', { service_code: 'drain_blocked', lat: '31.2', long: '121.4' });
    expect(noKey.status).toBe(403);
    expect(JSON.parse(noKey.text)).toEqual([{ code: 403, description: expect.stringContaining('api_key') }]);
    const badKeyXml = await post('xml', {
      api_key: 'wrong',
      service_code: 'drain_blocked',
      lat: '31.2',
      long: '121.4',
    });
    expect(badKeyXml.status).toBe(403);
    expect(
      (xml.parse(badKeyXml.text) as { errors: { error: { code: string }[] } }).errors.error[0].code,
    ).toBe('403');

    const cases: [Record<string, string>, string][] = [
      [{ service_code: 'drain_blocked', lat: 'north', long: '121.4' }, 'lat'],
      [{ service_code: 'drain_blocked', lat: '31.2' }, 'long'],
      [{ service_code: 'drain_blocked' }, 'lat'],
      [{ service_code: 'unknown_service', address_string: '3 栋' }, 'service_code'],
      [
        { service_code: 'drain_blocked', address_string: '3 栋', favourite_colour: 'blue' },
        'favourite_colour',
      ],
      [
        { service_code: 'drain_blocked', address_string: '3 栋', 'attribute[floor]': '3' },
        'attribute[floor]',
      ],
      [{ service_code: 'drain_blocked', address_string: '3 栋', email: 'not-an-email' }, 'email'],
    ];
    for (const [form, field] of cases) {
      const res = await post('json', { api_key: apiKey, ...form });
      expect(res.status).toBe(400);
      const errs = JSON.parse(res.text) as { code: number; description: string }[];
      errs.forEach((e) => fieldsOk(e as never, SPEC.error));
      expect(errs.map((e) => e.description.split(':')[0])).toContain(field);
      expect(errs[0].code).toBe(400);
    }
    const xmlBad = await post('xml', { api_key: apiKey, service_code: 'drain_blocked' });
    expect(xmlBad.status).toBe(400);
    expect(
      (xml.parse(xmlBad.text) as { errors: { error: { description: string }[] } }).errors.error[0]
        .description,
    ).toMatch(/^lat:/);
  });

  it('creates requests from forms (JSON and XML), reads them back, follows their status and resolves tokens', async () => {
    const created = await post('json', {
      api_key: apiKey,
      jurisdiction_id: 'community.example',
      service_code: 'drain_blocked',
      lat: '31.2304',
      long: '121.4737',
      address_string: '幸福里 3 栋',
      'attribute[building_code]': 'B-0417',
      first_name: '芳',
      last_name: '王',
      phone: '13800138000',
      description: '下水道堵了',
      media_url: 'https://example.com/p.jpg',
      account_id: 'acct-9',
    });
    expect(created.status).toBe(201);
    const [c] = JSON.parse(created.text) as Record<string, unknown>[];
    fieldsOk(c, SPEC.created);
    expect(typeof c.service_request_id).toBe('string');
    expect(c.service_request_id).toMatch(/^WL-\d{8}-\d{6}$/);
    expect(c.account_id).toBe('acct-9');
    const event = await reported.waitForEvent((e) => e.payload.reference === c.service_request_id);
    expect(event.payload).toMatchObject({
      channel: 'open311',
      categoryCode: 'drain_blocked',
      location: { buildingCode: 'B-0417', addressText: '幸福里 3 栋', lat: 31.2304, lng: 121.4737 },
      reporter: { anonymous: false, name: '芳 王', phone: '13800138000' },
      media: [{ url: 'https://example.com/p.jpg' }],
    });

    const createdXml = await post('xml', {
      api_key: apiKey,
      service_code: 'stair_light',
      address_id: 'B-0999',
    });
    expect(createdXml.status).toBe(201);
    const cx = (xml.parse(createdXml.text) as { service_requests: { request: Record<string, unknown>[] } })
      .service_requests.request[0];
    fieldsOk(cx, SPEC.created);

    const one = JSON.parse((await get(`requests/${String(c.service_request_id)}.json`)).text) as Record<
      string,
      unknown
    >[];
    expect(one).toHaveLength(1);
    fieldsOk(one[0], SPEC.request);
    expect(one[0]).toMatchObject({
      service_request_id: c.service_request_id,
      status: 'open',
      service_code: 'drain_blocked',
      service_name: '下水道堵塞',
      description: '下水道堵了',
      address: '幸福里 3 栋',
      address_id: 'B-0417',
      lat: 31.2304,
      long: 121.4737,
      media_url: 'https://example.com/p.jpg',
    });
    expect(one[0].requested_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    const oneXml = xml.parse((await get(`requests/${String(c.service_request_id)}.xml`)).text) as {
      service_requests: { request: Record<string, unknown>[] };
    };
    fieldsOk(oneXml.service_requests.request[0], SPEC.request);
    expect(oneXml.service_requests.request[0].service_request_id).toBe(c.service_request_id);
    expect((await get('requests/WL-20000101-000001.json')).status).toBe(404);

    // Tokens resolve to the request.
    const tok = JSON.parse((await get(`tokens/${String(c.token)}.json`)).text) as Record<string, unknown>[];
    expect(tok).toEqual([{ service_request_id: c.service_request_id, token: c.token }]);
    const tokXml = xml.parse((await get(`tokens/${String(c.token)}.xml`)).text) as {
      service_requests: { request: Record<string, unknown>[] };
    };
    expect(tokXml.service_requests.request[0].service_request_id).toBe(c.service_request_id);
    expect((await get('tokens/not-a-token.json')).status).toBe(404);

    // Richer states map to open/closed with status_notes.
    const caseId = event.caseId as string;
    await produce(
      ns,
      producer,
      Topic.CaseLifecycle,
      'case.accepted',
      caseId,
      lifecycle(caseId, String(c.service_request_id), 'accepted', { unitName: '阳光物业', taskRole: 'lead' }),
      caseId,
    );
    await produce(
      ns,
      producer,
      Topic.CaseLifecycle,
      'case.closed',
      caseId,
      lifecycle(caseId, String(c.service_request_id), 'closed', { residentNote: '已疏通' }),
      caseId,
    );
    const closed = await waitFor(
      async () => {
        const r = JSON.parse((await get(`requests/${String(c.service_request_id)}.json`)).text) as Record<
          string,
          unknown
        >[];
        return r[0].status === 'closed' ? r[0] : undefined;
      },
      { what: 'the closed request' },
    );
    expect(closed).toMatchObject({
      agency_responsible: '阳光物业',
      status_notes: expect.stringContaining('已疏通'),
    });

    // Filters.
    const list = async (q: string) =>
      JSON.parse((await get(`requests.json${q}`)).text) as Record<string, unknown>[];
    expect((await list('')).map((r) => r.service_request_id)).toEqual(
      expect.arrayContaining([c.service_request_id, cx.service_request_id]),
    );
    expect((await list('?status=closed')).map((r) => r.service_request_id)).toEqual([c.service_request_id]);
    expect((await list('?status=open')).map((r) => r.service_request_id)).toEqual([cx.service_request_id]);
    expect((await list('?service_code=stair_light')).map((r) => r.service_request_id)).toEqual([
      cx.service_request_id,
    ]);
    expect(
      (
        await list(
          `?service_request_id=${String(cx.service_request_id)},${String(c.service_request_id)}&status=open`,
        )
      ).length,
    ).toBe(2);
    const today = new Date();
    const lastWeek = new Date(Date.now() - 7 * 86_400_000);
    expect(
      (
        await list(
          `?start_date=${lastWeek.toISOString()}&end_date=${new Date(today.getTime() + 60_000).toISOString()}`,
        )
      ).length,
    ).toBe(2);
    expect(await list(`?start_date=${new Date(Date.now() + 86_400_000).toISOString()}`)).toEqual([]);
    const listXml = xml.parse((await get('requests.xml?status=open')).text) as {
      service_requests: { request: Record<string, unknown>[] };
    };
    listXml.service_requests.request.forEach((r) => fieldsOk(r, SPEC.request));
    const emptyXml = await get(`requests.xml?start_date=${new Date(Date.now() + 86_400_000).toISOString()}`);
    expect(emptyXml.text).toContain('<service_requests></service_requests>');

    const tooWide = await get(`requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z`);
    expect(tooWide.status).toBe(400);
    expect(JSON.parse(tooWide.text)[0].description).toMatch(/^end_date: .*90 days/);
    const badStatus = await get('requests.xml?status=pending');
    expect(badStatus.status).toBe(400);
    expect(badStatus.text).toContain('<errors>');
  });
});
