// The agent's one metrics registry, in front of its sinks as go-metrics' Metrics is: it prefixes
// the service name ("nomad."), adds the host label (or, for gauges only, the hostname prefix),
// drops what prefix_filter blocks, and hands the rest to every sink. Every layer reports into it
// through the Metrics interface. The work per call is a cached name lookup and the sinks' own.
import { performance } from 'node:perf_hooks';
import type { MetricLabels, Metrics } from '../structs/metrics.js';
import type { PrefixFilter } from './prefix-filter.js';
import type { MetricSink } from './sink.js';

export interface RegistryOptions {
  /** "nomad": the first part of every name. */
  serviceName: string;
  /** The host label's value, or the gauges' name prefix. */
  hostname: string;
  /** go-metrics' EnableHostnameLabel: every metric carries host="<hostname>". */
  hostLabel: boolean;
  /** go-metrics' EnableHostname without the label: gauge names get the hostname after the service. */
  hostPrefixOnGauges: boolean;
  /** Null lets everything through. */
  filter: PrefixFilter | null;
  sinks: MetricSink[];
  /** Monotonic milliseconds, for measureSince. */
  nowMs?: () => number;
}

/** Bound of each name cache; names are a fixed vocabulary, so this is never reached in practice. */
const MAX_CACHED_NAMES = 10_000;

export class MetricsRegistry implements Metrics {
  private readonly sinks: MetricSink[];
  /** Full name (or null when filtered out) per name given by a caller. */
  private readonly names = new Map<string, string | null>();
  private readonly gaugeNames = new Map<string, string | null>();
  private readonly hostOnly: MetricLabels | undefined;
  private readonly withHost = new WeakMap<MetricLabels, MetricLabels>();
  readonly now: () => number;

  constructor(private readonly opts: RegistryOptions) {
    this.sinks = opts.sinks;
    this.hostOnly = opts.hostLabel ? Object.freeze({ host: opts.hostname }) : undefined;
    this.now = opts.nowMs ?? (() => performance.now());
  }

  incrCounter(name: string, value = 1, labels?: MetricLabels): void {
    const full = this.fullName(this.names, name, false);
    if (full === null) return;
    const l = this.labels(labels);
    for (const s of this.sinks) s.incrCounter(full, value, l);
  }

  setGauge(name: string, value: number, labels?: MetricLabels): void {
    const full = this.fullName(this.gaugeNames, name, this.opts.hostPrefixOnGauges);
    if (full === null) return;
    const l = this.labels(labels);
    for (const s of this.sinks) s.setGauge(full, value, l);
  }

  addSample(name: string, value: number, labels?: MetricLabels): void {
    const full = this.fullName(this.names, name, false);
    if (full === null) return;
    const l = this.labels(labels);
    for (const s of this.sinks) s.addSample(full, value, l);
  }

  measureSince(name: string, startMs: number, labels?: MetricLabels): void {
    this.addSample(name, this.now() - startMs, labels);
  }

  private fullName(cache: Map<string, string | null>, name: string, hostPrefix: boolean): string | null {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const { serviceName, hostname, filter } = this.opts;
    const full = [serviceName, hostPrefix ? hostname : '', name].filter((p) => p !== '').join('.');
    const out = filter === null || filter.allows(full) ? full : null;
    if (cache.size >= MAX_CACHED_NAMES) cache.clear();
    cache.set(name, out);
    return out;
  }

  /** The caller's labels with the host label; the same object back for the same labels object. */
  private labels(labels: MetricLabels | undefined): MetricLabels | undefined {
    if (this.hostOnly === undefined) return labels;
    if (labels === undefined) return this.hostOnly;
    let withHost = this.withHost.get(labels);
    if (withHost === undefined) {
      withHost = Object.freeze({ ...labels, host: this.hostOnly['host']! });
      this.withHost.set(labels, withHost);
    }
    return withHost;
  }
}
