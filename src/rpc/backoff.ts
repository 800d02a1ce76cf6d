// How long a pool waits before dialing a peer that failed again: doubling from baseMs up to
// maxMs, with jitter so that callers that lost a peer together do not all return at once.

export interface ReconnectBackoff {
  /** Wait after the first failure. Default 100 ms. */
  baseMs?: number;
  /** The longest wait. Default 5000 ms. */
  maxMs?: number;
  /** Share of each wait that is random, 0..1. Default 0.5: a wait is between half and all of its step. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<ReconnectBackoff> = { baseMs: 100, maxMs: 5000, jitter: 0.5 };

/** The wait after `failures` (>= 1) failed dials in a row; `random` returns [0, 1). */
export function backoffDelayMs(failures: number, b: Required<ReconnectBackoff>, random: () => number): number {
  const step = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
  const jitter = Math.min(1, Math.max(0, b.jitter));
  return Math.round(step * (1 - jitter) + random() * step * jitter);
}

export function resolveBackoff(b: ReconnectBackoff | undefined): Required<ReconnectBackoff> {
  const r = { ...DEFAULT_BACKOFF, ...(b ?? {}) };
  if (!(r.baseMs > 0) || !(r.maxMs >= r.baseMs)) throw new RangeError(`reconnect backoff: want 0 < baseMs <= maxMs, got ${r.baseMs} and ${r.maxMs}`);
  if (!(r.jitter >= 0 && r.jitter <= 1)) throw new RangeError(`reconnect backoff: jitter must be within [0, 1], got ${r.jitter}`);
  return r;
}
