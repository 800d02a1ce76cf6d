// The simulated clock's queue, shared by the raft and gossip simulations: a binary heap of
// timed actions ordered by time, then by insertion, so that equal times run in a
// reproducible order and a seed replays exactly.

export interface QueuedEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
}

/** The heap alone; the caller keeps the time (gossip moves its clock past idle stretches). */
export class EventQueue {
  private readonly heap: QueuedEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, run: () => void): void {
    const h = this.heap;
    h.push({ atMs, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** When the next event is due; Infinity when none is queued. */
  peekMs(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.atMs;
  }

  pop(): QueuedEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** A queue that keeps the time itself: now is the time of the last event run (raft). */
export class ClockedEventQueue extends EventQueue {
  nowMs = 0;

  at(timeMs: number, run: () => void): void {
    // An event in the past would run out of order and break replay.
    if (timeMs < this.nowMs) throw new RangeError(`event scheduled in the past (${timeMs} < ${this.nowMs})`);
    this.push(timeMs, run);
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.nowMs + delayMs, run);
  }

  /** Runs the next event; false when none is due before `untilMs`. */
  runNext(untilMs: number): boolean {
    if (this.peekMs() > untilMs) return false;
    const top = this.pop()!;
    this.nowMs = top.atMs;
    top.run();
    return true;
  }
}

function less(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
