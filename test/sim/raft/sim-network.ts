// The simulated network: every message is dropped, delayed (hence reordered)
// or duplicated according to the current fault settings; partitions block
// directed links between servers.
import type { SeededRng } from '../../../src/raft/rng.js';
import type { ClockedEventQueue } from '../event-queue.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability of a long delay (up to 10x maxDelayMs), which reorders messages. */
  spikeRate: number;
}

export const RELIABLE: NetworkFaults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 3, spikeRate: 0 };

/** A lossy profile drawn from the seed: up to `maxDropPercent` loss and 2 + `maxDelaySpanMs` of delay. */
export function drawFaults(rng: SeededRng, maxDropPercent: number, maxDelaySpanMs: number): NetworkFaults {
  return {
    dropRate: rng.nextInt(maxDropPercent) / 100,
    duplicateRate: rng.nextInt(10) / 100,
    minDelayMs: 1,
    maxDelayMs: 2 + rng.nextInt(maxDelaySpanMs),
    spikeRate: rng.nextInt(10) / 100,
  };
}

export class SimNetwork {
  faults: NetworkFaults = { ...RELIABLE };
  private readonly blocked = new Set<string>();
  delivered = 0;
  dropped = 0;

  constructor(private readonly queue: ClockedEventQueue, private readonly rng: SeededRng) {}

  block(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  healAll(): void {
    this.blocked.clear();
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** Splits servers into groups that cannot talk across (symmetric partition). */
  partition(groups: readonly (readonly string[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.block(x, y);
      }
    }
  }

  /** Client requests are never duplicated: a real client would tag them for deduplication. */
  send(from: string, to: string, deliver: () => void, mayDuplicate = true): void {
    if (this.isBlocked(from, to) || this.rng.chance(this.faults.dropRate)) {
      this.dropped++;
      return;
    }
    const copies = mayDuplicate && this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.queue.after(this.delayMs(), () => {
        this.delivered++;
        deliver();
      });
    }
  }

  private delayMs(): number {
    const f = this.faults;
    const span = Math.max(1, f.maxDelayMs - f.minDelayMs + 1);
    const base = f.minDelayMs + this.rng.nextInt(span);
    return this.rng.chance(f.spikeRate) ? base + this.rng.nextInt(f.maxDelayMs * 10 + 1) : base;
  }
}
