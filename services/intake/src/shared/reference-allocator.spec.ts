import { ReferenceAllocator } from './reference-allocator';

/** An in-memory counter table that answers like the reference_counters upsert. */
function counterTable(delayMs = 0): {
  reserve: (day: string, size: number) => Promise<number>;
  calls: { day: string; size: number }[];
  values: Map<string, number>;
} {
  const values = new Map<string, number>();
  const calls: { day: string; size: number }[] = [];
  return {
    values,
    calls,
    reserve: async (day, size) => {
      calls.push({ day, size });
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      const last = (values.get(day) ?? 0) + size;
      values.set(day, last);
      return last;
    },
  };
}

describe('reference numbers from reserved blocks', () => {
  it('hands out 1, 2, 3, … of a day, reserving one block per blockSize numbers', async () => {
    const table = counterTable();
    const alloc = new ReferenceAllocator(table.reserve, 5);
    const got: number[] = [];
    for (let i = 0; i < 12; i++) got.push(await alloc.next('2026-11-23'));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(table.calls).toHaveLength(3);
  });

  it('gives 200 concurrent requests 200 distinct, increasing numbers with one reservation per block', async () => {
    const table = counterTable(5);
    const alloc = new ReferenceAllocator(table.reserve, 50);
    const got = await Promise.all(Array.from({ length: 200 }, () => alloc.next('2026-11-23')));
    expect(new Set(got).size).toBe(200);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(table.calls).toHaveLength(4);
  });

  it('never overlaps with another process reserving from the same counter (replicas)', async () => {
    const table = counterTable(1);
    const a = new ReferenceAllocator(table.reserve, 7);
    const b = new ReferenceAllocator(table.reserve, 7);
    const got = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? a : b).next('2026-11-23')),
    );
    expect(new Set(got).size).toBe(100);
  });

  it('starts every day from its own counter and keeps serving a request still dated yesterday', async () => {
    const table = counterTable();
    const alloc = new ReferenceAllocator(table.reserve, 10);
    expect(await alloc.next('2026-11-23')).toBe(1);
    expect(await alloc.next('2026-11-24')).toBe(1);
    expect(await alloc.next('2026-11-23')).toBe(2);
    expect(await alloc.next('2026-11-25')).toBe(1);
    // The oldest block was dropped; a late request for that day reserves a fresh block (a gap).
    expect(await alloc.next('2026-11-23')).toBe(11);
    expect(await alloc.next('2026-11-25')).toBe(2);
  });

  it('fails the waiting requests when the reservation fails, and tries again on the next one', async () => {
    let fail = true;
    const table = counterTable();
    const alloc = new ReferenceAllocator(async (day, size) => {
      if (fail) throw new Error('database unavailable');
      return table.reserve(day, size);
    }, 10);
    const first = await Promise.allSettled([alloc.next('2026-11-23'), alloc.next('2026-11-23')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await alloc.next('2026-11-23')).toBe(1);
  });

  it('refuses a block size that is not a positive integer', () => {
    expect(() => new ReferenceAllocator(async () => 1, 0)).toThrow(RangeError);
    expect(() => new ReferenceAllocator(async () => 1, 2.5)).toThrow(RangeError);
  });
});
