// What an agent prints on SIGUSR1, as go-metrics' signal handler: every retained in-memory
// interval, one line per gauge [G], counter [C] and sample [S], series named "name;label=value".
import type { Aggregate } from './aggregate.js';
import type { IntervalMetrics } from './interval-sink.js';
import { labelsKey } from './sink.js';
import { goTimestamp } from './metrics-json.js';

export function dumpIntervals(intervals: readonly IntervalMetrics[]): string {
  const lines: string[] = [];
  for (const intv of intervals) {
    const at = goTimestamp(intv.startMs);
    for (const g of intv.gauges.values()) lines.push(`[${at}][G] '${g.name}${labelsKey(g.labels)}': ${g.value.toFixed(3)}`);
    for (const c of intv.counters.values()) lines.push(`[${at}][C] '${c.name}${labelsKey(c.labels)}': ${aggregateText(c.agg)}`);
    for (const s of intv.samples.values()) lines.push(`[${at}][S] '${s.name}${labelsKey(s.labels)}': ${aggregateText(s.agg)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** go-metrics' AggregateSample.String(): the count and sum, with the spread when there is one. */
function aggregateText(a: Aggregate): string {
  if (a.count === 0) return 'Count: 0';
  if (a.stddev() === 0) return `Count: ${a.count} Sum: ${a.sum.toFixed(3)}`;
  return `Count: ${a.count} Min: ${a.min.toFixed(3)} Mean: ${a.mean().toFixed(3)} Max: ${a.max.toFixed(3)} Stddev: ${a.stddev().toFixed(3)} Sum: ${a.sum.toFixed(3)}`;
}
