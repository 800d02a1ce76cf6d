// Prometheus' text exposition format (version 0.0.4) of the sink's families: HELP and TYPE lines,
// then one line per series; a summary prints its quantiles, then name_sum and name_count.
import type { MetricLabels } from '../structs/metrics.js';
import { SUMMARY_QUANTILES, type PromFamily } from './prometheus-sink.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function prometheusText(families: readonly PromFamily[]): string {
  // One string grown in place: V8 keeps it as a rope and flattens it once, with far less garbage
  // than an array of lines joined at the end.
  let out = '';
  for (const f of families) {
    // go-metrics' sink uses the name as the help text.
    out += `# HELP ${f.name} ${f.name}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.series) {
      if (f.type !== 'summary') {
        out += `${f.name}${labelText(s.labels)} ${numberText(s.value)}\n`;
        continue;
      }
      for (let i = 0; i < SUMMARY_QUANTILES.length; i++) out += `${f.name}${labelText(s.labels, String(SUMMARY_QUANTILES[i]))} ${numberText(s.quantiles?.[i] ?? NaN)}\n`;
      out += `${f.name}_sum${labelText(s.labels)} ${numberText(s.value)}\n${f.name}_count${labelText(s.labels)} ${numberText(s.count)}\n`;
    }
  }
  return out;
}

/** The label pairs of a labels object, sorted by name and escaped; computed once per object. */
const pairsCache = new WeakMap<MetricLabels, string>();

function labelPairs(labels: MetricLabels): string {
  let pairs = pairsCache.get(labels);
  if (pairs === undefined) {
    pairs = Object.keys(labels)
      .sort()
      .map((k) => `${k}="${escapeValue(labels[k]!)}"`)
      .join(',');
    pairsCache.set(labels, pairs);
  }
  return pairs;
}

/** Labels sorted by name, values escaped (backslash, quote, newline); quantile last, as Go prints it. */
function labelText(labels: MetricLabels | undefined, quantile?: string): string {
  const pairs = labels === undefined ? '' : labelPairs(labels);
  if (quantile === undefined) return pairs === '' ? '' : `{${pairs}}`;
  return pairs === '' ? `{quantile="${quantile}"}` : `{${pairs},quantile="${quantile}"}`;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function numberText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
