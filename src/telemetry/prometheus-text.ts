// Prometheus' text exposition format (version 0.0.4) of the sink's families: HELP and TYPE lines,
// then one line per series; a summary prints its quantiles, then name_sum and name_count.
import type { MetricLabels } from '../structs/metrics.js';
import { SUMMARY_QUANTILES, type PromFamily } from './prometheus-sink.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function prometheusText(families: readonly PromFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    // go-metrics' sink uses the name as the help text.
    lines.push(`# HELP ${f.name} ${f.name}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.series) {
      if (f.type !== 'summary') {
        lines.push(`${f.name}${labelText(s.labels)} ${numberText(s.value)}`);
        continue;
      }
      SUMMARY_QUANTILES.forEach((q, i) => lines.push(`${f.name}${labelText(s.labels, String(q))} ${numberText(s.quantiles?.[i] ?? NaN)}`));
      lines.push(`${f.name}_sum${labelText(s.labels)} ${numberText(s.value)}`, `${f.name}_count${labelText(s.labels)} ${numberText(s.count)}`);
    }
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
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
