// Nomad's runtime metrics (nomad.runtime.*), which Go's runtime feeds, mapped to what Node has:
// the heap in use and the resident set for alloc_bytes and sys_bytes, the event loop's active
// resources for num_goroutines (the concurrent work in flight), V8's GC pauses for the gc_*
// figures, and the event loop's delay, which Go has no need of. Go's malloc_count, free_count
// and heap_objects have no Node equivalent and are not emitted.
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import type { Metrics } from '../structs/metrics.js';

const NS_PER_MS = 1e6;

export class RuntimeMetrics {
  private gcRuns = 0;
  private gcPauseNs = 0;
  private readonly observer: PerformanceObserver;
  private readonly loopDelay: IntervalHistogram;

  constructor(private readonly metrics: Metrics) {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const pauseNs = e.duration * NS_PER_MS;
        this.gcRuns++;
        this.gcPauseNs += pauseNs;
        this.metrics.addSample('runtime.gc_pause_ns', pauseNs);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
  }

  /** One collection: gauges of the moment, and the event loop's delay since the last one. */
  emit(): void {
    const m = this.metrics;
    const mem = process.memoryUsage();
    m.setGauge('runtime.alloc_bytes', mem.heapUsed);
    m.setGauge('runtime.sys_bytes', mem.rss);
    m.setGauge('runtime.num_goroutines', activeResources());
    m.setGauge('runtime.total_gc_runs', this.gcRuns);
    m.setGauge('runtime.total_gc_pause_ns', this.gcPauseNs);
    const d = this.loopDelay;
    // Before its first sample the histogram's mean is NaN.
    if (!Number.isNaN(d.mean)) {
      m.setGauge('runtime.event_loop_delay_mean_ns', d.mean);
      m.setGauge('runtime.event_loop_delay_p99_ns', d.percentile(99));
      m.setGauge('runtime.event_loop_delay_max_ns', d.max);
    }
    d.reset();
  }

  stop(): void {
    this.observer.disconnect();
    this.loopDelay.disable();
  }
}

/** Handles and requests the event loop is waiting on (Node's getActiveResourcesInfo, untyped in @types/node 20.9). */
function activeResources(): number {
  const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  return info ? info.call(process).length : 0;
}
