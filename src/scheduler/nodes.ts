// Which nodes a job may use, and which of its allocations sit on nodes that went away.
import type { Allocation } from '../structs/alloc.js';
import { clientTerminal } from '../structs/alloc.js';
import type { Node } from '../structs/node.js';
import type { StateReader } from '../state/reader.js';

export function nodeDraining(n: Node): boolean {
  return n.DrainStrategy !== null || n.Drain;
}

export function nodeReady(n: Node): boolean {
  return n.Status === 'ready' && !nodeDraining(n) && n.SchedulingEligibility === 'eligible';
}

export interface ReadyNodes {
  nodes: Node[];
  byDC: Record<string, number>;
}

/** Ready, eligible, not draining nodes in the job's datacenters, with counts per datacenter. */
export function readyNodesInDCs(state: StateReader, datacenters: string[]): ReadyNodes {
  const dcs = new Set(datacenters);
  const byDC: Record<string, number> = {};
  for (const dc of datacenters) byDC[dc] = 0;
  const nodes: Node[] = [];
  for (const n of state.nodes()) {
    if (!dcs.has(n.Datacenter) || !nodeReady(n)) continue;
    nodes.push(n);
    byDC[n.Datacenter] = (byDC[n.Datacenter] ?? 0) + 1;
  }
  return { nodes, byDC };
}

/** Nodes of allocations still live on the client that are down, draining or gone (null). */
export function taintedNodes(lookup: (id: string) => Node | null, allocs: Allocation[]): Map<string, Node | null> {
  const out = new Map<string, Node | null>();
  const seen = new Set<string>();
  for (const a of allocs) {
    if (clientTerminal(a.ClientStatus) || seen.has(a.NodeID)) continue;
    seen.add(a.NodeID);
    const n = lookup(a.NodeID);
    if (!n) out.set(a.NodeID, null);
    else if (n.Status === 'down' || nodeDraining(n)) out.set(a.NodeID, n);
  }
  return out;
}
