/**
 * Weighted keyword matching over Chinese and English free text, without a tokenizer.
 *
 * Keywords are data. An entry is either a string (`"下水管"`, `"gas leak"`, optionally with a
 * weight suffix: `"煤气味:3"`, `"cigarette:-2"`) or an object `{ term, weight }`. The weight
 * defaults to 1; a negative weight is a negative keyword (it lowers its owner's score).
 *
 * - A term containing a CJK character is matched as a substring of the text with whitespace
 *   removed. Any other term is matched on English word stems (lowercase, plural / -ing / -ed
 *   stripped), in order, allowing one extra word inside a phrase ("water is leaking" matches
 *   `water leak`).
 * - Longest match first: a match lying wholly inside a longer accepted match is dropped, across
 *   every owner of the lexicon (so `煤气味` hides `煤气`, and `楼上漏水` hides `漏水`). Partly
 *   overlapping matches of different terms both count.
 * - A Chinese term of 3+ characters also matches with one extra Chinese character inside it, at
 *   APPROXIMATE_WEIGHT_FACTOR of its weight; the evidence shows it as `电梯坏~`.
 * - A two-character Chinese term also matches split by a short aspect / numeral / measure phrase
 *   (`停了四次电` for `停电`) or with its object fronted (`电一天停了三次`), at the same reduced
 *   weight, shown as `停电~`.
 * - Each distinct term counts once per owner however often it occurs (occurrences are reported).
 */

export interface KeywordSpec {
  term: string;
  /** Default 1. Negative = negative keyword. */
  weight?: number;
}
export type KeywordEntry = string | KeywordSpec;

export type MatchLang = 'zh' | 'en';

/** One matched term, as shown to a person ("下水管(3)"). */
export interface KeywordEvidence {
  term: string;
  weight: number;
  lang: MatchLang;
  occurrences: number;
}

/** A group of keyword entries belonging to one owner (a category, a signal, a rule). */
export interface LexiconGroup {
  owner: string;
  zh?: readonly KeywordEntry[];
  en?: readonly KeywordEntry[];
}

interface CompiledTerm {
  /** As written in the data (without the weight suffix), for evidence. */
  display: string;
  lang: MatchLang;
  /** zh: normalized substring; en: the stems joined by a space. */
  key: string;
  stems: string[];
  /** Weight per owner. */
  owners: Map<string, number>;
  /** zh: the key's first character (a text without it cannot match); en: the first stem. */
  head: string;
  /** zh: the key's two characters when it is a two-character CJK word (matched split too). */
  pair?: readonly [string, string];
}

export interface CompiledLexicon {
  readonly zh: readonly CompiledTerm[];
  readonly en: readonly CompiledTerm[];
  /** Positions in `zh` / `en` of the terms with a given head, ascending (lexicon order). */
  readonly zhByHead: ReadonlyMap<string, readonly number[]>;
  readonly enByHead: ReadonlyMap<string, readonly number[]>;
}

/** Maximum text length looked at; the contracts cap descriptions at 4,000 characters. */
export const MAX_TEXT_LENGTH = 4000;

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const WEIGHT_SUFFIX = /^(.*\S)\s*[:：]\s*(-?\d+(?:\.\d+)?)$/;

/** Parses `"term"`, `"term:2.5"`, `"term:-1"` or `{ term, weight }`. Returns undefined for an empty term. */
export function parseKeywordEntry(entry: KeywordEntry): { term: string; weight: number } | undefined {
  let term: string;
  let weight = 1;
  if (typeof entry === 'string') {
    const m = WEIGHT_SUFFIX.exec(entry.trim());
    if (m) {
      term = m[1];
      weight = Number(m[2]);
    } else {
      term = entry;
    }
  } else {
    term = entry.term;
    if (entry.weight !== undefined) weight = entry.weight;
  }
  term = term.trim();
  if (term.length === 0 || !Number.isFinite(weight) || weight === 0) return undefined;
  return { term, weight };
}

/**
 * Common traditional characters folded to their simplified form, so a report typed with a
 * traditional-Chinese input method (`電梯門關不上`) meets the same (simplified) keywords. Only
 * characters that are not themselves in everyday simplified use are listed; both strings are
 * read position by position.
 */
const TRADITIONAL =
  '電門關開燈樓層髒亂們裡這個來沒會為說請問題務業區處辦難壞響聲鬧氣燒滅險隱災車輛盜竊搶騙詐錢銀帳賬戶鄰糾紛調議訴報號見現發醫療護藥傷嚴緊擊殺毆鬥槍飯廳館麵雞魚豬過變質價貴買賣費場攤販擺佔違規築蓋鐵爛損橋線纜網壓總閘斷暫熱濕積漲澇溝淨潔衛環綠樹葉蟲螞蟻蒼蠅窩貓養寵繩牽頭髮臉腳體幫獨歲爺媽兒孫親婦殘礙聾啞輪戲劇樂廣機鑽錘聽讓應該給還從後時間點鐘幾週麼嗎對錯爭罵態漢語話視牆頂陽臺檯廁廚馬濃煙滲潑灑拋墜塊磚縫欄設鎖鑰閉啟動靜運轉檢測驗證據單記錄確認夠貼補遷學準衝鬆櫃遞鄉裝圍噁惡黃濁渾異樣種廢棄擋權維聯簽願員農絕續紙雜噴湧陰糞鍋條傾邊側訪滿導級飛揚塵綁餵寫賠償漬黴燙鋪貨鎮縣濱隊練鋼靈驚嚇攔勁橫漿紅藍顯遲備領貸債賭黨團夥隨丟擾擠鋁膠鏽銹銳';
const SIMPLIFIED =
  '电门关开灯楼层脏乱们里这个来没会为说请问题务业区处办难坏响声闹气烧灭险隐灾车辆盗窃抢骗诈钱银账账户邻纠纷调议诉报号见现发医疗护药伤严紧击杀殴斗枪饭厅馆面鸡鱼猪过变质价贵买卖费场摊贩摆占违规筑盖铁烂损桥线缆网压总闸断暂热湿积涨涝沟净洁卫环绿树叶虫蚂蚁苍蝇窝猫养宠绳牵头发脸脚体帮独岁爷妈儿孙亲妇残碍聋哑轮戏剧乐广机钻锤听让应该给还从后时间点钟几周么吗对错争骂态汉语话视墙顶阳台台厕厨马浓烟渗泼洒抛坠块砖缝栏设锁钥闭启动静运转检测验证据单记录确认够贴补迁学准冲松柜递乡装围恶恶黄浊浑异样种废弃挡权维联签愿员农绝续纸杂喷涌阴粪锅条倾边侧访满导级飞扬尘绑喂写赔偿渍霉烫铺货镇县滨队练钢灵惊吓拦劲横浆红蓝显迟备领贷债赌党团伙随丢扰挤铝胶锈锈锐';
const SIMPLIFIED_CHARS = [...SIMPLIFIED];
const TRADITIONAL_TO_SIMPLIFIED = new Map<string, string>(
  [...TRADITIONAL].map((ch, i): [string, string] => [ch, SIMPLIFIED_CHARS[i] ?? ch]),
);
const TRADITIONAL_CHAR = new RegExp(`[${TRADITIONAL}]`, 'g');

/** Folds the common traditional characters of TRADITIONAL to simplified ones. */
export function foldTraditional(text: string): string {
  return text.replace(TRADITIONAL_CHAR, (ch) => TRADITIONAL_TO_SIMPLIFIED.get(ch) ?? ch);
}

/**
 * NFKC (full-width to half-width), lowercase, curly apostrophes straightened, common traditional
 * characters folded to simplified, capped in length.
 */
export function normalizeText(text: string): string {
  return foldTraditional(
    text
      .slice(0, MAX_TEXT_LENGTH)
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\u2018\u2019`]/g, "'"),
  );
}

export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

const UNDOUBLE_EXEMPT = new Set(['l', 's', 'z']);
const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

function undouble(w: string): string {
  const n = w.length;
  if (n >= 3 && w[n - 1] === w[n - 2] && !VOWELS.has(w[n - 1]) && !UNDOUBLE_EXEMPT.has(w[n - 1])) {
    return w.slice(0, -1);
  }
  return w;
}

/**
 * A deliberately small English stemmer: plural (-s, -es, -ies), -ed, -ing, a final silent e and
 * a doubled final consonant. The same function runs on keywords and text, so both sides agree
 * (`leaking`, `leaks`, `leaked` → `leak`; `used`, `use` → `us`; `trapped` → `trap`).
 */
export function stemEn(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);

  if (w.endsWith('ied') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('eed')) {
    // need, bleed, speed: not a past tense
  } else if (w.endsWith('ed') && w.length - 2 >= 3) w = undouble(w.slice(0, -2));
  else if (w.endsWith('ing') && w.length - 3 >= 3) w = undouble(w.slice(0, -3));

  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

/** English tokens of a (normalized) text, stemmed, with their position. */
export function tokenizeEn(normalized: string): string[] {
  const out: string[] = [];
  for (const raw of normalized.split(/[^a-z0-9']+/)) {
    const word = raw.replace(/'s$/, '').replace(/'/g, '');
    if (word.length > 0) out.push(stemEn(word));
  }
  return out;
}

/**
 * The key a term is matched by (`zh:煤气味`, `en:smell gas`), for comparing terms of different
 * lexicons. Accepts an evidence term as displayed (an approximate match's `~` is ignored).
 */
export function termKey(term: string): string {
  const normalized = normalizeText(term.replace(/~$/, '').trim());
  return hasCjk(normalized)
    ? `zh:${normalized.replace(/\s+/g, '')}`
    : `en:${tokenizeEn(normalized).join(' ')}`;
}

/** Whether two term keys name the same thing: equal, or (Chinese) one contains the other. */
export function termKeysOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.startsWith('zh:') || !b.startsWith('zh:')) return false;
  return a.includes(b.slice(3)) || b.includes(a.slice(3));
}

/** Compiles keyword groups once; reuse the result for many texts. */
export function compileLexicon(groups: readonly LexiconGroup[]): CompiledLexicon {
  const byKey = new Map<string, CompiledTerm>();
  const add = (owner: string, entry: KeywordEntry): void => {
    const parsed = parseKeywordEntry(entry);
    if (!parsed) return;
    const normalized = normalizeText(parsed.term);
    const lang: MatchLang = hasCjk(normalized) ? 'zh' : 'en';
    const stems = lang === 'en' ? tokenizeEn(normalized) : [];
    const key = lang === 'zh' ? normalized.replace(/\s+/g, '') : stems.join(' ');
    if (key.length === 0) return;
    const mapKey = `${lang}:${key}`;
    let compiled = byKey.get(mapKey);
    if (!compiled) {
      const chars = [...key];
      compiled = {
        display: parsed.term,
        lang,
        key,
        stems,
        owners: new Map(),
        head: lang === 'zh' ? chars[0] : stems[0],
        ...(lang === 'zh' && chars.length === 2 && chars.every((ch) => CJK.test(ch))
          ? { pair: [chars[0], chars[1]] as const }
          : {}),
      };
      byKey.set(mapKey, compiled);
    }
    // The same term listed twice for one owner keeps the strongest weight (by magnitude).
    const prev = compiled.owners.get(owner);
    if (prev === undefined || Math.abs(parsed.weight) > Math.abs(prev))
      compiled.owners.set(owner, parsed.weight);
  };
  for (const g of groups) {
    for (const e of g.zh ?? []) add(g.owner, e);
    for (const e of g.en ?? []) add(g.owner, e);
  }
  const terms = [...byKey.values()];
  const zh = terms.filter((t) => t.lang === 'zh');
  const en = terms.filter((t) => t.lang === 'en');
  return { zh, en, zhByHead: indexByHead(zh), enByHead: indexByHead(en) };
}

function indexByHead(terms: readonly CompiledTerm[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  terms.forEach((term, i) => {
    const list = index.get(term.head);
    if (list) list.push(i);
    else index.set(term.head, [i]);
  });
  return index;
}

/**
 * The terms whose head is among `heads`, in lexicon order. Every kind of match (exact, split,
 * fronted, approximate; an English phrase) needs the term's head in the text: the lexicon has
 * hundreds of terms, a report a few dozen characters or words. Lexicon order is kept because
 * equal spans of two terms are told apart by it (the first found is kept, see selectSpans).
 */
function candidates(
  terms: readonly CompiledTerm[],
  byHead: ReadonlyMap<string, readonly number[]>,
  heads: Iterable<string>,
): CompiledTerm[] {
  const picked = new Uint8Array(terms.length);
  let first = terms.length;
  let last = -1;
  for (const head of heads) {
    const list = byHead.get(head);
    if (list === undefined) continue;
    for (const i of list) picked[i] = 1;
    if (list[0] < first) first = list[0];
    if (list[list.length - 1] > last) last = list[list.length - 1];
  }
  const out: CompiledTerm[] = [];
  for (let i = first; i <= last; i++) if (picked[i] === 1) out.push(terms[i]);
  return out;
}

interface Span {
  term: CompiledTerm;
  /** Positions used by the match (characters for zh, tokens for en). */
  start: number;
  end: number;
  used: number[];
  size: number;
  approximate: boolean;
}

/**
 * A Chinese term of 3+ characters also matches with one extra Chinese character inside it
 * (`电梯又坏` for `电梯坏`, `煤气的味` for `煤气味`), at this fraction of its weight.
 */
export const APPROXIMATE_WEIGHT_FACTOR = 0.75;
const MIN_APPROXIMATE_LENGTH = 3;

/**
 * A two-character Chinese term (usually verb + object: `停电`, `漏水`, `断水`) also matches
 * - split by a short aspect / numeral / measure phrase: `停了电`, `停了四次电`, `漏过好几回水`;
 * - with its object put first and the verb completed by 了 / 过 / 掉, the gap being empty, such a
 *   phrase or an adverb: `电停了`, `电一天停了三次`, `水又停了`, `车被偷了`,
 * at APPROXIMATE_WEIGHT_FACTOR of its weight. The gap is at most MAX_SPLIT_GAP characters and of
 * that narrow shape, so unrelated characters never join two halves.
 */
export const MAX_SPLIT_GAP = 5;
const NUMERAL_PHRASE =
  '(?:(?:好|这么|那么)?(?:[0-9]+|[一二两三四五六七八九十百几半整]+)(?:个多|多个|多|个)?' +
  '(?:次|回|趟|遍|下|阵|天|晚|夜|个小时|小时|礼拜|星期|周|月)?)';
const SPLIT_GAP = new RegExp(`^(?:了|过|着)?${NUMERAL_PHRASE}?(?:的|了)?$`);
const FRONTED_GAP = new RegExp(
  `^(?:今天|昨天|昨晚|晚上|白天|早上|一直|经常|老是|总是|天天|${NUMERAL_PHRASE})?` +
    '(?:又|也|都|还|已经|就|经常|老是|总是|突然)*(?:被|给)?$',
);
const VERB_COMPLETE = new Set(['了', '过', '掉']);

/** Whether `gap` is a short aspect / numeral / measure phrase that may split a two-character term. */
export function isSplitGap(gap: string): boolean {
  return gap.length > 0 && gap.length <= MAX_SPLIT_GAP && SPLIT_GAP.test(gap);
}

/** Whether `gap` may stand between a fronted object and its verb (`电一天停了`). */
export function isFrontedGap(gap: string): boolean {
  return gap.length <= MAX_SPLIT_GAP && FRONTED_GAP.test(gap);
}

function splitZhSpans(
  compact: string,
  term: CompiledTerm,
  [first, second]: readonly [string, string],
): Span[] {
  const spans: Span[] = [];
  // Ranks below an exact match of the same length, like an approximate one.
  const span = (start: number, end: number): Span => ({
    term,
    start,
    end,
    used: [],
    size: 1.5,
    approximate: true,
  });
  for (let at = compact.indexOf(first); at >= 0; at = compact.indexOf(first, at + 1)) {
    for (let len = 1; len <= MAX_SPLIT_GAP; len++) {
      if (compact[at + 1 + len] === second && isSplitGap(compact.slice(at + 1, at + 1 + len))) {
        spans.push(span(at, at + len + 2));
        break;
      }
    }
  }
  for (let at = compact.indexOf(second); at >= 0; at = compact.indexOf(second, at + 1)) {
    for (let len = 0; len <= MAX_SPLIT_GAP; len++) {
      const verbAt = at + 1 + len;
      if (
        compact[verbAt] === first &&
        VERB_COMPLETE.has(compact[verbAt + 1] ?? '') &&
        isFrontedGap(compact.slice(at + 1, verbAt))
      ) {
        spans.push(span(at, verbAt + 1));
        break;
      }
    }
  }
  return spans;
}

function zhSpans(compact: string, terms: readonly CompiledTerm[]): Span[] {
  const spans: Span[] = [];
  for (const term of terms) {
    if (term.pair) spans.push(...splitZhSpans(compact, term, term.pair));
    let from = 0;
    for (;;) {
      const at = compact.indexOf(term.key, from);
      if (at < 0) break;
      const end = at + term.key.length;
      spans.push({ term, start: at, end, used: [], size: term.key.length, approximate: false });
      from = at + 1;
    }
    if (term.key.length >= MIN_APPROXIMATE_LENGTH) spans.push(...approximateZhSpans(compact, term));
  }
  return spans;
}

function approximateZhSpans(compact: string, term: CompiledTerm): Span[] {
  const key = term.key;
  const spans: Span[] = [];
  let from = 0;
  for (;;) {
    const at = compact.indexOf(key[0], from);
    if (at < 0) break;
    from = at + 1;
    for (let k = 1; k < key.length; k++) {
      if (
        compact.startsWith(key.slice(0, k), at) &&
        CJK.test(compact[at + k] ?? '') &&
        compact.startsWith(key.slice(k), at + k + 1)
      ) {
        // Ranks just below an exact match of the same length.
        spans.push({
          term,
          start: at,
          end: at + key.length + 1,
          used: [],
          size: key.length - 0.5,
          approximate: true,
        });
        break;
      }
    }
  }
  return spans;
}

/** Allowed extra tokens inside an English phrase match ("water is leaking" for `water leak`). */
function maxGap(wordCount: number): number {
  return wordCount <= 1 ? 0 : 1;
}

function enSpans(tokens: readonly string[], terms: readonly CompiledTerm[]): Span[] {
  const spans: Span[] = [];
  for (const term of terms) {
    const n = term.stems.length;
    const gap = maxGap(n);
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] !== term.stems[0]) continue;
      const used = [i];
      let pos = i;
      let gaps = 0;
      for (let k = 1; k < n && used.length === k; k++) {
        for (let j = pos + 1; j < tokens.length && j - pos - 1 + gaps <= gap; j++) {
          if (tokens[j] === term.stems[k]) {
            gaps += j - pos - 1;
            pos = j;
            used.push(j);
            break;
          }
        }
      }
      if (used.length === n) spans.push({ term, start: i, end: pos + 1, used, size: n, approximate: false });
    }
  }
  return spans;
}

/** Keeps spans longest first, dropping any span wholly inside an already accepted span. */
function selectSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort(
    (a, b) => b.size - a.size || a.end - a.start - (b.end - b.start) || a.start - b.start,
  );
  const accepted: Span[] = [];
  for (const s of sorted) {
    const inside = accepted.some((a) =>
      s.used.length > 0 ? s.used.every((p) => a.used.includes(p)) : s.start >= a.start && s.end <= a.end,
    );
    if (!inside) accepted.push(s);
  }
  return accepted;
}

export interface MatchOptions {
  /**
   * Drop a match right after a negation (`没着火`, `打不着火`, `no smoke`, `not on fire`). It still
   * hides the shorter terms inside it. Meant for alarm words (signals), not for complaints, which
   * are often phrased as an absence (`没热水`).
   */
  negation?: boolean;
}

const ZH_NEGATORS = ['没有', '不是', '并非', '不', '没', '未', '无'];
const EN_NEGATORS = new Set([
  'no',
  'not',
  'never',
  'without',
  'isnt',
  'arent',
  'wasnt',
  'dont',
  'doesnt',
  'didnt',
]);

function zhNegated(compact: string, start: number): boolean {
  return ZH_NEGATORS.some((n) => start >= n.length && compact.slice(start - n.length, start) === n);
}

interface PreparedText {
  /** Normalized, whitespace removed; undefined when the text has no CJK character. */
  readonly compact: string | undefined;
  readonly tokens: readonly string[];
}

/**
 * One decision matches the same text against several lexicons (categories, signals, each rule
 * with keywords): the text's normal form, compact form and English stems are kept for the last
 * text seen. A pure function of the text, so reusing it cannot change a result.
 */
let lastText: string | undefined;
let lastPrepared: PreparedText = { compact: undefined, tokens: [] };

function prepareText(text: string): PreparedText {
  if (text !== lastText) {
    const normalized = normalizeText(text);
    lastPrepared = {
      compact: hasCjk(normalized) ? normalized.replace(/\s+/g, '') : undefined,
      tokens: tokenizeEn(normalized),
    };
    lastText = text;
  }
  return lastPrepared;
}

/** Matches a text against a compiled lexicon; returns, per owner, the evidence (distinct terms). */
export function matchLexicon(
  lexicon: CompiledLexicon,
  text: string,
  options: MatchOptions = {},
): Map<string, KeywordEvidence[]> {
  const prepared = prepareText(text);
  const spans: Span[] = [];
  if (lexicon.zh.length > 0 && prepared.compact !== undefined) {
    const { compact } = prepared;
    const zh = selectSpans(zhSpans(compact, candidates(lexicon.zh, lexicon.zhByHead, compact)));
    spans.push(...(options.negation ? zh.filter((s) => !zhNegated(compact, s.start)) : zh));
  }
  if (lexicon.en.length > 0) {
    const { tokens } = prepared;
    if (tokens.length > 0) {
      const en = selectSpans(enSpans(tokens, candidates(lexicon.en, lexicon.enByHead, tokens)));
      spans.push(...(options.negation ? en.filter((s) => !EN_NEGATORS.has(tokens[s.start - 1] ?? '')) : en));
    }
  }
  const counts = new Map<CompiledTerm, { exact: number; approximate: number }>();
  for (const s of spans) {
    const c = counts.get(s.term) ?? { exact: 0, approximate: 0 };
    if (s.approximate) c.approximate += 1;
    else c.exact += 1;
    counts.set(s.term, c);
  }
  const out = new Map<string, KeywordEvidence[]>();
  for (const [term, c] of counts) {
    const approximate = c.exact === 0;
    for (const [owner, weight] of term.owners) {
      const list = out.get(owner) ?? [];
      list.push({
        term: approximate ? `${term.display}~` : term.display,
        weight: approximate ? Math.round(weight * APPROXIMATE_WEIGHT_FACTOR * 100) / 100 : weight,
        lang: term.lang,
        occurrences: approximate ? c.approximate : c.exact,
      });
      out.set(owner, list);
    }
  }
  for (const list of out.values())
    list.sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  return out;
}

/** Sum of the evidence weights (negative keywords included), never below 0. */
export function scoreOf(evidence: readonly KeywordEvidence[]): number {
  const sum = evidence.reduce((acc, e) => acc + e.weight, 0);
  return Math.max(0, Math.round(sum * 1000) / 1000);
}

/** `下水管(3), 堵(2)` — evidence as a person reads it. */
export function formatEvidence(evidence: readonly KeywordEvidence[]): string {
  return evidence.map((e) => `${e.term}(${e.weight})`).join(', ');
}

/** Caches a compiled value per data array, so repeated calls with the same reference data compile once. */
export function memoizeByRef<K extends object, V>(build: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key: K): V => {
    let v = cache.get(key);
    if (v === undefined) {
      v = build(key);
      cache.set(key, v);
    }
    return v;
  };
}
