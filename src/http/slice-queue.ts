// The HTTP layer's read work (answering a read, the later slices of large answers, handing
// finished slices to the connections waiting for them) runs from one queue, in first-come order,
// for a bounded time per turn of the event loop. Between turns the loop takes new requests and
// answers writes (which do not queue), so however many reads are waiting, a write waits for one
// turn at most, and a large answer delays a small one by one turn at most.

/** Work done per turn before the queue yields to the event loop. */
export const DEFAULT_SLICE_BUDGET_MS = 4;

export type SliceTask = () => void;

export class SliceQueue {
  private readonly tasks: SliceTask[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    readonly budgetMs: number = DEFAULT_SLICE_BUDGET_MS,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs `task` on a later turn, after the tasks queued before it. */
  push(task: SliceTask): void {
    this.tasks.push(task);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.turn());
    }
  }

  /** Runs `fn` as a task and resolves with what it returned (rejects with what it threw). */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.push(() => {
        try {
          resolve(fn());
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Tasks waiting (for metrics and tests). */
  get size(): number {
    return this.tasks.length - this.head;
  }

  /** The end of the current turn's budget, for a task that slices its own work. */
  deadline(): number {
    return this.now() + this.budgetMs;
  }

  private turn(): void {
    this.scheduled = false;
    const end = this.now() + this.budgetMs;
    // Only the tasks queued before this turn: those a task queues wait for the next one.
    const last = this.tasks.length;
    while (this.head < last) {
      const task = this.tasks[this.head]!;
      this.head++;
      try {
        task();
      } catch {
        // A task owns its errors (it fails its own answer); one failing must not stop the rest.
      }
      if (this.now() >= end) break;
    }
    if (this.head >= this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024 && this.head * 2 > this.tasks.length) {
        this.tasks.splice(0, this.head);
        this.head = 0;
      }
      // A task that queued more work already scheduled the next turn: one turn per loop
      // iteration, never two (each would schedule two more, and a long answer would then run
      // turn after turn in one iteration, holding timers and I/O for hundreds of milliseconds).
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.turn());
      }
    }
  }
}
