// The simulated clock: a binary heap of events ordered by (time, insertion
// order), so that equal times run in a reproducible order.

interface QueuedEvent {
  readonly timeMs: number;
  readonly seq: number;
  readonly run: () => void;
}

export class EventQueue {
  private heap: QueuedEvent[] = [];
  private seq = 0;
  nowMs = 0;

  get size(): number {
    return this.heap.length;
  }

  at(timeMs: number, run: () => void): void {
    if (timeMs < this.nowMs) throw new RangeError(`event scheduled in the past (${timeMs} < ${this.nowMs})`);
    this.push({ timeMs, seq: this.seq++, run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.nowMs + delayMs, run);
  }

  /** Runs the next event; false when none is due before `untilMs`. */
  runNext(untilMs: number): boolean {
    const top = this.heap[0];
    if (!top || top.timeMs > untilMs) return false;
    this.pop();
    this.nowMs = top.timeMs;
    top.run();
    return true;
  }

  private less(a: QueuedEvent, b: QueuedEvent): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private push(ev: QueuedEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i] as QueuedEvent, h[parent] as QueuedEvent)) break;
      [h[i], h[parent]] = [h[parent] as QueuedEvent, h[i] as QueuedEvent];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as QueuedEvent;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as QueuedEvent, h[m] as QueuedEvent)) m = l;
      if (r < h.length && this.less(h[r] as QueuedEvent, h[m] as QueuedEvent)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as QueuedEvent, h[i] as QueuedEvent];
      i = m;
    }
  }
}
