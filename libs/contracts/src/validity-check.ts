import { getMetadataStorage, validateSync, ValidationTypes } from 'class-validator';
import type { ValidationArguments, ValidationError, ValidatorOptions } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { memoizeValidationMetadata } from './validation-cache';

// The plans below are remembered per rule list, which the memoized lookup keeps stable.
memoizeValidationMetadata();

/**
 * Under test (and in the fuzzing stack) every object this check passes is validated by
 * class-validator too, and a disagreement is an error: the whole suite is a differential test.
 */
export const VALIDITY_CROSS_CHECK =
  process.env.NODE_ENV === 'test' || process.env.VALIDITY_CROSSCHECK === 'true';

/** class-validator's errors for an object, without running it when passesValidation says there are none. */
export function validationErrorsOf(object: object, options: ValidatorOptions = {}): ValidationError[] {
  if (!passesValidation(object, options)) return validateSync(object, options);
  if (VALIDITY_CROSS_CHECK) crossCheck(object, validateSync(object, options));
  return [];
}

/** Throws when class-validator found errors in an object passesValidation passed. */
export function crossCheck(object: object, errors: readonly { property: string }[]): void {
  if (errors.length === 0) return;
  const name = (object.constructor as { name?: string } | undefined)?.name ?? typeof object;
  const found = errors.map((e) => e.property).join(', ');
  throw new Error(`validity check passed a ${name} that class-validator refuses (${found})`);
}

/**
 * Whether class-validator would find nothing wrong with an object, decided with class-validator's
 * own rules and constraint functions but without its error bookkeeping: the executor builds a
 * ValidationError per property, an arguments object per constraint, filters each property's rules
 * four times and strips the empty errors again: validation was ~60 % of decoding an event in a
 * profile at 100 cases/s, and decoding 9-18 % of each service's CPU.
 *
 * `true` only when class-validator would return no error; `false` means "run class-validator"
 * (invalid, or a case this check leaves to it): callers then take the errors from class-validator,
 * so every message, and every refusal, is class-validator's. It follows ValidationExecutor
 * (class-validator 0.14): the same metadata lookup, per property the conditions (IsOptional,
 * ValidateIf) first, then IsDefined, the custom constraints (with `each` over arrays, sets and maps)
 * and nested objects. Left to class-validator: validation groups, `always`, `strictGroups`, the
 * skip* options, `whitelist` that strips instead of refusing, promise validation, and async
 * constraints. validity-check.spec.ts compares the two on valid and mutated values of every event
 * payload class; request bodies are compared by the cross-check (VALIDITY_CROSS_CHECK) whenever the
 * integration tests and the fuzzer send them.
 */
export function passesValidation(object: object, options: ValidatorOptions = {}): boolean {
  if (!supported(options)) return false;
  const forbidUnknown = options.forbidUnknownValues !== false;
  const forbidExtra = options.whitelist === true;
  return objectPasses(object, undefined, forbidUnknown, forbidExtra);
}

function supported(o: ValidatorOptions): boolean {
  return (
    (o.groups === undefined || o.groups.length === 0) &&
    !o.always &&
    !o.strictGroups &&
    !o.skipMissingProperties &&
    !o.skipNullProperties &&
    !o.skipUndefinedProperties &&
    (!o.whitelist || o.forbidNonWhitelisted === true)
  );
}

interface Check {
  meta: ValidationMetadata;
  validate: (value: unknown, args: ValidationArguments) => unknown;
}

interface PropertyPlan {
  name: string;
  /** CONDITIONAL_VALIDATION: when one is false, nothing else of the property is looked at. */
  conditions: ((object: object, value: unknown) => boolean)[];
  /** IS_DEFINED first, then CUSTOM_VALIDATION, as the executor runs them. */
  checks: Check[];
  /** NESTED_VALIDATION rules (their targets name the schema of a nested object). */
  nested: ValidationMetadata[];
}

interface ClassPlan {
  properties: PropertyPlan[];
  /** Properties with at least one rule: with `whitelist`, any other property is refused. */
  allowed: Set<string>;
}

const storage = getMetadataStorage();
/** Plans by the rule list they were built from (the memoized lookup returns the same array until a rule is added). */
const plans = new WeakMap<ValidationMetadata[], ClassPlan | null>();

function planOf(metadatas: ValidationMetadata[]): ClassPlan | null {
  let plan = plans.get(metadatas);
  if (plan === undefined) {
    plan = buildPlan(metadatas);
    plans.set(metadatas, plan);
  }
  return plan;
}

/** null: the class has a rule this check leaves to class-validator. */
function buildPlan(metadatas: ValidationMetadata[]): ClassPlan | null {
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyPlan[] = [];
  const allowed = new Set<string>();
  for (const name of Object.keys(grouped)) {
    const rules = grouped[name];
    if (rules.length > 0) allowed.add(name);
    const plan: PropertyPlan = { name, conditions: [], checks: [], nested: [] };
    const defined: Check[] = [];
    for (const meta of rules) {
      switch (meta.type) {
        case ValidationTypes.IS_DEFINED:
        case ValidationTypes.CUSTOM_VALIDATION: {
          const target = meta.type === ValidationTypes.IS_DEFINED ? defined : plan.checks;
          for (const constraint of storage.getTargetValidatorConstraints(meta.constraintCls)) {
            if (constraint.async) return null;
            const instance = constraint.instance as { validate: Check['validate'] };
            target.push({ meta, validate: instance.validate.bind(instance) });
          }
          break;
        }
        case ValidationTypes.CONDITIONAL_VALIDATION:
          plan.conditions.push(meta.constraints[0] as PropertyPlan['conditions'][number]);
          break;
        case ValidationTypes.NESTED_VALIDATION:
          plan.nested.push(meta);
          break;
        case ValidationTypes.WHITELIST:
          break;
        default:
          // PROMISE_VALIDATION, or a type this check does not know
          return null;
      }
    }
    plan.checks.unshift(...defined);
    properties.push(plan);
  }
  return { properties, allowed };
}

function objectPasses(
  object: object,
  schema: string | undefined,
  forbidUnknown: boolean,
  forbidExtra: boolean,
): boolean {
  if (typeof object.constructor !== 'function') return false;
  const metadatas = storage.getTargetValidationMetadatas(object.constructor, schema as string, false, false);
  if (metadatas.length === 0) return !forbidUnknown;
  const plan = planOf(metadatas);
  if (plan === null) return false;
  if (forbidExtra) for (const key of Object.keys(object)) if (!plan.allowed.has(key)) return false;
  const targetName = (object.constructor as { name?: string } | undefined)?.name;
  const record = object as Record<string, unknown>;
  for (const property of plan.properties) {
    const value = record[property.name];
    let applies = true;
    for (const condition of property.conditions) applies = condition(object, value) && applies;
    if (!applies) continue;
    for (const { meta, validate } of property.checks) {
      const args: ValidationArguments = {
        targetName: targetName as string,
        property: meta.propertyName,
        object,
        value,
        constraints: meta.constraints,
      };
      const items = meta.each ? itemsOf(value) : undefined;
      if (items) {
        for (const item of items) if (!accepted(validate(item, args))) return false;
      } else if (!accepted(validate(value, args))) return false;
    }
    if (property.nested.length > 0 && !nestedPasses(value, property.nested, forbidUnknown, forbidExtra))
      return false;
  }
  return true;
}

/** The items class-validator validates one by one: an array's, a set's, a map's values; else undefined. */
function itemsOf(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value.values()];
  return undefined;
}

/** A constraint's answer: a promise (an async rule after all) is left to class-validator. */
function accepted(result: unknown): boolean {
  return Boolean(result) && !(result instanceof Promise);
}

function nestedPasses(
  value: unknown,
  rules: ValidationMetadata[],
  forbidUnknown: boolean,
  forbidExtra: boolean,
): boolean {
  if (value === undefined) return true;
  const items = itemsOf(value);
  for (const rule of rules) {
    if (items) {
      for (const item of items) if (!nestedPasses(item, rules, forbidUnknown, forbidExtra)) return false;
    } else if (value instanceof Object) {
      const schema = typeof rule.target === 'string' ? rule.target : rule.target.name;
      if (!objectPasses(value, schema, forbidUnknown, forbidExtra)) return false;
    } else return false;
  }
  return true;
}
