// Nomad's RPC metrics at the server's endpoints: every call counts as an RPC request (reads also
// as a query), failures as request errors, and each call is timed under the endpoint's metric
// name, the one Nomad's endpoint measures (Node.UpdateStatus is nomad.client.update_status).
// The in-process channel of dev mode and the RPC server's dispatch both reach the endpoints
// through this one wrapper.
import type { Metrics } from '../structs/metrics.js';

export interface EndpointMetric {
  name: string;
  /** A read (Nomad counts these as rpc.query too). */
  query?: boolean;
}

export type EndpointMetrics = Record<string, EndpointMetric>;

export const NODE_ENDPOINT_METRICS: EndpointMetrics = {
  nodeRegister: { name: 'nomad.client.register' },
  nodeUpdateStatus: { name: 'nomad.client.update_status' },
  // A client whose fingerprint changed registers again, as Nomad's client does.
  nodeUpdateFingerprint: { name: 'nomad.client.register' },
  nodeGetClientAllocs: { name: 'nomad.client.get_client_allocs', query: true },
  allocGetAllocs: { name: 'nomad.alloc.get_allocs', query: true },
  nodeUpdateAllocs: { name: 'nomad.client.update_alloc' },
  updateEligibility: { name: 'nomad.client.update_eligibility' },
  updateDrain: { name: 'nomad.client.update_drain' },
};

export const JOB_ENDPOINT_METRICS: EndpointMetrics = {
  register: { name: 'nomad.job.register' },
  deregister: { name: 'nomad.job.deregister' },
  plan: { name: 'nomad.job.plan' },
  evaluate: { name: 'nomad.job.evaluate' },
  scale: { name: 'nomad.job.scale' },
  setStability: { name: 'nomad.job.stable' },
  revert: { name: 'nomad.job.revert' },
  periodicForce: { name: 'nomad.periodic.force' },
  dispatch: { name: 'nomad.job.dispatch' },
};

export const NAMESPACE_ENDPOINT_METRICS: EndpointMetrics = {
  upsert: { name: 'nomad.namespace.upsert_namespaces' },
  delete: { name: 'nomad.namespace.delete_namespaces' },
};

export const DEPLOYMENT_ENDPOINT_METRICS: EndpointMetrics = {
  promote: { name: 'nomad.deployment.promote' },
  fail: { name: 'nomad.deployment.fail' },
  pause: { name: 'nomad.deployment.pause' },
  setAllocHealth: { name: 'nomad.deployment.set_alloc_health' },
  stopAlloc: { name: 'nomad.alloc.stop' },
};

export const ACL_ENDPOINT_METRICS: EndpointMetrics = {
  bootstrap: { name: 'nomad.acl.bootstrap' },
  upsertPolicy: { name: 'nomad.acl.upsert_policies' },
  deletePolicy: { name: 'nomad.acl.delete_policies' },
  upsertToken: { name: 'nomad.acl.upsert_tokens' },
  deleteToken: { name: 'nomad.acl.delete_tokens' },
};

export const OPERATOR_ENDPOINT_METRICS: EndpointMetrics = {
  setSchedulerConfig: { name: 'nomad.operator.scheduler_set_configuration' },
  setAutopilotConfig: { name: 'nomad.operator.autopilot_set_configuration' },
  forceGc: { name: 'nomad.system.garbage_collect' },
  removeRaftPeer: { name: 'nomad.operator.raft_remove_peer' },
  autopilotHealth: { name: 'nomad.operator.server_health', query: true },
};

type AnyMethod = (...args: unknown[]) => unknown;

/** A view of `target` whose listed methods are counted and timed; everything else is the target's own. */
export function meterEndpoint<T extends object>(target: T, table: EndpointMetrics, metrics: Metrics): T {
  const wrapped = new Map<string, AnyMethod>();
  for (const [method, metric] of Object.entries(table)) {
    const fn = (target as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`endpoint has no method ${method}`);
    wrapped.set(method, (...args: unknown[]) => meterCall(metrics, metric, () => (fn as AnyMethod).apply(target, args)));
  }
  return new Proxy(target, {
    get: (t, key, receiver) => (typeof key === 'string' && wrapped.has(key) ? wrapped.get(key) : Reflect.get(t, key, receiver)),
  });
}

async function meterCall(metrics: Metrics, metric: EndpointMetric, call: () => unknown): Promise<unknown> {
  metrics.incrCounter('nomad.rpc.request');
  if (metric.query) metrics.incrCounter('nomad.rpc.query');
  const start = metrics.now();
  try {
    return await call();
  } catch (e) {
    metrics.incrCounter('nomad.rpc.request_error');
    throw e;
  } finally {
    metrics.measureSince(metric.name, start);
  }
}
