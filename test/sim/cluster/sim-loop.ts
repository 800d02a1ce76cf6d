// The simulated world's one clock and event loop. Everything that would wait on real time (timers,
// the event loop's next turn, disk and network delays) is an event on one seeded queue; between
// two events every pending promise settles (a microtask drain), so an await resumes at the
// simulated moment its promise was resolved, as it would in a real process, and a run depends on
// nothing but its seed.
import type { Clock, Random, TimerHandle } from '../../../src/structs/clock.js';
import type { RaftClock } from '../../../src/raft/raft.js';
import type { SeededRng } from '../../../src/raft/rng.js';
import { NS_PER_MS } from '../../../src/structs/time.js';
import { ClockedEventQueue } from '../event-queue.js';
import { realSetImmediate } from './real-time-guard.js';

/** Wall-clock time of the simulation's start (a fixed instant: times in the state replay too). */
export const SIM_EPOCH_MS = 1_800_000_000_000;

/** Resolves once every microtask queued so far, and those they queue, have run. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

export class SimLoop {
  readonly queue = new ClockedEventQueue();
  /** Work deferred to the next turn: runs before any timer, in the order it was deferred. */
  private deferred: Array<() => void> = [];
  events = 0;

  get nowMs(): number {
    return this.queue.nowMs;
  }

  after(delayMs: number, run: () => void): void {
    this.queue.after(Math.max(0, delayMs), run);
  }

  defer(run: () => void): void {
    this.deferred.push(run);
  }

  /** Runs the next deferred item or the next event due by `untilMs`, then settles promises; false when none. */
  async step(untilMs: number): Promise<boolean> {
    if (this.deferred.length > 0) {
      const batch = this.deferred;
      this.deferred = [];
      for (const run of batch) {
        run();
        this.events++;
        await drainMicrotasks();
      }
      return true;
    }
    if (!this.queue.runNext(untilMs)) return false;
    this.events++;
    await drainMicrotasks();
    return true;
  }
}

interface SimTimer {
  readonly kind: 'timer';
  cancelled: boolean;
}

/**
 * One life of one host (a server process or a client): its timers and deferred work run only
 * while this life lasts. A crash ends the life; whatever it had scheduled never runs, as when a
 * process dies.
 */
export class HostLife implements Clock, RaftClock {
  private alive = true;

  constructor(
    readonly loop: SimLoop,
    readonly host: string,
    readonly generation: number,
  ) {}

  get isAlive(): boolean {
    return this.alive;
  }

  end(): void {
    this.alive = false;
  }

  nowMs(): number {
    return SIM_EPOCH_MS + this.loop.nowMs;
  }

  nowNs(): number {
    return Math.round(this.nowMs() * NS_PER_MS);
  }

  monotonicMs(): number {
    return this.loop.nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const t: SimTimer = { kind: 'timer', cancelled: false };
    // As Node's timers: a delay below 1 ms (or not a number) is 1 ms, so a timer loop lets time pass.
    this.loop.after(Number.isFinite(delayMs) && delayMs >= 1 ? delayMs : 1, () => {
      if (!t.cancelled && this.alive) fn();
    });
    return t;
  }

  clearTimeout(handle: unknown): void {
    if (handle && typeof handle === 'object' && (handle as SimTimer).kind === 'timer') (handle as SimTimer).cancelled = true;
  }

  defer(fn: () => void): void {
    this.loop.defer(() => {
      if (this.alive) fn();
    });
  }

  /** Runs fn after `delayMs` if this life still lasts (the host's own scheduled work). */
  after(delayMs: number, fn: () => void): void {
    this.setTimeout(fn, delayMs);
  }
}

/** Seeded randomness in the server's shape (floats and UUIDs). */
export class SimRandom implements Random {
  constructor(private readonly rng: SeededRng) {}

  float(): number {
    return this.rng.nextFloat();
  }

  uuid(): string {
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    const a = hex(this.rng.next32());
    const b = hex(this.rng.next32());
    const c = hex(this.rng.next32());
    const d = hex(this.rng.next32());
    // Version 4, variant 10xx, as randomUUID makes them.
    const variant = ((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
}
