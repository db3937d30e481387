import { Expose, plainToInstance, Transform, Type } from 'class-transformer';
import { differs, PAYLOAD_CLASSES, Topic, topicOfType, toInstance } from './index';
import { events, handMade, MUTATIONS, mutated, paths } from './__fixtures__/corpus';

/**
 * toInstance must build what plainToInstance builds: the same classes, the same own keys, the same
 * values. Compared on every event payload class, each payload mutated at every path, and on small
 * classes for what payloads do not have (keys that are methods or getters, Object.prototype names,
 * `__proto__` and `constructor` keys, arrays of arrays, and decorators it leaves to
 * class-transformer).
 */

function same(cls: new () => object, plain: object): void {
  const made = toInstance(cls, plain);
  const reference = plainToInstance(cls, plain);
  const difference = differs(made, reference, cls.name);
  if (difference) throw new Error(`${difference}: ${JSON.stringify(plain)}`);
}

describe('toInstance builds what class-transformer builds', () => {
  const corpus = [...events, ...handMade()];

  it('on every payload mutated at every path', () => {
    let count = 0;
    for (const e of corpus) {
      const cls = PAYLOAD_CLASSES[topicOfType(e.type) as Topic].payload;
      same(cls, e.payload);
      for (const path of paths(e.payload))
        for (const m of MUTATIONS) {
          same(cls, mutated(e.payload, path, m.apply) as object);
          count++;
        }
    }
    expect(count).toBeGreaterThan(5000);
  });

  it('nests instances by @Type, in arrays too', () => {
    const routed = corpus.find((e) => e.type === 'case.routed')!;
    const cls = PAYLOAD_CLASSES[Topic.CaseRouted].payload;
    const made = toInstance(cls, routed.payload) as { report: { location: object; media: unknown[] } };
    expect(made).toBeInstanceOf(cls);
    expect(made.report.location.constructor.name).toBe('LocationDto');
    const withMedia = {
      ...routed.payload,
      report: { ...(routed.payload.report as object), media: [{ url: 'a' }] },
    };
    expect(
      (toInstance(cls, withMedia) as { report: { media: object[] } }).report.media[0].constructor.name,
    ).toBe('MediaRefDto');
  });
});

class Leaf {
  n?: number;
}

class Shapes {
  @Type(() => Leaf) grid?: Leaf[][];
  @Type(() => Leaf) leaf?: Leaf;
  free?: unknown;
  greet(): string {
    return 'hi';
  }
  get computed(): number {
    return 1;
  }
}

class WithTransform {
  @Transform(({ value }: { value: unknown }) => String(value).trim()) name?: string;
}

class WithExpose {
  @Expose({ name: 'full_name' }) fullName?: string;
}

describe('toInstance on what payloads do not have', () => {
  const values: unknown[] = [
    { grid: [[{ n: 1 }], [{ n: 2 }, null, 3]] },
    { leaf: { n: 1, toString: 'x', hasOwnProperty: 1 } },
    { leaf: 'not an object', free: { toString: 'x', valueOf: 2, nested: { a: [1, { b: 2 }] } } },
    { greet: 'shadow', computed: 5, extra: true },
    JSON.parse('{"__proto__": {"polluted": true}, "leaf": {"__proto__": {"n": 1}}}') as object,
    { leaf: [{ n: 1 }, { n: 2 }], free: [[1, 2], { c: 3 }] },
  ];

  it.each(values.map((v) => [JSON.stringify(v), v]))(
    'builds what class-transformer builds for %s',
    (_name, v) => {
      same(Shapes, v as object);
    },
  );

  it('leaves @Transform, @Expose and an untyped object with its own constructor key to class-transformer', () => {
    same(WithTransform, { name: '  a  ' });
    expect(toInstance(WithTransform, { name: '  a  ' })).toEqual(
      Object.assign(new WithTransform(), { name: 'a' }),
    );
    same(WithExpose, { full_name: 'x' });
    expect(() => plainToInstance(Shapes, { free: { constructor: 'x' } })).toThrow();
    expect(() => toInstance(Shapes, { free: { constructor: 'x' } })).toThrow();
  });

  it('finds a difference in class, keys or values', () => {
    expect(differs({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, 'x')).toBeUndefined();
    expect(differs({ a: 1 }, { a: 1, b: undefined }, 'x')).toBe('x (keys)');
    expect(differs({ a: [1, 2] }, { a: [1, 3] }, 'x')).toBe('x.a.1');
    expect(differs(new Leaf(), {}, 'x')).toBe('x');
  });
});
