/** Reserves `size` numbers of `day` and answers the LAST of them (the counter's new value). */
export type ReserveBlock = (day: string, size: number) => Promise<number>;

interface Block {
  next: number;
  last: number;
}

/**
 * The day's reference numbers, handed out from blocks (hi/lo). One counter update, a short
 * statement of its own, reserves `blockSize` numbers of a day for this process; they are then
 * handed out in memory, in increasing order. Reports therefore neither wait on nor lock the
 * day's counter row (it was one hot row updated by every report), and only one in `blockSize`
 * reports runs the update at all.
 *
 * References stay unique (blocks never overlap, across processes and replicas too) and increase
 * within a process; they are not dense: numbers of a block a process has not handed out when it
 * stops are never used, and replicas interleave their blocks. Failed reports, co-reports and
 * idempotent replays also leave gaps (they did before). A reference only has to be unique and
 * readable, so gaps are acceptable.
 */
export class ReferenceAllocator {
  /** Current block per day (the newest two days: a request may still carry yesterday's date at midnight). */
  private readonly blocks = new Map<string, Block>();
  /** The block reservation in flight per day: concurrent requests share it. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly reserve: ReserveBlock,
    private readonly blockSize: number,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 1)
      throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  }

  /** The next number of `day` (YYYY-MM-DD) for this process. */
  async next(day: string): Promise<number> {
    for (;;) {
      const block = this.blocks.get(day);
      if (block && block.next <= block.last) return block.next++;
      let reservation = this.pending.get(day);
      if (!reservation) {
        reservation = this.refill(day).finally(() => this.pending.delete(day));
        this.pending.set(day, reservation);
      }
      await reservation;
    }
  }

  private async refill(day: string): Promise<void> {
    const last = await this.reserve(day, this.blockSize);
    this.blocks.set(day, { next: last - this.blockSize + 1, last });
    if (this.blocks.size > 2) {
      const oldest = [...this.blocks.keys()].filter((d) => d !== day).sort()[0];
      this.blocks.delete(oldest);
    }
  }
}
