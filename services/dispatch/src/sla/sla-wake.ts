import { Injectable } from '@nestjs/common';

/**
 * In-process signal from the case workflow to the SLA scanner: "a task's next timer is now at
 * this instant". The scanner sleeps until the earliest known timer; a nearer one wakes it early.
 * Other replicas learn of it through their own capped sleep (the database is the truth).
 */
@Injectable()
export class SlaWake {
  private listener?: (at: Date) => void;

  /** The scanner subscribes (one listener per process). */
  onTimer(listener: (at: Date) => void): void {
    this.listener = listener;
  }

  /** Called when a task's next timer is written (before commit: the scanner re-checks the row). */
  timerAt(at: Date): void {
    this.listener?.(at);
  }
}
