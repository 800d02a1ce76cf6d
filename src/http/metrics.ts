// GET /v1/metrics and the API's own measurements. The agent's telemetry renders the figures; the
// API only answers with them. Reads the API serves from the state store are what Nomad serves
// through RPC endpoints (Job.GetJob, Node.List...), so each is timed under that endpoint's metric
// name and counted as an RPC request and query, as Nomad counts them; writes are timed where the
// server's endpoints run them.
import type { Metrics } from '../structs/metrics.js';
import type { Exchange } from './exchange.js';

export interface MetricsSource {
  /** go-metrics' JSON summary of the last finished interval. */
  json(): unknown;
  /** The Prometheus text exposition; null when the telemetry block has prometheus_metrics off. */
  prometheus(): { contentType: string; text: string } | null;
}

export async function serveMetrics(x: Exchange, source: MetricsSource | null): Promise<void> {
  const format = x.query.get('format');
  if (format === 'prometheus') {
    const prom = source?.prometheus() ?? null;
    // Nomad answers 200 with only its process's collectors when the sink is off; ours has none,
    // so the body says why it is empty (a comment line, which scrapers ignore).
    if (prom === null) return x.sendText(200, 'text/plain; version=0.0.4; charset=utf-8', '# prometheus_metrics is not enabled in this agent\'s telemetry block\n');
    return x.sendText(200, prom.contentType, prom.text);
  }
  if (source === null) return x.sendJson(200, { Counters: [], Gauges: [], Points: [], Samples: [], Timestamp: '' });
  await x.sendJson(200, source.json());
}

/** Nomad's RPC metric of each GET route that reads the replicated state (names without "nomad."). */
const READ_ROUTE_METRICS: Record<string, string> = {
  '/v1/jobs': 'nomad.job.list',
  '/v1/job/:id': 'nomad.job.get_job',
  '/v1/job/:id/allocations': 'nomad.job.allocations',
  '/v1/job/:id/evaluations': 'nomad.job.evaluations',
  '/v1/job/:id/summary': 'nomad.job_summary.get_job_summary',
  '/v1/job/:id/versions': 'nomad.job.get_job_versions',
  '/v1/job/:id/deployments': 'nomad.job.deployments',
  '/v1/job/:id/deployment': 'nomad.job.latest_deployment',
  '/v1/job/:id/scale': 'nomad.job.scale_status',
  '/v1/nodes': 'nomad.client.list',
  '/v1/node/:id': 'nomad.client.get_node',
  '/v1/node/:id/allocations': 'nomad.client.get_allocs',
  '/v1/allocations': 'nomad.alloc.list',
  '/v1/allocation/:id': 'nomad.alloc.get_alloc',
  '/v1/evaluations': 'nomad.eval.list',
  '/v1/evaluation/:id': 'nomad.eval.get_eval',
  '/v1/evaluation/:id/allocations': 'nomad.eval.allocations',
  '/v1/deployments': 'nomad.deployment.list',
  '/v1/deployment/:id': 'nomad.deployment.get_deployment',
  '/v1/deployment/allocations/:id': 'nomad.deployment.allocations',
  '/v1/deployment/:id/allocations': 'nomad.deployment.allocations',
  '/v1/namespaces': 'nomad.namespace.list_namespace',
  '/v1/namespace/:name': 'nomad.namespace.get_namespace',
};

/** What the client's agent serves (timed under the client's names, not counted as server RPCs). */
const CLIENT_ROUTE_METRICS: Record<string, string> = {
  'GET /v1/client/stats': 'client.client_stats.stats',
  'GET /v1/client/allocation/:id/stats': 'client.allocations.stats',
  'PUT /v1/client/allocation/:id/restart': 'client.allocations.restart',
  'POST /v1/client/allocation/:id/restart': 'client.allocations.restart',
  'PUT /v1/client/allocation/:id/signal': 'client.allocations.signal',
  'POST /v1/client/allocation/:id/signal': 'client.allocations.signal',
  'GET /v1/client/fs/ls/:alloc': 'client.file_system.list',
  'GET /v1/client/fs/stat/:alloc': 'client.file_system.stat',
  'GET /v1/client/fs/logs/:alloc': 'client.file_system.logs',
  'GET /v1/client/fs/cat/:alloc': 'client.file_system.stream',
  'GET /v1/client/fs/readat/:alloc': 'client.file_system.stream',
};

/** Starts measuring one API call; the returned function records it when the call is over. */
export function meterRoute(metrics: Metrics, method: string, pattern: string): (() => void) | null {
  const read = method === 'GET' ? READ_ROUTE_METRICS[pattern] : undefined;
  const name = read ?? CLIENT_ROUTE_METRICS[`${method} ${pattern}`];
  if (name === undefined) return null;
  if (read !== undefined) {
    metrics.incrCounter('nomad.rpc.request');
    metrics.incrCounter('nomad.rpc.query');
  }
  const start = metrics.now();
  return () => metrics.measureSince(name, start);
}
