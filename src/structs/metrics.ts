// What every layer reports its metrics into, in go-metrics' model: counters (summed over an
// interval), gauges (the last value set) and samples (timings in milliseconds, or any other
// observation, summarized over an interval). Names are dotted and have no service prefix:
// `nomad.fsm.register_job` is published as `nomad.nomad.fsm.register_job`, `client.host.cpu.user`
// as `nomad.client.host.cpu.user`. The agent's registry implements this; a layer receives it from
// whoever builds it and never knows where the figures go.

export type MetricLabels = Readonly<Record<string, string>>;

export interface Metrics {
  incrCounter(name: string, value?: number, labels?: MetricLabels): void;
  setGauge(name: string, value: number, labels?: MetricLabels): void;
  addSample(name: string, value: number, labels?: MetricLabels): void;
  /**
   * Milliseconds on the registry's own monotonic clock: the start of a measureSince. Durations
   * are observations only (nothing decides on them), so they are measured here rather than on a
   * server's injected clock, whose wall-clock milliseconds are too coarse for sub-ms timings.
   */
  now(): number;
  /** A sample of the milliseconds since `startMs` (a value of now()). */
  measureSince(name: string, startMs: number, labels?: MetricLabels): void;
}

/** Reports nothing: the default of every layer, and what simulations pass. */
export const noMetrics: Metrics = {
  incrCounter: () => undefined,
  setGauge: () => undefined,
  addSample: () => undefined,
  now: () => 0,
  measureSince: () => undefined,
};

/**
 * The labels Nomad adds for a child job: "web/dispatch-1700000000-abcd" is the dispatch
 * "1700000000-abcd" of parent "web" (periodic children likewise, with periodic_id).
 */
export function childJobLabels(jobId: string): Record<string, string> {
  for (const kind of ['dispatch', 'periodic'] as const) {
    const at = jobId.indexOf(`/${kind}-`);
    if (at >= 0) return { parent_id: jobId.slice(0, at), [`${kind}_id`]: jobId.slice(at + kind.length + 2) };
  }
  return {};
}
