// go-metrics' Prometheus sink: gauges keep their last value, counters their running total, and
// timings become summaries (sum, count and quantiles over a sliding window). A series nobody
// updated for the expiration time (60 s) disappears, so the allocations of a stopped job or a
// purged job's summary do not linger in Prometheus forever.
import type { MetricLabels } from '../structs/metrics.js';
import { QuantileWindow } from './quantile-window.js';
import { labelsKey, type MetricSink } from './sink.js';

export const SUMMARY_QUANTILES = [0.5, 0.9, 0.99] as const;
export const DEFAULT_EXPIRATION_MS = 60_000;

export type FamilyType = 'gauge' | 'counter' | 'summary';

interface Series {
  readonly labels: MetricLabels | undefined;
  value: number;
  count: number;
  window: QuantileWindow | null;
  /** Filled at collection for summaries. */
  quantiles: number[] | null;
  updatedMs: number;
}

/** One series as the text format prints it (quantiles only for summaries). */
export interface PromSeries {
  readonly labels: MetricLabels | undefined;
  readonly value: number;
  readonly count: number;
  readonly quantiles: number[] | null;
}

/** One family as the text format prints it. */
export interface PromFamily {
  name: string;
  type: FamilyType;
  series: PromSeries[];
}

/** go-metrics' flattening: dots and any other character Prometheus forbids become "_". */
export function prometheusName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

export class PrometheusSink implements MetricSink {
  private readonly families = new Map<string, { type: FamilyType; series: Map<string, Series> }>();
  private readonly names = new Map<string, string>();

  constructor(
    private readonly expirationMs: number = DEFAULT_EXPIRATION_MS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  setGauge(name: string, value: number, labels: MetricLabels | undefined): void {
    const s = this.series('gauge', name, labels);
    if (s) s.value = value;
  }

  incrCounter(name: string, value: number, labels: MetricLabels | undefined): void {
    const s = this.series('counter', name, labels);
    if (s) s.value += value;
  }

  addSample(name: string, value: number, labels: MetricLabels | undefined): void {
    const s = this.series('summary', name, labels);
    if (!s) return;
    s.value += value;
    s.count++;
    (s.window ??= new QuantileWindow()).observe(value, s.updatedMs);
  }

  /** Every live family, sorted by name, expired series dropped. */
  collect(): PromFamily[] {
    const now = this.nowMs();
    const out: PromFamily[] = [];
    for (const [name, fam] of this.families) {
      const series: Series[] = [];
      for (const [key, s] of fam.series) {
        if (now - s.updatedMs > this.expirationMs) {
          fam.series.delete(key);
          continue;
        }
        if (s.window) s.quantiles = s.window.quantiles(SUMMARY_QUANTILES, now);
        series.push(s);
      }
      if (series.length === 0) this.families.delete(name);
      else out.push({ name, type: fam.type, series });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The series a value lands in; null when the name is already a family of another type. */
  private series(type: FamilyType, name: string, labels: MetricLabels | undefined): Series | null {
    let promName = this.names.get(name);
    if (promName === undefined) {
      promName = prometheusName(name);
      this.names.set(name, promName);
    }
    let fam = this.families.get(promName);
    if (fam === undefined) {
      fam = { type, series: new Map() };
      this.families.set(promName, fam);
    } else if (fam.type !== type) {
      // One name, two types would make the whole exposition unreadable to Prometheus.
      return null;
    }
    const key = labelsKey(labels);
    const now = this.nowMs();
    let s = fam.series.get(key);
    if (s === undefined) {
      s = { labels, value: 0, count: 0, window: null, quantiles: null, updatedMs: now };
      fam.series.set(key, s);
    }
    s.updatedMs = now;
    return s;
  }
}
