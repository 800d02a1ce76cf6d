// What the registry fans every accepted metric out to: the full name (service prefix and, for
// gauges, the hostname prefix already applied) and the labels (host label included). Label
// objects are treated as immutable: callers that report the same series every round pass the
// same object, and its series key is computed once.
import type { MetricLabels } from '../structs/metrics.js';

export interface MetricSink {
  setGauge(name: string, value: number, labels: MetricLabels | undefined): void;
  incrCounter(name: string, value: number, labels: MetricLabels | undefined): void;
  addSample(name: string, value: number, labels: MetricLabels | undefined): void;
}

const keyCache = new WeakMap<MetricLabels, string>();

/** The labels as one string, in the order the caller gave them; '' for none. */
export function labelsKey(labels: MetricLabels | undefined): string {
  if (labels === undefined) return '';
  let key = keyCache.get(labels);
  if (key === undefined) {
    key = '';
    for (const k in labels) key += `;${k}=${labels[k]}`;
    keyCache.set(labels, key);
  }
  return key;
}

/**
 * Series grouped by family name, then by labels: a lookup is two map reads on strings that are
 * already hashed (the name is a literal, the labels' key is cached per labels object).
 */
export class SeriesTable<T> {
  readonly families = new Map<string, Map<string, T>>();

  get(name: string, labels: MetricLabels | undefined, create: () => T): T {
    let fam = this.families.get(name);
    if (fam === undefined) {
      fam = new Map();
      this.families.set(name, fam);
    }
    const key = labelsKey(labels);
    let s = fam.get(key);
    if (s === undefined) {
      s = create();
      fam.set(key, s);
    }
    return s;
  }

  *values(): IterableIterator<T> {
    for (const fam of this.families.values()) yield* fam.values();
  }
}
