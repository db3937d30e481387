import { plainToInstance } from 'class-transformer';
import {
  Allow,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Min,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidatePromise,
  validateSync,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  ValidatorOptions,
} from 'class-validator';
import { Type } from 'class-transformer';
import {
  EventEnvelope,
  PAYLOAD_CLASSES,
  passesValidation,
  Topic,
  topicOfType,
  validationErrorsOf,
} from './index';
import { CONSUME, events, handMade, HTTP, MUTATIONS, mutated, paths } from './__fixtures__/corpus';

/**
 * passesValidation must say "valid" exactly when class-validator finds no error. Compared on every
 * event payload class (real events captured from a bench run, and hand-made ones for the types a
 * bench run does not produce), each mutated at every path in many ways, under the options the
 * consumers use and those of the HTTP pipe; and on small classes for the rules the payloads do not
 * use (ValidateIf, IsDefined, each over sets and maps, arrays of arrays, async and promise rules).
 */

function compare(cls: new () => object, plain: unknown, options: ValidatorOptions): boolean {
  const instance = plainToInstance(cls, plain);
  const valid = validateSync(instance, options).length === 0;
  const fast = passesValidation(instance, options);
  if (fast !== valid)
    throw new Error(
      `${cls.name} ${JSON.stringify(options)}: class-validator ${valid}, check ${fast}: ${JSON.stringify(plain)}`,
    );
  return valid;
}

describe('passesValidation agrees with class-validator', () => {
  const corpus = [...events, ...handMade()];

  it('has a captured or hand-made event of every payload class', () => {
    const covered = new Set(corpus.map((e) => topicOfType(e.type)));
    expect([...covered].sort()).toEqual(Object.keys(PAYLOAD_CLASSES).sort());
  });

  it.each([
    ['as consumers validate', CONSUME],
    ['as the HTTP pipe validates', HTTP],
  ])('on every payload mutated at every path, %s', (_name, options) => {
    let valid = 0;
    let invalid = 0;
    for (const e of corpus) {
      const cls = PAYLOAD_CLASSES[topicOfType(e.type) as Topic].payload;
      expect(compare(cls, e.payload, options)).toBe(true);
      for (const path of paths(e.payload))
        for (const m of MUTATIONS) {
          if (compare(cls, mutated(e.payload, path, m.apply), options)) valid++;
          else invalid++;
        }
    }
    // both answers are common, so a check that always said one thing would fail above
    expect(valid).toBeGreaterThan(1000);
    expect(invalid).toBeGreaterThan(5000);
  });

  it('on envelopes mutated at every field', () => {
    for (const e of corpus.slice(0, 3)) {
      const envelope = { ...e, payload: {} };
      for (const path of paths(envelope).filter((p) => p.length === 1))
        for (const m of MUTATIONS) compare(EventEnvelope, mutated(envelope, path, m.apply), CONSUME);
    }
  });
});

@ValidatorConstraint({ name: 'slowlyTrue', async: true })
class SlowlyTrue implements ValidatorConstraintInterface {
  validate(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

class Leaf {
  @IsInt() @Min(0) n!: number;
}

class Rules {
  @ValidateIf((o: Rules) => o.kind === 'a') @IsString() onlyForA?: string;
  @IsOptional() @IsDefined() @IsString() optionalDefined?: string;
  @IsOptional() @IsInt({ each: true }) each?: number[] | Set<number> | Map<string, number>;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => Leaf) grid?: Leaf[][];
  @Allow() kind?: string;
}

class Required {
  @IsDefined() d?: unknown;
  @ValidateIf((o: Required) => o.d === 'a') @IsDefined() @IsInt() n?: unknown;
}

class WithAsync {
  @Validate(SlowlyTrue) x?: string;
}

class WithPromise {
  @ValidatePromise() @IsString() p?: Promise<string> | string;
}

describe('passesValidation on the rules payloads do not use', () => {
  const values: unknown[] = [
    undefined,
    null,
    'a',
    'b',
    1,
    -1,
    'x',
    [],
    [1, 2],
    [1, 'x'],
    [[{ n: 1 }]],
    [[{ n: -1 }]],
    [{ n: 1 }],
    [[1]],
  ];

  it('agrees with class-validator on every combination', () => {
    let count = 0;
    for (const kind of [undefined, 'a', 'b'])
      for (const onlyForA of values)
        for (const optionalDefined of values.slice(0, 7))
          for (const grid of values) {
            compare(Rules, { kind, onlyForA, optionalDefined, grid }, CONSUME);
            compare(Rules, { kind, onlyForA, optionalDefined, grid }, HTTP);
            count++;
          }
    expect(count).toBeGreaterThan(1000);
    for (const d of values) for (const n of values) compare(Required, { d, n }, CONSUME);
  });

  it('checks each item of a set and each value of a map', () => {
    for (const each of [new Set([1, 2]), new Set([1, 'x']), new Map([['a', 1]]), new Map([['a', 'x']])]) {
      const r = Object.assign(new Rules(), { each });
      expect(passesValidation(r, CONSUME)).toBe(validateSync(r, CONSUME).length === 0);
    }
  });

  it('leaves async and promise rules, groups, skip options and stripping whitelists to class-validator', () => {
    expect(passesValidation(Object.assign(new WithAsync(), { x: 'a' }), CONSUME)).toBe(false);
    expect(passesValidation(Object.assign(new WithPromise(), { p: 'a' }), CONSUME)).toBe(false);
    const ok = Object.assign(new Leaf(), { n: 1 });
    expect(passesValidation(ok, CONSUME)).toBe(true);
    for (const options of [
      { groups: ['g'] },
      { always: true },
      { strictGroups: true },
      { skipMissingProperties: true },
      { whitelist: true },
    ])
      expect(passesValidation(ok, options)).toBe(false);
  });

  it('refuses, as class-validator does, an object of a class without rules only when unknown values are forbidden', () => {
    expect(passesValidation({ any: 1 }, { forbidUnknownValues: false })).toBe(true);
    expect(passesValidation({ any: 1 }, { forbidUnknownValues: true })).toBe(false);
  });
});

describe('validationErrorsOf', () => {
  it('returns class-validator errors for an invalid object and none for a valid one', () => {
    expect(validationErrorsOf(Object.assign(new Leaf(), { n: 1 }), CONSUME)).toEqual([]);
    const errors = validationErrorsOf(Object.assign(new Leaf(), { n: -1 }), CONSUME);
    expect(errors.map((e) => [e.property, Object.keys(e.constraints ?? {})])).toEqual([['n', ['min']]]);
  });
});
