// The push sinks of the telemetry block, over hot-shots: statsd_address (StatsD over UDP),
// statsite_address (the same lines over TCP, as go-metrics' statsite sink) and datadog_address
// (DogStatsD over UDP, labels as tags). StatsD has no labels: as go-metrics does, label values
// are appended to the name ("nomad.client.host.cpu.user.<node_id>...cpu0").
import StatsDClient, { type StatsD } from 'hot-shots';
import type { MetricLabels } from '../structs/metrics.js';
import type { MetricSink } from './sink.js';
import { parseHostPort } from './sink-address.js';

export type StatsdFlavor = 'statsd' | 'statsite' | 'datadog';

export interface StatsdSinkOptions {
  flavor: StatsdFlavor;
  /** "host:port" ("[::1]:8125" for IPv6). */
  address: string;
  /** datadog_tags: "name:value" tags sent with every metric. */
  globalTags?: string[];
  /** Socket errors (an unreachable statsite, a full buffer); the sink keeps trying. */
  onError: (message: string) => void;
}

/** go-metrics' packet bound for StatsD over UDP: fits a common MTU. */
const MAX_PACKET_BYTES = 1432;
const FLUSH_INTERVAL_MS = 100;

/** StatsD's reserved characters in a name become "_", as go-metrics flattens keys. */
function flatName(name: string): string {
  return name.replace(/[:| @#,]/g, '_');
}

export class StatsdSink implements MetricSink {
  private readonly client: StatsD;
  private readonly tagged: boolean;

  constructor(opts: StatsdSinkOptions) {
    const addr = parseHostPort(opts.address);
    if (!addr) throw new Error(`${opts.flavor} address: want "host:port", got ${JSON.stringify(opts.address)}`);
    this.tagged = opts.flavor === 'datadog';
    this.client = new StatsDClient({
      host: addr.host,
      port: addr.port,
      protocol: opts.flavor === 'statsite' ? 'tcp' : 'udp',
      datadog: this.tagged,
      // Only what the configuration says: no tags from DD_* environment variables.
      includeDataDogTags: false,
      originDetection: false,
      globalTags: this.tagged ? (opts.globalTags ?? []) : [],
      maxBufferSize: MAX_PACKET_BYTES,
      bufferFlushInterval: FLUSH_INTERVAL_MS,
      tcpGracefulErrorHandling: true,
      errorHandler: (err) => opts.onError(`${opts.flavor} sink ${opts.address}: ${err.message}`),
    });
  }

  setGauge(name: string, value: number, labels: MetricLabels | undefined): void {
    this.tagged ? this.client.gauge(flatName(name), value, tags(labels)) : this.client.gauge(this.key(name, labels), value);
  }

  incrCounter(name: string, value: number, labels: MetricLabels | undefined): void {
    this.tagged ? this.client.increment(flatName(name), value, tags(labels)) : this.client.increment(this.key(name, labels), value);
  }

  addSample(name: string, value: number, labels: MetricLabels | undefined): void {
    this.tagged ? this.client.timing(flatName(name), value, tags(labels)) : this.client.timing(this.key(name, labels), value);
  }

  /** Flushes what is buffered and closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => this.client.close(() => resolve()));
  }

  private key(name: string, labels: MetricLabels | undefined): string {
    let key = name;
    if (labels) for (const k in labels) key += `.${labels[k]}`;
    return flatName(key);
  }
}

function tags(labels: MetricLabels | undefined): string[] {
  if (!labels) return [];
  const out: string[] = [];
  for (const k in labels) out.push(`${k}:${labels[k]}`);
  return out;
}
