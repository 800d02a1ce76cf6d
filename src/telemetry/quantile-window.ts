// The quantiles of a Prometheus summary over a sliding window (go-metrics' Prometheus sink uses
// a 10 s max age in 5 age buckets): observations land in the newest bucket, buckets older than
// the window are dropped, and quantiles are computed at scrape time over what remains. Each
// bucket keeps at most a bounded reservoir, so a hot timing costs constant memory.

export interface WindowOptions {
  maxAgeMs: number;
  ageBuckets: number;
  /** Observations kept per bucket; beyond it, a uniform reservoir sample. */
  bucketCapacity: number;
}

export const SUMMARY_WINDOW: WindowOptions = { maxAgeMs: 10_000, ageBuckets: 5, bucketCapacity: 500 };

interface Bucket {
  startMs: number;
  seen: number;
  values: number[];
}

export class QuantileWindow {
  private readonly buckets: Bucket[] = [];
  private readonly bucketMs: number;

  constructor(
    private readonly opts: WindowOptions = SUMMARY_WINDOW,
    private readonly random: () => number = Math.random,
  ) {
    this.bucketMs = opts.maxAgeMs / opts.ageBuckets;
  }

  observe(value: number, nowMs: number): void {
    const start = nowMs - (nowMs % this.bucketMs);
    let b = this.buckets[this.buckets.length - 1];
    if (b === undefined || b.startMs < start) {
      b = { startMs: start, seen: 0, values: [] };
      this.buckets.push(b);
      this.expire(nowMs);
    }
    b.seen++;
    if (b.values.length < this.opts.bucketCapacity) b.values.push(value);
    else {
      const slot = Math.floor(this.random() * b.seen);
      if (slot < this.opts.bucketCapacity) b.values[slot] = value;
    }
  }

  /** Each quantile (0..1) of the observations within the window; NaN when there are none. */
  quantiles(qs: readonly number[], nowMs: number): number[] {
    this.expire(nowMs);
    const all = this.buckets.flatMap((b) => b.values).sort((a, b) => a - b);
    return qs.map((q) => (all.length === 0 ? NaN : all[Math.min(all.length - 1, Math.max(0, Math.ceil(q * all.length) - 1))]!));
  }

  private expire(nowMs: number): void {
    const oldest = nowMs - this.opts.maxAgeMs;
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop]!.startMs + this.bucketMs <= oldest) drop++;
    if (drop > 0) this.buckets.splice(0, drop);
  }
}
