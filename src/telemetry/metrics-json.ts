// GET /v1/metrics in go-metrics' JSON form: one interval's gauges, counters and samples, each
// sorted by name, with Rate as the sum per second of the interval.
import type { MetricLabels } from '../structs/metrics.js';
import type { AggregateValue, IntervalMetrics } from './interval-sink.js';

export interface GaugeJson {
  Labels: Record<string, string>;
  Name: string;
  Value: number;
}

export interface SampledJson {
  Count: number;
  Labels: Record<string, string>;
  Max: number;
  Mean: number;
  Min: number;
  Name: string;
  Rate: number;
  Stddev: number;
  Sum: number;
}

export interface MetricsSummaryJson {
  Counters: SampledJson[];
  Gauges: GaugeJson[];
  Points: unknown[];
  Samples: SampledJson[];
  Timestamp: string;
}

export function metricsSummary(interval: IntervalMetrics): MetricsSummaryJson {
  const perSecond = 1000 / interval.lengthMs;
  const sampled = (v: AggregateValue): SampledJson => ({
    Count: v.agg.count,
    Labels: labelsJson(v.labels),
    Max: v.agg.max,
    Mean: v.agg.mean(),
    Min: v.agg.min,
    Name: v.name,
    Rate: v.agg.sum * perSecond,
    Stddev: v.agg.stddev(),
    Sum: v.agg.sum,
  });
  return {
    Counters: [...interval.counters.values()].map(sampled).sort(byName),
    Gauges: [...interval.gauges.values()].map((g) => ({ Labels: labelsJson(g.labels), Name: g.name, Value: g.value })).sort(byName),
    Points: [],
    Samples: [...interval.samples.values()].map(sampled).sort(byName),
    Timestamp: goTimestamp(interval.startMs),
  };
}

function labelsJson(labels: MetricLabels | undefined): Record<string, string> {
  return labels ? { ...labels } : {};
}

function byName(a: { Name: string }, b: { Name: string }): number {
  return a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0;
}

/** Go's time.String() of a UTC time rounded to the second: "2026-11-21 17:39:30 +0000 UTC". */
export function goTimestamp(ms: number): string {
  const iso = new Date(Math.round(ms / 1000) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}
