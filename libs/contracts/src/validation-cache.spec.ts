import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
  validateSync,
  ValidatorOptions,
} from 'class-validator';
import { memoizeValidationMetadata } from './validation-cache';

class Base {
  @IsString()
  id!: string;
}
class Item {
  @IsInt()
  @Min(1, { groups: ['strict'] })
  qty!: number;
}
class Order extends Base {
  @IsOptional()
  @MaxLength(5)
  note?: string;

  @ValidateNested({ each: true })
  @Type(() => Item)
  items!: Item[];
}

const errorsOf = (plain: object, options: ValidatorOptions = {}): string[] =>
  validateSync(plainToInstance(Order, plain), options).flatMap((e) => [
    ...Object.keys(e.constraints ?? {}).map((c) => `${e.property}:${c}`),
    ...(e.children ?? []).flatMap((c) =>
      (c.children ?? []).flatMap((cc) =>
        Object.keys(cc.constraints ?? {}).map((k) => `${e.property}.${cc.property}:${k}`),
      ),
    ),
  ]);

describe('memoized class-validator metadata', () => {
  beforeAll(() => memoizeValidationMetadata());

  it('validates as before: inherited rules, nested objects, groups', () => {
    expect(errorsOf({ id: 'a', items: [{ qty: 2 }] })).toEqual([]);
    expect(errorsOf({ id: 7, note: 'too long', items: [{ qty: 'x' }] }).sort()).toEqual(
      ['id:isString', 'note:maxLength', 'items.qty:isInt', 'items.qty:min'].sort(),
    );
    // Which rules apply depends on the call's options: each set of options is remembered apart.
    const zero = { id: 'a', items: [{ qty: 0 }] };
    expect(errorsOf(zero)).toEqual(['items.qty:min']);
    expect(errorsOf(zero, { strictGroups: true })).toEqual([]);
    expect(errorsOf(zero, { groups: ['strict'], always: true })).toEqual(['items.qty:min']);
    expect(errorsOf(zero, { groups: ['other'], always: true })).toEqual([]);
    expect(errorsOf(zero, { strictGroups: true })).toEqual([]);
    expect(errorsOf(zero)).toEqual(['items.qty:min']);
  });

  it('returns the remembered lookup for the same class and options', () => {
    const storage = getMetadataStorage();
    const a = storage.getTargetValidationMetadatas(Order, '', false, false);
    expect(storage.getTargetValidationMetadatas(Order, '', false, false)).toBe(a);
    expect(storage.groupByPropertyName(a)).toBe(storage.groupByPropertyName(a));
    expect(a.map((m) => m.propertyName).sort()).toEqual(['id', 'items', 'note', 'note']);
  });

  it('forgets what it remembered when a rule is added later', () => {
    expect(errorsOf({ id: '', items: [] })).toEqual([]);
    // A decorator applied after the class was first validated.
    MaxLength(0)(Base.prototype, 'id');
    IsString()(Order.prototype, 'extra');
    expect(errorsOf({ id: 'a', items: [] }).sort()).toEqual(['extra:isString', 'id:maxLength']);
  });

  it('wraps the storage once', () => {
    const storage = getMetadataStorage();
    const fn = storage.getTargetValidationMetadatas;
    memoizeValidationMetadata();
    expect(storage.getTargetValidationMetadatas).toBe(fn);
  });
});
