// A Metrics that records what a layer reported, for tests of what is emitted and how it is named.
import type { MetricLabels, Metrics } from '../../src/structs/metrics.js';

export interface Recorded {
  kind: 'counter' | 'gauge' | 'sample';
  name: string;
  value: number;
  labels: MetricLabels | undefined;
}

export class RecordingMetrics implements Metrics {
  readonly seen: Recorded[] = [];
  private clockMs = 0;

  incrCounter(name: string, value = 1, labels?: MetricLabels): void {
    this.seen.push({ kind: 'counter', name, value, labels });
  }
  setGauge(name: string, value: number, labels?: MetricLabels): void {
    this.seen.push({ kind: 'gauge', name, value, labels });
  }
  addSample(name: string, value: number, labels?: MetricLabels): void {
    this.seen.push({ kind: 'sample', name, value, labels });
  }
  /** Advances one millisecond per reading, so every measured duration is positive and known. */
  now(): number {
    return ++this.clockMs;
  }
  measureSince(name: string, startMs: number, labels?: MetricLabels): void {
    this.addSample(name, this.now() - startMs, labels);
  }

  named(name: string, kind?: Recorded['kind']): Recorded[] {
    return this.seen.filter((r) => r.name === name && (kind === undefined || r.kind === kind));
  }

  /** The last value set for a gauge whose labels include `match`. */
  gauge(name: string, match: Record<string, string> = {}): number | undefined {
    const hits = this.named(name, 'gauge').filter((r) => Object.entries(match).every(([k, v]) => r.labels?.[k] === v));
    return hits[hits.length - 1]?.value;
  }

  clear(): void {
    this.seen.length = 0;
  }
}
