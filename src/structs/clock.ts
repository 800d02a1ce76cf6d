// Time and randomness as the server layer sees them. Production uses the system's; the
// deterministic simulation passes its own so that a whole cluster runs on one seeded clock and a
// failing seed replays exactly. Code above structs takes these from its context and never reads
// Date.now, performance.now, timers or Math.random directly.

import { NS_PER_MS } from './time.js';

/** An armed timer; only the clock that made it can cancel it. */
export type TimerHandle = { readonly kind: 'timer' } | object;

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  nowMs(): number;
  /** Nanoseconds since the epoch, as Nomad's API stamps times. */
  nowNs(): number;
  /** Milliseconds on a clock that never goes back (sub-millisecond), for measuring durations. */
  monotonicMs(): number;
  /** Runs `fn` once after `delayMs` (0 or more). */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  /** Runs `fn` after the work in progress, before any timer (the event loop's next turn). */
  defer(fn: () => void): void;
}

export interface Random {
  /** A float in [0, 1). */
  float(): number;
  /** A fresh 36-character UUID. */
  uuid(): string;
}

/** setTimeout caps near 24.8 days; later deadlines are re-armed when the cap fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowNs: () => Date.now() * NS_PER_MS + Number(process.hrtime.bigint() % 1_000_000n),
  monotonicMs: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, Math.min(MAX_DELAY_MS, Math.max(0, delayMs))),
  clearTimeout: (handle) => {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  },
  defer: (fn) => {
    setImmediate(fn);
  },
};

export const systemRandom: Random = {
  float: () => Math.random(),
  uuid: () => (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID(),
};

/** Calls `fn` every `intervalMs` until the returned function is called. */
export function every(clock: Clock, intervalMs: number, fn: () => void): () => void {
  let handle: TimerHandle | null = null;
  let stopped = false;
  const arm = (): void => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      fn();
      if (!stopped) arm();
    }, intervalMs);
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

/** Resolves after `delayMs` on `clock`, or at once when `signal` aborts. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
