import { clocksOf } from './case-workflow.service';

const task = (taskId: string) => ({ taskId }) as never;

describe('clocksOf (the clocks a transition needs)', () => {
  it('takes the clocks the lock statement brought and reads only the rest', () => {
    const loaded = {
      state: { tasks: [task('lead'), task('support')] } as never,
      // A clock of the support task was not among the locked rows (created after the snapshot).
      clocks: new Map<string, unknown>([['lead', { lead: 1 }]]),
    };
    const next = { tasks: [task('lead'), task('support'), task('new-task')] } as never;
    const { read, missing } = clocksOf(loaded, next);
    expect([...read]).toEqual([['lead', { lead: 1 }]]);
    // A task this transition creates has no clock to read; it gets a new one.
    expect(missing).toEqual(['support']);
  });

  it('reads every clock when the loader brought none', () => {
    const loaded = { state: { tasks: [task('a'), task('b')] } as never };
    const { read, missing } = clocksOf(loaded, { tasks: [task('a'), task('b')] } as never);
    expect(read.size).toBe(0);
    expect(missing).toEqual(['a', 'b']);
  });
});
