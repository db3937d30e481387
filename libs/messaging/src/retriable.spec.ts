import { DomainError, RetriableError } from '@app/contracts';
import { isRetriable } from './retriable';

describe('isRetriable', () => {
  it.each([
    ['RetriableError', new RetriableError('broker away'), true],
    ['DomainError', new DomainError('X.Y', 'no'), false],
    ['TypeError (a bug)', new TypeError('undefined is not a function'), false],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    [
      'PG admin shutdown',
      Object.assign(new Error('terminating connection'), { driverError: { code: '57P01' } }),
      true,
    ],
    ['PG serialization failure', Object.assign(new Error('could not serialize'), { code: '40001' }), true],
    [
      'PG unique violation',
      Object.assign(new Error('duplicate key'), { driverError: { code: '23505' } }),
      false,
    ],
    ['pg pool connect timeout', new Error('timeout exceeded when trying to connect'), true],
    [
      // Seen in the fault test: Postgres restarted under a consumer transaction (was dead-lettered).
      'TypeORM connection released under a transaction',
      new Error(
        'Database connection provided by a query runner was already released, cannot continue to use its querying methods anymore.',
      ),
      true,
    ],
    [
      'wrapped cause',
      Object.assign(new Error('outer'), { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
      true,
    ],
  ])('%s → %s', (_name, err, expected) => {
    expect(isRetriable(err)).toBe(expected);
  });
});
