import {
  APPROXIMATE_WEIGHT_FACTOR,
  compileLexicon,
  formatEvidence,
  matchLexicon,
  normalizeText,
  parseKeywordEntry,
  scoreOf,
  stemEn,
  tokenizeEn,
} from './text-match';

const match = (groups: Parameters<typeof compileLexicon>[0], text: string) =>
  matchLexicon(compileLexicon(groups), text);

describe('parseKeywordEntry', () => {
  it('reads plain terms, weight suffixes (also full-width colon) and objects', () => {
    expect(parseKeywordEntry('下水管')).toEqual({ term: '下水管', weight: 1 });
    expect(parseKeywordEntry('煤气味:3')).toEqual({ term: '煤气味', weight: 3 });
    expect(parseKeywordEntry('煤气味：2.5')).toEqual({ term: '煤气味', weight: 2.5 });
    expect(parseKeywordEntry('cigarette:-1')).toEqual({ term: 'cigarette', weight: -1 });
    expect(parseKeywordEntry({ term: 'gas leak', weight: 4 })).toEqual({ term: 'gas leak', weight: 4 });
  });
  it('drops empty terms and zero weights', () => {
    expect(parseKeywordEntry('  ')).toBeUndefined();
    expect(parseKeywordEntry('x:0')).toBeUndefined();
    expect(parseKeywordEntry({ term: '' })).toBeUndefined();
  });
});

describe('normalizeText / stemEn / tokenizeEn', () => {
  it('folds full-width characters and case', () => {
    expect(normalizeText('ＫＴＶ太吵，１２３')).toBe('ktv太吵,123');
  });
  it('stems plurals, -ing, -ed and a final e the same way on both sides', () => {
    for (const w of ['leak', 'leaks', 'leaking', 'leaked']) expect(stemEn(w)).toBe('leak');
    for (const w of ['trap', 'trapped', 'trapping']) expect(stemEn(w)).toBe('trap');
    for (const w of ['park', 'parked', 'parking']) expect(stemEn(w)).toBe('park');
    expect(stemEn('use')).toBe('use'); // words of three letters or fewer are left alone
    expect(stemEn('smoking')).toBe(stemEn('smoke'));
    expect(stemEn('batteries')).toBe('battery');
    expect(stemEn('gases')).toBe('gas');
    expect(stemEn('need')).toBe('need');
    expect(stemEn('gas')).toBe('gas');
  });
  it('tokenizes English words, dropping possessives and apostrophes', () => {
    expect(tokenizeEn(normalizeText("The neighbour's dogs can't stop barking"))).toEqual([
      'the',
      'neighbour',
      'dog',
      'cant',
      'stop',
      'bark',
    ]);
  });
});

describe('matchLexicon', () => {
  it('takes the longest Chinese match and drops matches inside it (no double counting)', () => {
    const ev = match([{ owner: 'gas', zh: ['煤气味:4', '煤气:2', '气味:1'] }], '楼道里有很浓的煤气味');
    expect(ev.get('gas')).toEqual([{ term: '煤气味', weight: 4, lang: 'zh', occurrences: 1 }]);
  });
  it('lets a longer term of one owner hide a shorter term of another', () => {
    const ev = match(
      [
        { owner: 'neighbour_leak', zh: ['楼上漏水:4'] },
        { owner: 'pipe', zh: ['漏水:1'] },
      ],
      '楼上漏水到我家',
    );
    expect(ev.get('neighbour_leak')).toHaveLength(1);
    expect(ev.has('pipe')).toBe(false);
  });
  it('counts partly overlapping different terms, and each distinct term once', () => {
    const ev = match([{ owner: 'light', zh: ['楼道灯:3', '灯不亮:3'] }], '楼道灯不亮,楼道灯不亮');
    expect(ev.get('light')).toEqual([
      { term: '楼道灯', weight: 3, lang: 'zh', occurrences: 2 },
      { term: '灯不亮', weight: 3, lang: 'zh', occurrences: 2 },
    ]);
    expect(scoreOf(ev.get('light') ?? [])).toBe(6);
  });
  it('matches a long Chinese term with one extra character inside, at a reduced weight', () => {
    const ev = match([{ owner: 'lift', zh: ['电梯坏:4', '电梯:2'] }], '电梯又坏了');
    expect(ev.get('lift')).toEqual([
      { term: '电梯坏~', weight: 4 * APPROXIMATE_WEIGHT_FACTOR, lang: 'zh', occurrences: 1 },
    ]);
    // punctuation is not an "extra character": clauses are not joined
    expect(match([{ owner: 'lift', zh: ['电梯坏:4'] }], '电梯,坏').has('lift')).toBe(false);
    // an exact occurrence wins over an approximate one
    expect(match([{ owner: 'lift', zh: ['电梯坏:4'] }], '电梯又坏,电梯坏了').get('lift')?.[0].weight).toBe(4);
  });
  it('matches English phrases on stems, in order, with at most one extra word', () => {
    const lex = [{ owner: 'leak', en: ['water leak:3'] }];
    expect(match(lex, 'Water is leaking everywhere').get('leak')?.[0].term).toBe('water leak');
    expect(match(lex, 'the water keeps on leaking').has('leak')).toBe(false);
    expect(match(lex, 'it leaks water').has('leak')).toBe(false);
  });
  it('lets an English phrase hide the single word inside it', () => {
    const ev = match(
      [
        { owner: 'fire', en: ['fire:3'] },
        { owner: 'hazard', en: ['fire hazard:4'] },
      ],
      'This is a fire hazard',
    );
    expect(ev.has('fire')).toBe(false);
    expect(ev.get('hazard')?.[0].weight).toBe(4);
  });
  it('applies negative keywords and never scores below zero', () => {
    const ev = match([{ owner: 'fire', zh: ['冒烟:2', '烧烤:-3'] }], '楼下烧烤冒烟');
    expect(scoreOf(ev.get('fire') ?? [])).toBe(0);
  });
  it('handles Chinese and English in one text and formats evidence for people', () => {
    const ev = match(
      [{ owner: 'drain', zh: ['下水管:3', '堵:2'], en: ['drain:3'] }],
      '下水管堵了 the drain is blocked',
    );
    expect(formatEvidence(ev.get('drain') ?? [])).toBe('drain(3), 下水管(3), 堵(2)');
  });
  it('looks at no more than 4,000 characters', () => {
    const ev = match([{ owner: 'x', zh: ['煤气味:3'] }], `${'啊'.repeat(4000)}煤气味`);
    expect(ev.size).toBe(0);
  });
});
