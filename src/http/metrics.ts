// /v1/metrics: the server's gauges (broker, blocked evals, plan queue, heartbeats) and process
// figures, in Nomad's JSON form or, with ?format=prometheus, in Prometheus text via prom-client.
import type { Server } from '../server/server.js';

export interface MetricGauge {
  Name: string;
  Value: number;
  Labels: Record<string, string>;
}

export interface MetricCounter {
  Name: string;
  Count: number;
  Rate: number;
  Sum: number;
  Min: number;
  Max: number;
  Mean: number;
  Stddev: number;
  Labels: Record<string, string>;
}

/** Counts of HTTP requests by route family, kept by the HTTP server. */
export class RequestCounters {
  readonly counts = new Map<string, number>();
  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
}

/** The server's gauges and the process's; an agent that runs no server (null) has the process's alone. */
export function serverGauges(server: Server | null, host: string): MetricGauge[] {
  const labels = { host };
  const g = (Name: string, Value: number, extra: Record<string, string> = {}): MetricGauge => ({ Name, Value, Labels: { ...labels, ...extra } });
  const runtime = [g('nomad.runtime.alloc_bytes', process.memoryUsage().heapUsed), g('nomad.runtime.sys_bytes', process.memoryUsage().rss)];
  if (server === null) return runtime;
  const s = server.stats();
  const out: MetricGauge[] = [
    ...runtime,
    g('nomad.nomad.broker.total_ready', s.broker.totalReady),
    g('nomad.nomad.broker.total_unacked', s.broker.totalUnacked),
    g('nomad.nomad.broker.total_pending', s.broker.totalPending),
    g('nomad.nomad.broker.total_waiting', s.broker.totalWaiting),
    g('nomad.nomad.blocked_evals.total_blocked', s.blocked.totalBlocked),
    g('nomad.nomad.blocked_evals.total_escaped', s.blocked.totalEscaped),
    g('nomad.nomad.plan.queue_depth', s.planQueueDepth),
    g('nomad.nomad.heartbeat.active', s.heartbeatTimers),
  ];
  for (const [type, b] of Object.entries(s.broker.byScheduler)) {
    out.push(g(`nomad.nomad.broker.${type}_ready`, b.ready), g(`nomad.nomad.broker.${type}_unacked`, b.unacked));
  }
  return out.sort((a, b) => (a.Name < b.Name ? -1 : 1));
}

export function metricsJson(server: Server | null, host: string, counters: RequestCounters): Record<string, unknown> {
  const Counters: MetricCounter[] = [...counters.counts.entries()].map(([Name, n]) => ({ Name, Count: n, Rate: n / 10, Sum: n, Min: 1, Max: 1, Mean: 1, Stddev: 0, Labels: { host } }));
  return {
    Timestamp: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    Gauges: serverGauges(server, host),
    Points: [],
    Counters,
    Samples: [],
  };
}
