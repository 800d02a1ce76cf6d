// Which GET routes read the replicated state and so must be consistent on a follower: without
// ?stale, the server first catches up with what the leader has applied (Server.readBarrier).
// Routes about the agent itself, its client, its metrics and the cluster's status answer from
// this server alone, with or without a leader.
const STATE_READ_PREFIXES = ['job', 'jobs', 'allocation', 'allocations', 'evaluation', 'evaluations', 'deployment', 'deployments', 'node', 'nodes', 'namespace', 'namespaces', 'search', 'scaling', 'acl', 'volumes', 'volume'];

export function readsReplicatedState(method: string, path: string): boolean {
  if (method !== 'GET') return false;
  const first = path.split('/')[2] ?? '';
  if (STATE_READ_PREFIXES.includes(first)) return true;
  return path === '/v1/operator/scheduler/configuration' || path === '/v1/operator/autopilot/configuration';
}

/** Nomad's ?stale (present, and not "false"): any server may answer from its own state. */
export function allowsStale(query: URLSearchParams): boolean {
  return query.has('stale') && query.get('stale') !== 'false';
}
