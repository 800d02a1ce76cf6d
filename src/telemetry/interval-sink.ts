// go-metrics' in-memory sink: metrics aggregated per fixed interval (in_memory_collection_interval,
// 10 s by default), the intervals of the retention period kept (in_memory_retention_period, 1 m).
// /v1/metrics shows the last finished interval, so its figures are whole.
import type { MetricLabels } from '../structs/metrics.js';
import { Aggregate } from './aggregate.js';
import { SeriesTable, type MetricSink } from './sink.js';

export interface GaugeValue {
  readonly name: string;
  value: number;
  readonly labels: MetricLabels | undefined;
}

export interface AggregateValue {
  readonly name: string;
  readonly labels: MetricLabels | undefined;
  readonly agg: Aggregate;
}

export class IntervalMetrics {
  readonly gauges = new SeriesTable<GaugeValue>();
  readonly counters = new SeriesTable<AggregateValue>();
  readonly samples = new SeriesTable<AggregateValue>();

  constructor(
    readonly startMs: number,
    readonly lengthMs: number,
  ) {}
}

export class IntervalSink implements MetricSink {
  private readonly intervals: IntervalMetrics[] = [];
  private readonly maxIntervals: number;

  constructor(
    readonly intervalMs: number,
    retentionMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!(intervalMs > 0) || !(retentionMs >= intervalMs)) throw new Error(`in-memory metrics need 0 < interval (${intervalMs} ms) <= retention (${retentionMs} ms)`);
    this.maxIntervals = Math.ceil(retentionMs / intervalMs);
  }

  setGauge(name: string, value: number, labels: MetricLabels | undefined): void {
    this.current().gauges.get(name, labels, () => ({ name, value, labels })).value = value;
  }

  incrCounter(name: string, value: number, labels: MetricLabels | undefined): void {
    this.current().counters.get(name, labels, () => ({ name, labels, agg: new Aggregate() })).agg.ingest(value);
  }

  addSample(name: string, value: number, labels: MetricLabels | undefined): void {
    this.current().samples.get(name, labels, () => ({ name, labels, agg: new Aggregate() })).agg.ingest(value);
  }

  /** The interval /v1/metrics shows: the last finished one, or the current one while it is the only one. */
  displayed(): IntervalMetrics {
    this.current();
    const n = this.intervals.length;
    return n === 1 ? this.intervals[0]! : this.intervals[n - 2]!;
  }

  /** Every retained interval, oldest first; the last is the one still filling. */
  data(): readonly IntervalMetrics[] {
    this.current();
    return this.intervals;
  }

  private current(): IntervalMetrics {
    const now = this.nowMs();
    const start = now - (now % this.intervalMs);
    const last = this.intervals[this.intervals.length - 1];
    // A clock that stepped back keeps filling the newest interval rather than reopening an old one.
    if (last !== undefined && last.startMs >= start) return last;
    const fresh = new IntervalMetrics(start, this.intervalMs);
    this.intervals.push(fresh);
    if (this.intervals.length > this.maxIntervals) this.intervals.splice(0, this.intervals.length - this.maxIntervals);
    return fresh;
  }
}
