import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Target = abstract new (...args: never[]) => unknown;
type Storage = ReturnType<typeof getMetadataStorage> & { __memoized?: true };
type Lookup = (
  target: Target,
  schema: string,
  always: boolean,
  strictGroups: boolean,
  groups?: string[],
) => ValidationMetadata[];
type Grouping = (metadata: ValidationMetadata[]) => Record<string, ValidationMetadata[]>;

/**
 * class-validator finds a class's rules on every validate() call, for every nested object, by
 * walking all registered classes (an `instanceof` each) and filtering their rules: 1.5-3 % of a
 * service's CPU at load (validation runs on every event consumed and every request). Rules are
 * added by decorators as classes load and not after, so the lookup and its grouping by property
 * are remembered, and forgotten whenever a rule, constraint or schema is added. Idempotent.
 */
export function memoizeValidationMetadata(storage: Storage = getMetadataStorage() as Storage): void {
  if (storage.__memoized) return;
  storage.__memoized = true;
  let byTarget = new Map<Target, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  const forget = (): void => {
    byTarget = new Map();
    grouped = new WeakMap();
  };
  const lookup = storage.getTargetValidationMetadatas.bind(storage) as Lookup;
  const group = storage.groupByPropertyName.bind(storage) as Grouping;
  (storage as unknown as { getTargetValidationMetadatas: Lookup }).getTargetValidationMetadatas = (
    target,
    schema,
    always,
    strictGroups,
    groups,
  ) => {
    const key = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0000') ?? ''}`;
    let perTarget = byTarget.get(target);
    if (!perTarget) byTarget.set(target, (perTarget = new Map()));
    let found = perTarget.get(key);
    if (!found) perTarget.set(key, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
  (storage as unknown as { groupByPropertyName: Grouping }).groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
  for (const name of ['addValidationMetadata', 'addConstraintMetadata', 'addValidationSchema'] as const) {
    const add = (storage[name] as (...a: unknown[]) => void).bind(storage);
    (storage as unknown as Record<string, (...a: unknown[]) => void>)[name] = (...a) => {
      forget();
      add(...a);
    };
  }
}
