// Driver metrics: latency summaries over a bounded window of recent samples,
// and counters.

export interface SummaryStats {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export class Summary {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;
  private sum = 0;

  constructor(windowSize = 4096) {
    this.samples = new Float64Array(windowSize);
  }

  observe(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
    this.count++;
    this.sum += value;
  }

  stats(): SummaryStats {
    // A typed array sorts numerically in native code, several times faster than an Array with a comparator.
    const window = this.samples.slice(0, this.filled).sort();
    const at = (q: number): number => (window.length === 0 ? 0 : (window[Math.min(window.length - 1, Math.floor(q * window.length))] as number));
    return { count: this.count, p50: at(0.5), p99: at(0.99), max: window.length ? (window[window.length - 1] as number) : 0, mean: this.count ? this.sum / this.count : 0 };
  }
}

/**
 * Where the driver reports hashicorp/raft's metrics as they happen (names like "raft.commitTime",
 * timings in milliseconds). The embedding program passes its own registry; the library knows
 * nothing of it.
 */
export interface RaftMetricsSink {
  incrCounter(name: string, value?: number, labels?: Readonly<Record<string, string>>): void;
  setGauge(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
  addSample(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}

export const NO_RAFT_METRICS: RaftMetricsSink = {
  incrCounter: () => undefined,
  setGauge: () => undefined,
  addSample: () => undefined,
};

export interface RaftMetrics {
  /** Proposal on the leader to commit. */
  readonly commitTimeMs: SummaryStats;
  /** FSM apply of one entry. */
  readonly applyTimeMs: SummaryStats;
  /** Durable write of one batch (hard state and entries). */
  readonly persistTimeMs: SummaryStats;
  readonly persistBatchEntries: SummaryStats;
  readonly lastContactMs: number | null;
  readonly leaderChanges: number;
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
}
