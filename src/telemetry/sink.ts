// What the registry fans every accepted metric out to: the full name (service prefix and, for
// gauges, the hostname prefix already applied) and the labels (host label included).
import type { MetricLabels } from '../structs/metrics.js';

export interface MetricSink {
  setGauge(name: string, value: number, labels: MetricLabels | undefined): void;
  incrCounter(name: string, value: number, labels: MetricLabels | undefined): void;
  addSample(name: string, value: number, labels: MetricLabels | undefined): void;
}

/** One series of a family: the name and its labels, in the order the caller gave them. */
export function seriesKey(name: string, labels: MetricLabels | undefined): string {
  if (labels === undefined) return name;
  let key = name;
  for (const k in labels) key += `;${k}=${labels[k]}`;
  return key;
}
