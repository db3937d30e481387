import {
  classify,
  confidenceOf,
  detectSignals,
  RoutingCategory,
  SignalLexicon,
  strengthOf,
} from './classifier';

const cat = (
  code: string,
  keywordsZh: string[],
  keywordsEn: string[],
  extra: Partial<RoutingCategory> = {},
): RoutingCategory => ({
  code,
  keywordsZh,
  keywordsEn,
  defaultUnitType: 'property_management',
  defaultPriority: 'normal',
  slaPolicyId: 'SLA-NORMAL',
  ...extra,
});

const categories: RoutingCategory[] = [
  cat('drainage', ['下水管:3', '下水道:3', '堵:2', '污水:3'], ['drain:3', 'sewage:4', 'blocked:2']),
  cat('theft', ['偷:3', '被盗:4', '电动车:1'], ['stolen:4', 'steal:4', 'bike:1'], {
    defaultUnitType: 'police',
  }),
  cat('noise', ['噪音:3', '狗叫:3'], ['noise:3', 'barking:3'], { defaultUnitType: 'police' }),
  cat('parking', ['停车:2'], ['parking:2'], { defaultUnitType: 'city_management' }),
  cat('pests', ['老鼠:4'], ['rats:4'], { active: false }),
];

describe('confidenceOf', () => {
  it('is strength × (1 + margin) / 2 with strength = 1 − e^(−s1/S)', () => {
    expect(confidenceOf(0, 0)).toBe(0);
    expect(confidenceOf(3, 0)).toBeCloseTo(1 - Math.exp(-3 / 4), 3);
    expect(confidenceOf(3, 3)).toBeCloseTo((1 - Math.exp(-3 / 4)) / 2, 3);
    expect(confidenceOf(6, 2)).toBeCloseTo(((1 - Math.exp(-6 / 4)) * (1 + 4 / 6)) / 2, 3);
    expect(confidenceOf(3, 0, 2)).toBeCloseTo(1 - Math.exp(-3 / 2), 3);
  });
  it('grows with evidence and falls with a close runner-up', () => {
    expect(confidenceOf(8, 0)).toBeGreaterThan(confidenceOf(4, 0));
    expect(confidenceOf(8, 6)).toBeLessThan(confidenceOf(8, 1));
    expect(strengthOf(4)).toBeCloseTo(0.632, 3);
  });
});

describe('classify', () => {
  it('picks the best category with its evidence, Chinese', () => {
    const c = classify('楼下下水管掉进杂物堵住了', categories, { threshold: 0.3 });
    expect(c.categoryCode).toBe('drainage');
    expect(c.score).toBe(5);
    expect(c.evidence.map((e) => `${e.term}(${e.weight})`)).toEqual(['下水管(3)', '堵(2)']);
    expect(c.belowThreshold).toBe(false);
    expect(c.confidence).toBeCloseTo(confidenceOf(5, 0), 3);
  });
  it('classifies English with stems', () => {
    expect(
      classify('Somebody stole my bike, it was stolen from the shed', categories, { threshold: 0.3 })
        .categoryCode,
    ).toBe('theft');
    expect(classify('The dogs next door keep barking', categories, { threshold: 0.3 }).categoryCode).toBe(
      'noise',
    );
  });
  it('reports the runner-up and lowers confidence when two categories compete', () => {
    const c = classify('电动车停车的地方下水道堵了', categories, { threshold: 0.3 });
    expect(c.categoryCode).toBe('drainage');
    expect(c.runnerUp?.categoryCode).toBe('parking');
    expect(c.ranking.map((r) => r.categoryCode)).toEqual(['drainage', 'parking', 'theft']);
    expect(c.confidence).toBeLessThan(confidenceOf(c.score, 0));
  });
  it('gives no category and zero confidence when nothing matches', () => {
    const c = classify('你好,请问今天几号', categories, { threshold: 0.3 });
    expect(c).toMatchObject({ categoryCode: undefined, confidence: 0, belowThreshold: true, evidence: [] });
  });
  it('breaks a tie by category order and flags it below a sensible threshold', () => {
    const c = classify('噪音 停车 停车', [cat('a', ['噪音:2'], []), cat('b', ['停车:2'], [])], {
      threshold: 0.3,
    });
    expect(c.categoryCode).toBe('a');
    expect(c.belowThreshold).toBe(true);
  });
  it('ignores inactive categories', () => {
    expect(classify('好多老鼠', categories, { threshold: 0.3 }).categoryCode).toBeUndefined();
  });
});

describe('detectSignals', () => {
  const lexicon: SignalLexicon = {
    signals: [
      {
        code: 'gas',
        kind: 'emergency',
        termsZh: ['煤气味:3', '漏气:2', '轮胎漏气:-2'],
        termsEn: ['smell of gas:3'],
        minScore: 2,
        priority: 'urgent',
      },
      {
        code: 'fire',
        kind: 'emergency',
        termsZh: ['着火:3', '火灾:2'],
        termsEn: ['fire:2'],
        minScore: 2,
        priority: 'urgent',
      },
      {
        code: 'hazard',
        kind: 'mandatory',
        termsZh: ['火灾隐患:3', '隐患:2'],
        termsEn: ['fire hazard:3'],
        minScore: 2,
        mandatoryReport: 'safety_hazard',
      },
      {
        code: 'collective',
        kind: 'mandatory',
        termsZh: ['联名:3', '几十户:1', '反对:1'],
        termsEn: [],
        minScore: 3,
        priority: 'high',
        mandatoryReport: 'collective_demand',
        categoryCode: 'collective_demand',
        categoryMode: 'override',
      },
    ],
  };
  it('finds an emergency and raises the priority', () => {
    const d = detectSignals('楼道里有很浓的煤气味', lexicon);
    expect(d.signals.map((s) => s.code)).toEqual(['gas']);
    expect(d.priority).toBe('urgent');
    expect(detectSignals('I can smell gas... a smell of gas in the hall', lexicon).priority).toBe('urgent');
  });
  it('treats a hazard as mandatory but not as an emergency (the hazard phrase hides 火灾)', () => {
    const d = detectSignals('电动轮椅在楼道里拉飞线充电,有火灾隐患', lexicon);
    expect(d.signals.map((s) => s.code)).toEqual(['hazard']);
    expect(d.priority).toBeUndefined();
    expect(d.mandatoryReports).toEqual(['safety_hazard']);
    expect(detectSignals('this is a fire hazard', lexicon).priority).toBeUndefined();
  });
  it('needs minScore and honours negative terms', () => {
    expect(detectSignals('几十户都停水了', lexicon).signals).toEqual([]);
    expect(detectSignals('自行车轮胎漏气了', lexicon).signals).toEqual([]);
    const d = detectSignals('几十户居民联名反对', lexicon);
    expect(d.signals[0]).toMatchObject({
      code: 'collective',
      score: 5,
      categoryCode: 'collective_demand',
      categoryMode: 'override',
      requireTriage: false,
    });
  });
  it('takes the most pressing priority and lists mandatory kinds once', () => {
    const d = detectSignals('联名反对,几十户,楼里着火了还有隐患和火灾隐患', lexicon);
    expect(d.priority).toBe('urgent');
    expect(d.mandatoryReports).toEqual(['safety_hazard', 'collective_demand']); // lexicon order
  });
});
