// A clock that moves only when a test says so: timers run in time order as the test advances
// it, and deferred work runs on the event loop's next turn as with the system clock.
import type { Clock, TimerHandle } from '../../src/structs/clock.js';
import { NS_PER_MS } from '../../src/structs/time.js';
import { EventQueue } from '../sim/event-queue.js';

interface Timer {
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private readonly queue = new EventQueue();

  constructor(private now: number) {}

  nowMs(): number {
    return this.now;
  }

  nowNs(): number {
    return this.now * NS_PER_MS;
  }

  monotonicMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const t: Timer = { cancelled: false };
    this.queue.push(this.now + Math.max(0, delayMs), () => {
      if (!t.cancelled) fn();
    });
    return t;
  }

  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (handle) (handle as Timer).cancelled = true;
  }

  defer(fn: () => void): void {
    setImmediate(fn);
  }

  /** Moves time to `targetMs`, running each due timer at its own time, in order. */
  advanceTo(targetMs: number): void {
    while (this.queue.peekMs() <= targetMs) {
      const ev = this.queue.pop()!;
      this.now = Math.max(this.now, ev.atMs);
      ev.run();
    }
    this.now = Math.max(this.now, targetMs);
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.now + ms);
  }
}
