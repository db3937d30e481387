import {
  APPROXIMATE_WEIGHT_FACTOR,
  compileLexicon,
  formatEvidence,
  isFrontedGap,
  isSplitGap,
  matchLexicon,
  normalizeText,
  parseKeywordEntry,
  scoreOf,
  stemEn,
  termKey,
  termKeysOverlap,
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
  it('gives two equal spans of different terms to the term listed first', () => {
    // 电梯坏 and 电视坏 both match 电梯视坏 approximately, over the same four characters
    const first = (groups: Parameters<typeof compileLexicon>[0]) => [
      ...match(groups, '我家电梯视坏了').keys(),
    ];
    expect(
      first([
        { owner: 'lift', zh: ['电梯坏'] },
        { owner: 'tv', zh: ['电视坏'] },
      ]),
    ).toEqual(['lift']);
    expect(
      first([
        { owner: 'tv', zh: ['电视坏'] },
        { owner: 'lift', zh: ['电梯坏'] },
      ]),
    ).toEqual(['tv']);
  });
  it('finds terms of every head in a text, in one lexicon of many, and each text on its own', () => {
    const lexicon = compileLexicon([
      { owner: 'noise', zh: ['噪音:2', '太吵:2'], en: ['noise:2'] },
      { owner: 'drain', zh: ['下水道:3', '堵了:1'], en: ['blocked drain:3'] },
      { owner: 'light', zh: ['路灯:2'], en: ['street light:2'] },
    ]);
    const owners = (text: string) => [...matchLexicon(lexicon, text).keys()].sort();
    expect(owners('晚上太吵,下水道也堵了,路灯不亮')).toEqual(['drain', 'light', 'noise']);
    expect(owners('the street light is out and the drain is blocked')).toEqual(['light']);
    expect(owners('blocked drain, and noise')).toEqual(['drain', 'noise']);
    expect(owners('晚上太吵,下水道也堵了,路灯不亮')).toEqual(['drain', 'light', 'noise']);
  });
  it('looks at no more than 4,000 characters', () => {
    const ev = match([{ owner: 'x', zh: ['煤气味:3'] }], `${'啊'.repeat(4000)}煤气味`);
    expect(ev.size).toBe(0);
  });
});

describe('two-character Chinese terms split or with the object fronted', () => {
  const power = [{ owner: 'power', zh: ['停电:4'] }];
  const ev = (text: string) => match(power, text).get('power');

  it('matches a term split by an aspect / numeral / measure phrase, at the reduced weight', () => {
    for (const text of ['今天停了四次电', '停了电', '一上午停了好几回电', '停过两天电']) {
      expect(ev(text)).toEqual([
        { term: '停电~', weight: 4 * APPROXIMATE_WEIGHT_FACTOR, lang: 'zh', occurrences: 1 },
      ]);
    }
  });
  it('matches the object put first, the verb completed by 了 / 过 / 掉', () => {
    for (const text of ['我们那条街的电一天停了三次', '电又停了', '电停了']) {
      expect(ev(text)?.[0]).toMatchObject({ term: '停电~', weight: 3 });
    }
  });
  it('prefers the exact term, counting the term once', () => {
    expect(ev('停电了,昨天也停了三次电')).toEqual([{ term: '停电', weight: 4, lang: 'zh', occurrences: 1 }]);
  });
  it('never joins two halves across other words', () => {
    expect(ev('停车场的电梯坏了')).toBeUndefined();
    expect(ev('停在门口的电动车')).toBeUndefined();
    expect(ev('电梯停了')).toBeUndefined(); // 梯 is no fronting gap
    expect(ev('电停')).toBeUndefined(); // the fronted verb needs 了 / 过 / 掉
  });
  it('accepts only the narrow gap shapes', () => {
    expect(isSplitGap('了四次')).toBe(true);
    expect(isSplitGap('了好几回')).toBe(true);
    expect(isSplitGap('车场')).toBe(false);
    expect(isSplitGap('')).toBe(false);
    expect(isFrontedGap('')).toBe(true);
    expect(isFrontedGap('一天')).toBe(true);
    expect(isFrontedGap('又被')).toBe(true);
    expect(isFrontedGap('梯')).toBe(false);
  });
});

describe('negation (for alarm words)', () => {
  const fire = [{ owner: 'fire', zh: ['着火:3', '冒烟:2'], en: ['smoke:2', 'on fire:3'] }];
  const withNegation = (text: string) =>
    matchLexicon(compileLexicon(fire), text, { negation: true }).get('fire') ?? [];

  it('drops a match right after a negation', () => {
    expect(withNegation('热水器打不着火')).toEqual([]);
    expect(withNegation('还好没有冒烟')).toEqual([]);
    expect(withNegation('there is no smoke and nothing is on fire').map((e) => e.term)).toEqual(['on fire']);
    expect(withNegation('the car is not on fire')).toEqual([]);
  });
  it('keeps plain matches and is off by default', () => {
    expect(withNegation('三楼着火了').map((e) => e.term)).toEqual(['着火']);
    expect(
      match(fire, '热水器打不着火')
        .get('fire')
        ?.map((e) => e.term),
    ).toEqual(['着火']);
  });
});

describe('termKey', () => {
  it('gives the matching key of a term as written or as shown in evidence', () => {
    expect(termKey('煤气味')).toBe('zh:煤气味');
    expect(termKey('电梯坏~')).toBe('zh:电梯坏');
    expect(termKey('Gas Leaking')).toBe('en:gas leak');
  });
  it('treats a Chinese term inside another as the same thing, English only when equal', () => {
    expect(termKeysOverlap('zh:电线冒火花', 'zh:冒火花')).toBe(true);
    expect(termKeysOverlap('zh:冒烟', 'zh:着火')).toBe(false);
    expect(termKeysOverlap('en:spark', 'en:spark')).toBe(true);
    expect(termKeysOverlap('en:spark', 'en:spark wire')).toBe(false);
  });
});
