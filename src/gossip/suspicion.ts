// Lifeguard's suspicion timer: it starts at a maximum and shrinks toward a minimum on a log
// scale as independent members confirm the suspicion, so that a truly dead member is declared
// quickly while a lone slow prober cannot condemn a healthy one.

export interface SuspicionBounds {
  readonly minMs: number;
  readonly maxMs: number;
  /** Confirmations that bring the timeout down to the minimum. */
  readonly expectedConfirmations: number;
}

/** memberlist's formulas: min = mult * max(1, log10(n)) * interval, max = maxMult * min, k = mult - 2. */
export function suspicionBounds(suspicionMult: number, suspicionMaxTimeoutMult: number, probeIntervalMs: number, aliveCount: number): SuspicionBounds {
  const scale = Math.max(1, Math.log10(Math.max(1, aliveCount)));
  const minMs = Math.floor(suspicionMult * scale * probeIntervalMs);
  const maxMs = suspicionMaxTimeoutMult * minMs;
  // With too few members to ever gather k confirmations, start at the minimum right away.
  let k = suspicionMult - 2;
  if (aliveCount - 2 < k) k = 0;
  return { minMs, maxMs, expectedConfirmations: Math.max(0, k) };
}

export function suspicionTimeoutMs(b: SuspicionBounds, confirmations: number): number {
  if (b.expectedConfirmations < 1) return b.minMs;
  const frac = Math.log(confirmations + 1) / Math.log(b.expectedConfirmations + 1);
  const t = b.maxMs - frac * (b.maxMs - b.minMs);
  return Math.max(b.minMs, Math.floor(t));
}

export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  deadlineMs: number;

  constructor(
    readonly incarnation: number,
    readonly startMs: number,
    readonly bounds: SuspicionBounds,
    firstAccuser: string,
  ) {
    // The first accuser does not count as a confirmation: only independent ones shrink the timer.
    this.confirmedBy.add(firstAccuser);
    this.deadlineMs = startMs + suspicionTimeoutMs(bounds, 0);
  }

  get confirmations(): number {
    return this.confirmedBy.size - 1;
  }

  /** True when `from` is a new independent confirmation (worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.confirmations >= this.bounds.expectedConfirmations) return false;
    if (this.confirmedBy.has(from)) return false;
    this.confirmedBy.add(from);
    this.deadlineMs = this.startMs + suspicionTimeoutMs(this.bounds, this.confirmations);
    return true;
  }
}
