import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { Browser, chromium, Page } from 'playwright-core';
import { CaseLifecyclePayload, CaseRoutedPayload, EventEnvelope, Topic } from '@app/contracts';
import {
  createTestNamespace,
  REPO_ROOT,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
} from '@app/testing';

/**
 * A supervisor signs in at /ops in headless Chromium, sees a case's SLA breach appear on the live
 * board, opens the case and sees its timeline. Screenshot: artifacts/ops-breach-board.png.
 */
const CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's chromium (and a Chinese font for a readable screenshot) on a fresh machine; no browser download. */
function ensureChromium(): void {
  const hasCjkFont = (() => {
    try {
      return execSync('fc-list :lang=zh', { encoding: 'utf8' }).trim().length > 0;
    } catch {
      return false;
    }
  })();
  if (existsSync(CHROMIUM) && hasCjkFont) return;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execSync(
    `${sudo}apt-get update && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-zenhei`,
    { stdio: 'inherit', timeout: 15 * 60_000 },
  );
}

function envelope<P>(
  type: string,
  caseId: string,
  payload: P,
  occurredAt = new Date().toISOString(),
): EventEnvelope<P> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    key: caseId,
    caseId,
    correlationId: `ops-browser-${caseId.slice(0, 8)}`,
    occurredAt,
    producer: 'test',
    payload,
  };
}

describe('ops page: a breach appears on the live board and the case shows its timeline', () => {
  let ns: TestNamespace;
  let svc: ServiceProcess;
  let browser: Browser;
  let page: Page;
  let producer: Producer;
  let lifecycle: TopicReader<CaseLifecyclePayload>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureChromium();
    ns = await createTestNamespace({ label: 'opsbrowser' });
    svc = await spawnService('dispatch', {
      ...ns.env,
      SEED_DEMO_STAFF: 'true',
      OPS_STREAM_REFRESH_MS: '500',
    });
    producer = ns.kafka.producer();
    await producer.connect();
    lifecycle = await TopicReader.open<CaseLifecyclePayload>(ns, Topic.CaseLifecycle);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401/.test(m.text())) pageErrors.push(m.text());
    });
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await lifecycle?.close();
    await producer?.disconnect();
    await svc?.kill();
    await ns?.cleanup();
  });

  it('signs in, sees the breach on the board, opens the case and reads its timeline', async () => {
    await page.goto(`${svc.url}/ops`);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    await page.fill('#username', 'supervisor');
    await page.fill('#password', 'supervisor-demo-2026');
    await page.click('#login-submit');
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#live.on').waitFor({ timeout: 15_000 }); // SSE connected

    const caseId = randomUUID();
    const reference = `WL-20261123-${caseId.slice(0, 6).toUpperCase()}`;
    const reportedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    const unit = { unitId: 'pm-sunshine', unitType: 'property_management' as const, unitName: '阳光物业' };
    const routed = envelope<CaseRoutedPayload>('case.routed', caseId, {
      report: {
        caseId,
        reference,
        channel: 'wechat',
        description: '楼下下水管堵了，污水漫进家里',
        location: { gridCode: 'G04', buildingCode: 'B12' },
        reporter: { anonymous: false, confidential: false, name: '王女士' },
        media: [],
        reportedAt,
      },
      categoryCode: 'drainage',
      confidence: 0.93,
      priority: 'high',
      lead: unit,
      support: [],
      slaPolicy: {
        policyId: 'default',
        // Accept within 2 s, around the clock: dispatch's own SLA scanner breaches it for real.
        acceptWithinSeconds: 2,
        resolveWithinSeconds: 86400,
        warnAtFraction: 0.8,
        calendar: { kind: '24x7' },
        escalation: [],
      },
      ruleVersion: 1,
      reasons: ['category drainage → property management'],
      attempt: 1,
      excludedUnitIds: [],
    } as CaseRoutedPayload);
    const send = (topic: Topic, e: EventEnvelope<unknown>) =>
      producer.send({
        topic: `${ns.topicPrefix}${topic}`,
        messages: [{ key: e.key, value: JSON.stringify(e) }],
      });
    await send(Topic.CaseRouted, routed);

    // Dispatch assigns the task, nobody accepts it, and its SLA scanner records the breach: the
    // board learns it from the projection dispatch writes in the same transaction.
    await lifecycle.waitForEvent((e) => e.caseId === caseId && e.type === 'case.sla-breached', 20_000);

    const row = page.locator('#breach-board tr.breach-row', { hasText: reference });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('阳光物业');
    await expect(page.locator('#board-count').textContent()).resolves.not.toBe('0');

    await row.click();
    await page.locator('#case-view').waitFor({ state: 'visible' });
    await expect(page.locator('#case-title').textContent()).resolves.toContain(reference);
    const timeline = page.locator('#case-timeline li');
    await page.locator('#case-timeline li[data-type="case.sla-breached"]').waitFor();
    await page.locator('#case-timeline li[data-type="case.routed"]').waitFor();
    expect(await timeline.count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator('#case-timeline').textContent()).resolves.toContain('超时');

    mkdirSync(join(REPO_ROOT, 'artifacts'), { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(REPO_ROOT, 'artifacts', 'ops-breach-board.png'), fullPage: true });

    // The same page in English.
    await page.click('#lang-toggle');
    await page.locator('#case-timeline li', { hasText: 'SLA breached' }).waitFor();
    await page.locator('#board h2', { hasText: 'Breach board' }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
