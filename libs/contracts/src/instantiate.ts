import { plainToInstance, TransformationType } from 'class-transformer';
import { VALIDITY_CROSS_CHECK } from './validity-check';

/** A class, as class-transformer's metadata storage takes it. */
type Class = abstract new (...args: never[]) => unknown;

interface TypeMetadata {
  typeFunction?: (options: {
    newObject: unknown;
    object: Record<string, unknown>;
    property: string;
  }) => unknown;
  reflectedType?: unknown;
  options?: { discriminator?: unknown; keepDiscriminatorProperty?: boolean };
}

interface TransformerStorage {
  getStrategy(target: Class): string;
  getExposedProperties(target: Class, type: TransformationType): string[];
  getExcludedProperties(target: Class, type: TransformationType): string[];
  findTransformMetadatas(target: Class, property: string, type: TransformationType): unknown[];
  findTypeMetadata(target: Class, property: string): TypeMetadata | undefined;
}

// class-transformer keeps its decorators' metadata here; it exports no public way to read it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage })
  .defaultMetadataStorage;

type Ctor<T> = new () => T;

/** Not a case this module follows: class-transformer does the whole transformation. */
const UNSUPPORTED = Symbol('unsupported');
type Made = unknown;

/**
 * `plainToInstance(cls, plain)` with class-transformer's default options, for parsed JSON (plain
 * objects, arrays, primitives) and classes whose only class-transformer decorator is `@Type(() =>
 * Class)`. That is every event payload: plainToInstance was ~28 % of decoding an event (profile at
 * 100 cases/s), most of it looking up, for every key of every nested object, metadata the class
 * does not have. It does what class-transformer does: a new instance per class (constructor run),
 * every own key of the value copied (`__proto__` and `constructor` never, nor a key the instance
 * has as a method or a getter), nested values by their `@Type`, other objects and arrays copied.
 * Anything else (`@Expose`, `@Exclude`, `@Transform`, discriminators, Map/Set/Date/primitive
 * `@Type`s, objects that are not plain) goes to class-transformer whole. Under test and in the
 * fuzzing stack (VALIDITY_CROSS_CHECK) class-transformer also runs, and a different result throws;
 * instantiate.spec.ts compares the two on every payload class, mutated at every path.
 */
export function toInstance<T extends object>(cls: Ctor<T>, plain: object): T {
  const made = classValue(cls, plain);
  if (made === UNSUPPORTED) return plainToInstance(cls, plain);
  if (VALIDITY_CROSS_CHECK) {
    const reference = plainToInstance(cls, plain);
    const difference = differs(made, reference, cls.name);
    if (difference) throw new Error(`toInstance differs from class-transformer at ${difference}`);
  }
  return made as T;
}

interface KeyPlan {
  /** The class has this key as a method or a getter without setter: class-transformer skips it. */
  skipped: boolean;
  /** A @Transform applies to it. */
  transformed: boolean;
  type: TypeMetadata | undefined;
}

interface ClassPlan {
  keys: Map<string, KeyPlan>;
}

/** Keys remembered per class at most (keys come from input: a body may send any). */
const MAX_KEYS_PER_CLASS = 500;

const plans = new Map<Class, ClassPlan | null>();
const PLAIN = TransformationType.PLAIN_TO_CLASS;

function planOf(cls: Class): ClassPlan | null {
  let plan = plans.get(cls);
  if (plan === undefined) {
    const plain =
      storage.getStrategy(cls) === 'none' &&
      storage.getExposedProperties(cls, PLAIN).length === 0 &&
      storage.getExcludedProperties(cls, PLAIN).length === 0;
    plan = plain ? { keys: new Map() } : null;
    plans.set(cls, plan);
  }
  return plan;
}

function keyOf(cls: Class, plan: ClassPlan, key: string): KeyPlan {
  let k = plan.keys.get(key);
  if (k === undefined) {
    const descriptor = Object.getOwnPropertyDescriptor((cls as { prototype: object }).prototype, key);
    k = {
      skipped: descriptor !== undefined && !descriptor.set,
      transformed: storage.findTransformMetadatas(cls, key, PLAIN).length > 0,
      type: storage.findTypeMetadata(cls, key),
    };
    if (plan.keys.size < MAX_KEYS_PER_CLASS) plan.keys.set(key, k);
  }
  return k;
}

/** The classes @Type may name here: a class with a prototype of its own, not a built-in. */
const BUILT_IN = new Set<unknown>([String, Number, Boolean, Date, Map, Set, Array, Object, Buffer, Promise]);

function isPlainObject(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype;
}

function classValue(cls: Class, value: object): Made {
  if (!isPlainObject(value)) return UNSUPPORTED;
  const plan = planOf(cls);
  if (plan === null) return UNSUPPORTED;
  const out = new (cls as Ctor<Record<string, unknown>>)();
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (key === '__proto__' || key === 'constructor') continue;
    const { skipped, transformed, type } = keyOf(cls, plan, key);
    if (skipped || out[key] instanceof Function) continue;
    if (transformed) return UNSUPPORTED;
    let target: unknown;
    if (type) {
      if (type.options?.discriminator || type.reflectedType === Map || type.reflectedType === Set)
        return UNSUPPORTED;
      target = type.typeFunction
        ? type.typeFunction({ newObject: out, object: source, property: key })
        : type.reflectedType;
      if (typeof target !== 'function' || BUILT_IN.has(target)) return UNSUPPORTED;
    }
    const converted = convert(source[key], target as Class | undefined);
    if (converted === UNSUPPORTED) return UNSUPPORTED;
    out[key] = converted;
  }
  return out;
}

function convert(value: unknown, type: Class | undefined): Made {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const converted = convert(item, type);
      if (converted === UNSUPPORTED) return UNSUPPORTED;
      out.push(converted);
    }
    return out;
  }
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? UNSUPPORTED : value;
  return type ? classValue(type, value) : plainCopy(value);
}

function plainCopy(value: object): Made {
  // class-transformer takes an own `constructor` of an untyped object for its class
  if (!isPlainObject(value) || Object.hasOwn(value, 'constructor')) return UNSUPPORTED;
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    // Object.prototype's other own keys are all methods: class-transformer skips them
    if (key === '__proto__' || key === 'constructor' || out[key] instanceof Function) continue;
    const converted = convert(source[key], undefined);
    if (converted === UNSUPPORTED) return UNSUPPORTED;
    out[key] = converted;
  }
  return out;
}

/** Where two transformation results differ (class, own keys, values), or undefined when they do not. */
export function differs(a: unknown, b: unknown, path: string): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b))
    return path;
  const keysA = Object.keys(a).sort();
  const keysB = Object.keys(b).sort();
  if (keysA.join('\u0000') !== keysB.join('\u0000')) return `${path} (keys)`;
  for (const key of keysA) {
    const d = differs(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (d) return d;
  }
  return undefined;
}
