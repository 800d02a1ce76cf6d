// When a healed cluster has gone quiet: every server serves and has applied all that is
// committed under one leader running its duties, no job write is in flight, every client's node
// is ready with its reports acknowledged and knows every allocation placed on it, and the leader has no evaluation or plan left to work on.
import type { SimCluster } from './sim-cluster.js';

/** Why the cluster is not quiet yet ('' once it is). */
export function notQuiet(cluster: SimCluster): string {
  const { servers, clients, workload } = cluster;
  const down = servers.filter((s) => !s.current);
  if (down.length > 0) return `${down.map((s) => s.name).join(',')} not serving`;
  const leaders = servers.filter((s) => s.current!.consensus.isLeader());
  if (leaders.length !== 1) return `${leaders.length} leaders`;
  const l = leaders[0]!.current!;
  if (!l.server.isLeader()) return 'leader duties not running';
  const commitIndex = l.consensus.stats().commitIndex;
  for (const s of servers) {
    const applied = s.current!.consensus.raft.appliedIndexNow;
    if (applied !== commitIndex) return `${s.name} applied ${applied} of ${commitIndex}`;
  }
  if (workload.inFlight > 0) return `${workload.inFlight} job writes in flight`;
  const snap = l.store.snapshot();
  for (const c of clients) {
    if (!c.settled) return `${c.host} has reports not yet acknowledged`;
    const status = snap.nodeByID(c.node.ID)?.Status;
    if (status !== 'ready') return `${c.host} is ${status ?? 'not registered'}`;
    // A client follows its node's list by the changes since its last answer: an allocation it
    // was never told of would never run.
    for (const a of snap.allocsByNode(c.node.ID)) if (a.DesiredStatus === 'run' && !c.knows(a.ID)) return `${c.host} was not told of ${a.ID}`;
  }
  const b = l.server.broker.stats();
  if (b.totalReady + b.totalUnacked + b.totalPending + b.totalWaiting > 0) return `broker busy ${JSON.stringify(b)}`;
  if (l.server.planQueue.size > 0) return 'plans queued';
  const pending = snap.evals('*').filter((e) => e.Status === 'pending');
  if (pending.length > 0) return `${pending.length} evaluations pending`;
  return '';
}
