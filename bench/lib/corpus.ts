import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './procs';

/**
 * Realistic reports from the demo seed: the residents' own words (Chinese and English, the routing
 * accuracy fixtures) at the demo district's buildings, grids and coordinates. Every report has
 * its own reporter (distinct phone numbers, a share anonymous), so per-phone rate limits and
 * duplicate detection (which needs a category at the moment of the report; the bench lets routing
 * decide it, as most residents do) do not turn load into co-reports.
 */
export interface ReportText {
  text: string;
  expect?: string;
}

interface SeedArea {
  code: string;
  level: string;
  name: string;
  polygon?: [number, number][];
}

export interface ReportBody {
  channel: string;
  description: string;
  location: { gridCode?: string; buildingCode?: string; addressText?: string; lat?: number; lng?: number };
  reporter: {
    anonymous: boolean;
    confidential: boolean;
    name?: string;
    phone?: string;
    preferredContact?: string;
    locale?: 'zh-CN' | 'en';
  };
  media: { url: string }[];
}

const CHANNELS = ['app', 'wechat', 'hotline', 'walk_in'];
const NAMES_ZH = ['张三', '李阿姨', '王师傅', '赵大爷', '陈女士', '刘先生', '周阿婆', '吴老师'];
const NAMES_EN = ['Li Wei', 'Anna Chen', 'Tom Zhang', 'Mary Wang'];

export class Corpus {
  readonly texts: ReportText[];
  private readonly buildings: SeedArea[];
  private readonly grids: SeedArea[];
  private seq = 0;

  constructor(root = REPO_ROOT) {
    this.texts = readFileSync(
      join(root, 'services/routing/src/domain/__fixtures__/routing-cases.jsonl'),
      'utf8',
    )
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ReportText);
    const seed = JSON.parse(readFileSync(join(root, 'services/routing/seed/demo-district.json'), 'utf8')) as {
      areas: SeedArea[];
    };
    this.buildings = seed.areas.filter((a) => a.level === 'building');
    this.grids = seed.areas.filter((a) => a.level === 'grid' && a.polygon && a.polygon.length >= 3);
  }

  /** Keeps only the texts that reach a unit (the warm-up learns which ones routing sends to triage). */
  restrictTo(texts: Set<string>): void {
    if (texts.size === 0) return;
    const kept = this.texts.filter((t) => texts.has(t.text));
    this.texts.splice(0, this.texts.length, ...kept);
  }

  /** The i-th report: deterministic, spread over texts, places, channels and reporters. */
  report(i = this.seq++): ReportBody {
    const t = this.texts[i % this.texts.length];
    const english = /^[\x20-\x7e]+$/.test(t.text);
    const phone = `139${String(10_000_000 + ((i * 7919) % 89_999_999)).padStart(8, '0')}`;
    const anonymous = i % 5 === 0;
    const reporter: ReportBody['reporter'] = anonymous
      ? { anonymous: true, confidential: false }
      : {
          anonymous: false,
          confidential: false,
          name: english ? NAMES_EN[i % NAMES_EN.length] : NAMES_ZH[i % NAMES_ZH.length],
          phone,
          preferredContact: 'sms',
          locale: english ? 'en' : 'zh-CN',
        };
    let location: ReportBody['location'];
    if (i % 10 < 7 || this.grids.length === 0) {
      const b = this.buildings[(i * 31) % this.buildings.length];
      location = { buildingCode: b.code, addressText: b.name };
    } else {
      const g = this.grids[i % this.grids.length];
      const poly = g.polygon!;
      const lngs = poly.map((p) => p[0]);
      const lats = poly.map((p) => p[1]);
      const f = ((i * 2654435761) % 1000) / 1000;
      location = {
        gridCode: g.code,
        lng: Math.min(...lngs) + (Math.max(...lngs) - Math.min(...lngs)) * (0.2 + 0.6 * f),
        lat: Math.min(...lats) + (Math.max(...lats) - Math.min(...lats)) * (0.8 - 0.6 * f),
      };
    }
    return {
      channel: CHANNELS[i % CHANNELS.length],
      description: t.text,
      location,
      reporter,
      media: [],
    };
  }
}
