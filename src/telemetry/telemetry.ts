// The agent's telemetry: the registry with its sinks as the telemetry block configures them (the
// in-memory sink always, Prometheus with prometheus_metrics, StatsD/statsite/DogStatsD with their
// addresses), and one collection loop that, every collection_interval, asks each part for its
// gauges (runtime, server, client host and allocations). Counters and timings are reported by
// the parts as things happen; the loop is the only thing that polls.
import type { Metrics } from '../structs/metrics.js';
import { IntervalSink } from './interval-sink.js';
import { metricsSummary, type MetricsSummaryJson } from './metrics-json.js';
import { dumpIntervals } from './metrics-dump.js';
import { parsePrefixRules, PrefixFilter } from './prefix-filter.js';
import { PrometheusSink } from './prometheus-sink.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheus-text.js';
import { MetricsRegistry } from './registry.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import type { MetricSink } from './sink.js';
import { StatsdSink } from './statsd-sink.js';

export interface TelemetryConfig {
  collectionIntervalMs: number;
  inMemoryCollectionIntervalMs: number;
  inMemoryRetentionPeriodMs: number;
  prometheusMetrics: boolean;
  disableHostname: boolean;
  useNodeName: boolean;
  filterDefault: boolean;
  prefixFilter: string[];
  statsdAddress: string;
  statsiteAddress: string;
  datadogAddress: string;
  datadogTags: string[];
}

export interface TelemetryOptions {
  config: TelemetryConfig;
  hostname: string;
  nodeName: string;
  /** A sink's socket trouble, worth a warning. */
  onSinkError: (message: string) => void;
  /** A collector that threw: its gauges are missing this round. */
  onCollectorError: (name: string, error: unknown) => void;
  /** The in-memory intervals' clock (wall-clock milliseconds); tests pass one that holds still. */
  intervalNowMs?: () => number;
}

/** Called every collection interval; may be async (the client reads /proc). */
export type Collector = () => void | Promise<void>;

/** A sink's errors are reported at most once per this period (a down statsite errs on every flush). */
const SINK_ERROR_REPORT_MS = 60_000;

export class Telemetry {
  readonly metrics: Metrics;
  private readonly inmem: IntervalSink;
  private readonly prom: PrometheusSink | null;
  private readonly push: StatsdSink[] = [];
  private readonly collectors = new Map<string, Collector>();
  private readonly runtime: RuntimeMetrics;
  private timer: NodeJS.Timeout | null = null;
  private collecting: Promise<void> | null = null;
  private readonly lastSinkErrorMs = new Map<string, number>();

  constructor(private readonly opts: TelemetryOptions) {
    const c = opts.config;
    this.inmem = new IntervalSink(c.inMemoryCollectionIntervalMs, c.inMemoryRetentionPeriodMs, ...(opts.intervalNowMs ? [opts.intervalNowMs] : []));
    this.prom = c.prometheusMetrics ? new PrometheusSink() : null;
    const sinks: MetricSink[] = [this.inmem];
    if (this.prom) sinks.push(this.prom);
    const onError = (msg: string): void => this.sinkError(msg);
    if (c.statsiteAddress) this.push.push(new StatsdSink({ flavor: 'statsite', address: c.statsiteAddress, onError }));
    if (c.statsdAddress) this.push.push(new StatsdSink({ flavor: 'statsd', address: c.statsdAddress, onError }));
    if (c.datadogAddress) this.push.push(new StatsdSink({ flavor: 'datadog', address: c.datadogAddress, globalTags: c.datadogTags, onError }));
    sinks.push(...this.push);
    const rules = parsePrefixRules(c.prefixFilter);
    if ('error' in rules) throw new Error(`telemetry.prefix_filter: ${rules.error}`);
    const filtered = rules.allowed.length + rules.blocked.length > 0 || !c.filterDefault;
    // go-metrics: the hostname is a label unless disable_hostname; use_node_name names the host
    // by the node and, with disable_hostname, prefixes gauge names with it instead.
    this.metrics = new MetricsRegistry({
      serviceName: 'nomad',
      hostname: c.useNodeName ? opts.nodeName : opts.hostname,
      hostLabel: !c.disableHostname,
      hostPrefixOnGauges: c.disableHostname && c.useNodeName,
      filter: filtered ? new PrefixFilter(rules, c.filterDefault) : null,
      sinks,
    });
    this.runtime = new RuntimeMetrics(this.metrics);
    this.addCollector('runtime', () => this.runtime.emit());
  }

  /** Registers a part's gauges; returns a function that removes it. */
  addCollector(name: string, collect: Collector): () => void {
    this.collectors.set(name, collect);
    return () => {
      if (this.collectors.get(name) === collect) this.collectors.delete(name);
    };
  }

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      void this.collectOnce().finally(() => {
        if (this.timer) this.arm(tick);
      });
    };
    this.arm(tick);
    void this.collectOnce();
  }

  /**
   * One round of every collector. A round still running when the next is due is not doubled:
   * the caller gets the running one.
   */
  collectOnce(): Promise<void> {
    this.collecting ??= (async () => {
      for (const [name, collect] of this.collectors) {
        // Each part in a turn of its own: the parts' gauges together held the event loop for
        // tens of milliseconds once a second.
        await new Promise<void>((resolve) => setImmediate(resolve));
        try {
          await collect();
        } catch (e) {
          this.opts.onCollectorError(name, e);
        }
      }
    })().finally(() => (this.collecting = null));
    return this.collecting;
  }

  /** GET /v1/metrics. */
  json(): MetricsSummaryJson {
    return metricsSummary(this.inmem.displayed());
  }

  /** SIGUSR1's dump: every retained in-memory interval, the one still filling last (as go-metrics' Data()). */
  dump(): string {
    return dumpIntervals(this.inmem.data());
  }

  /** GET /v1/metrics?format=prometheus; null when prometheus_metrics is off. */
  prometheus(): { contentType: string; text: string } | null {
    if (!this.prom) return null;
    return { contentType: PROMETHEUS_CONTENT_TYPE, text: prometheusText(this.prom.collect()) };
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.runtime.stop();
    await this.collecting?.catch(() => undefined);
    await Promise.all(this.push.map((s) => s.close()));
  }

  private arm(tick: () => void): void {
    this.timer = setTimeout(tick, this.opts.config.collectionIntervalMs);
    this.timer.unref();
  }

  private sinkError(message: string): void {
    const key = message.slice(0, message.indexOf(':'));
    const now = Date.now();
    if (now - (this.lastSinkErrorMs.get(key) ?? -Infinity) < SINK_ERROR_REPORT_MS) return;
    this.lastSinkErrorMs.set(key, now);
    this.opts.onSinkError(message);
  }
}
