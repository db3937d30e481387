import {
  classify,
  confidenceOf,
  detectSignals,
  EMERGENCY_WORD_FACTOR,
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

describe('classify by routing outcome', () => {
  const pm = { defaultUnitType: 'property_management' as const };
  const cats: RoutingCategory[] = [
    cat('drain', ['下水管:3', '堵:2'], [], pm),
    cat('pipe_leak', ['下水管:3', '漏水:3'], [], pm),
    cat('neighbour', ['楼下:2'], [], { defaultUnitType: 'community' }),
    cat('theft', ['偷:3'], [], { defaultUnitType: 'police' }),
  ];
  const byUnit = new Map(cats.map((c) => [c.code, `${c.defaultUnitType}/${c.defaultPriority}`]));
  const outcomeOf = (code: string): string => byUnit.get(code) ?? code;

  it('pools categories sending the case to the same unit: a split is not a doubt', () => {
    const text = '下水管堵了又漏水';
    const plain = classify(text, cats, { threshold: 0.3 });
    const pooled = classify(text, cats, { threshold: 0.3, outcomeOf });
    // pipe_leak 6 vs drain 5 looks like a toss-up … but both are jobs for the property company
    expect(plain.confidence).toBeCloseTo(confidenceOf(6, 5), 3);
    expect(pooled.categoryCode).toBe('pipe_leak');
    expect(pooled.outcome).toEqual({
      outcome: 'property_management/normal',
      score: 8, // 下水管 3 counts once across the pooled categories, + 堵 2 + 漏水 3
      categoryCodes: ['pipe_leak', 'drain'],
    });
    expect(pooled.runnerUp).toBeUndefined();
    expect(pooled.confidence).toBeCloseTo(confidenceOf(8, 0), 3);
  });
  it('weighs the chosen outcome against the best different one', () => {
    const c = classify('楼下下水管堵了', cats, { threshold: 0.3, outcomeOf });
    expect(c.categoryCode).toBe('drain');
    expect(c.runnerUp).toEqual({ categoryCode: 'neighbour', score: 2 });
    expect(c.runnerUpOutcome).toMatchObject({ outcome: 'community/normal', score: 2 });
    expect(c.confidence).toBeCloseTo(confidenceOf(5, 2), 3);
  });
  it('lets an outcome with more distinct evidence beat a single stronger category', () => {
    const c = classify(
      '电动车被偷了,下水管也堵,还漏水',
      [...cats.slice(0, 2), cat('theft', ['偷:7'], [], { defaultUnitType: 'police' })],
      {
        threshold: 0.3,
        outcomeOf,
      },
    );
    expect(c.outcome?.outcome).toBe('property_management/normal'); // 下水管 3 + 堵 2 + 漏水 3 = 8 > 7
    expect(c.categoryCode).toBe('pipe_leak');
    expect(c.runnerUp?.categoryCode).toBe('theft');
  });
  it('behaves as before without outcomeOf (every category its own outcome)', () => {
    const c = classify('下水管堵了又漏水', cats, { threshold: 0.3 });
    expect(c.runnerUp).toEqual({ categoryCode: 'drain', score: 5 });
    expect(c.confidence).toBeCloseTo(confidenceOf(6, 5), 3);
  });
});

describe('classify with emergency words', () => {
  const cats: RoutingCategory[] = [
    cat('fire_smoke', ['着火:5', '冒火花:4', '冒烟:3'], [], {
      defaultUnitType: 'fire_emergency',
      defaultPriority: 'urgent',
    }),
    cat('power_line', ['电线:3', '刮断:1'], [], { defaultUnitType: 'power_utility' }),
    cat('water_pressure', ['水压:4'], [], { defaultUnitType: 'water_utility' }),
    cat('lighting', ['灯:1'], []),
  ];
  const emergency = {
    categoryCodes: new Set(['fire_smoke']),
    termKeys: ['zh:着火', 'zh:冒烟', 'zh:冒火花'],
  };

  it('lets the topic decide when the emergency category rests on signal words only', () => {
    const c = classify('大风把电线刮断了,还在冒火花', cats, { threshold: 0.3, emergency });
    expect(c.categoryCode).toBe('power_line');
    expect(c.emergencyYield).toEqual({
      categoryCode: 'fire_smoke',
      score: 4,
      discountedScore: 4 * EMERGENCY_WORD_FACTOR,
      signalTerms: ['冒火花'],
    });
    expect(c.ranking).toEqual([
      { categoryCode: 'power_line', score: 4 },
      { categoryCode: 'fire_smoke', score: 2 },
    ]);
    expect(classify('大风把电线刮断了,还在冒火花', cats, { threshold: 0.3 }).categoryCode).toBe('fire_smoke');
  });
  it('keeps the emergency category when its own signal fired (corroborated)', () => {
    const c = classify('大风把电线刮断了,还在冒火花', cats, {
      threshold: 0.3,
      emergency: { ...emergency, corroborated: new Set(['fire_smoke']) },
    });
    expect(c.categoryCode).toBe('fire_smoke');
    expect(c.emergencyYield).toBeUndefined();
  });
  it('keeps the emergency category when the topic is weak or weaker than the discounted score', () => {
    expect(classify('楼道灯那边着火了', cats, { threshold: 0.3, emergency }).categoryCode).toBe('fire_smoke');
    expect(classify('电线着火了,冒烟', cats, { threshold: 0.3, emergency }).categoryCode).toBe('fire_smoke');
  });
  it('does not discount an emergency category that leads on its own topical words', () => {
    const mixed = [
      cat('gas', ['燃气管:5', '着火:2'], [], { defaultUnitType: 'fire_emergency' }),
      ...cats.slice(1),
    ];
    const c = classify('燃气管旁边的电线会不会着火', mixed, {
      threshold: 0.3,
      emergency: { categoryCodes: new Set(['gas']), termKeys: ['zh:着火'] },
    });
    expect(c.categoryCode).toBe('gas'); // 5 + 1 > 3
    expect(c.emergencyYield).toBeUndefined();
  });
});

describe('detectSignals with negated alarm words', () => {
  const lexicon: SignalLexicon = {
    signals: [
      {
        code: 'fire',
        kind: 'emergency',
        termsZh: ['着火:3'],
        termsEn: ['on fire:3'],
        minScore: 2,
        priority: 'urgent',
      },
    ],
  };
  it('does not fire on a negated alarm word', () => {
    expect(detectSignals('热水器打不着火', lexicon).signals).toEqual([]);
    expect(detectSignals('the bin is not on fire, it just smells', lexicon).signals).toEqual([]);
    expect(detectSignals('垃圾桶着火了', lexicon).priority).toBe('urgent');
  });
});
