import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Min, ValidateNested } from 'class-validator';
import type { ValidatorOptions } from 'class-validator';
import { passesValidation, ValidationFailedError } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { AllExceptionsFilter, createValidationPipe } from './http-errors';

class Item {
  @IsString() @Length(1, 10) name!: string;
}

class Body {
  @IsInt() @Min(1) count!: number;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => Item) items?: Item[];
}

const meta = { type: 'body' as const, metatype: Body, data: '' };

describe('the HTTP validation pipe', () => {
  const pipe = createValidationPipe();

  it('passes a valid body, transformed to its class', async () => {
    const out = (await pipe.transform({ count: 2, items: [{ name: 'a' }] }, meta)) as Body;
    expect(out).toBeInstanceOf(Body);
    expect(out.items?.[0]).toBeInstanceOf(Item);
  });

  it('answers an invalid body with class-validator’s errors, naming each field', async () => {
    const refused = pipe.transform({ count: 0, items: [{ name: '' }], extra: 1 }, meta);
    await expect(refused).rejects.toBeInstanceOf(ValidationFailedError);
    const fields = ((await refused.catch((e: ValidationFailedError) => e)) as ValidationFailedError).toJSON();
    expect(JSON.stringify(fields)).toMatch(/count/);
    expect(JSON.stringify(fields)).toMatch(/items\.0\.name/);
    expect(JSON.stringify(fields)).toMatch(/extra/);
  });

  it('validates with options the fast check decides, so a valid body skips class-validator outside tests', () => {
    const options = (pipe as unknown as { validatorOptions: ValidatorOptions }).validatorOptions;
    expect(passesValidation(Object.assign(new Body(), { count: 3 }), options)).toBe(true);
    expect(passesValidation(Object.assign(new Body(), { count: -3 }), options)).toBe(false);
    expect(passesValidation(Object.assign(new Body(), { count: 3, extra: 1 }), options)).toBe(false);
  });
});

describe('the error filter', () => {
  const filter = new AllExceptionsFilter(new JsonLogger('test', undefined, 'error'));

  it('answers 503 with Retry-After when the database or cache is unavailable, so a partner retries', () => {
    const down = [
      Object.assign(new Error('terminating connection due to administrator command'), {
        driverError: { code: '57P01' },
      }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection is closed.'),
    ];
    for (const err of down) {
      const { status, body } = filter.toAnswer(err);
      expect([status, body.code, body.details?.retryAfterSeconds]).toEqual([503, 'UNAVAILABLE', 2]);
    }
  });

  it('answers 500 for anything else, without internals', () => {
    const { status, body } = filter.toAnswer(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
    );
    expect(status).toBe(500);
    expect(body).toEqual({ code: 'INTERNAL', message: 'Internal error; the request was not applied' });
  });
});
