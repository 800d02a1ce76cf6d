// The HTTP layer's read work (answering a read, the later slices of large answers, handing
// finished slices to the connections waiting for them) runs from one queue, in first-come order,
// for a bounded time per turn of the event loop. Between turns the loop takes new requests and
// answers writes (which do not queue), so however many reads are waiting, a write waits for one
// turn at most, and a large answer delays a small one by one turn at most. A write that has just
// arrived does not wait even that turn (see giveWay).

/**
 * Work done per turn before the queue yields to the event loop. A request that arrives while
 * hundreds of blocking queries are being answered waits for the turn under way, and the loop
 * iteration after a turn takes the next requests of the clients it answered: 2 ms keeps both
 * short (a job registration amid the answers of 500 watchers of the job list), for one more
 * turn (an immediate and a look at I/O) per 2 ms of answers.
 */
export const DEFAULT_SLICE_BUDGET_MS = 2;

export type SliceTask = () => void;

export class SliceQueue {
  private readonly tasks: SliceTask[] = [];
  private head = 0;
  private scheduled = false;
  /** The next turn gives way to a write that arrived (giveWay). */
  private givingWay = false;
  /** The last turn gave way: this one works whatever arrived meanwhile. */
  private gaveWay = false;

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

  /**
   * A write has arrived: the next turn does no work and comes back one loop iteration later. A
   * write is applied from an immediate of its own (the log's batch of the writes of that turn),
   * queued behind the turn already scheduled: without this, every write that lands amid a wave of
   * blocking queries waits for a full turn of their answers (the budget, more when the process is
   * preempted meanwhile) before it is even applied. Reads lose one turn, never two in a row, so a
   * stream of writes slows them down but cannot stall them.
   */
  giveWay(): void {
    // With no turn scheduled, the next one is queued after the write's own.
    if (this.scheduled) this.givingWay = true;
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
    const giveWay = this.givingWay && !this.gaveWay;
    this.givingWay = false;
    this.gaveWay = giveWay;
    if (giveWay) {
      this.scheduled = true;
      setImmediate(() => this.turn());
      return;
    }
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
