// What the scheduler derives from the node table alone (positions, capacities, computed classes,
// the ready nodes of a set of datacenters), built once per version of the node table and shared
// by every evaluation that sees that version. Nodes change far less often than evaluations run:
// with 5,000 nodes and a hundred small jobs, redoing this per eval costs more than the placing.
import type { Node } from '../structs/node.js';
import type { StateReader } from '../state/reader.js';
import { nodeReady } from './nodes.js';
import { nodeCapacity, type NodeCapacity } from './resources.js';

export interface ReadyPositions {
  /** Positions (in NodeTable.nodes) of the ready nodes, in table order. Shared: copy before changing. */
  positions: Int32Array;
  byDC: Readonly<Record<string, number>>;
}

export class NodeTable {
  private readonly positions = new Map<string, number>();
  private readonly capacities: Array<NodeCapacity | undefined>;
  /** Computed class per position ('' when the node reports none). */
  readonly classes: string[];
  private readonly readyByDCs = new Map<string, ReadyPositions>();

  constructor(readonly nodes: readonly Node[]) {
    this.capacities = new Array<NodeCapacity | undefined>(nodes.length);
    this.classes = new Array<string>(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      this.positions.set(n.ID, i);
      this.classes[i] = n.ComputedClass ?? '';
    }
  }

  get size(): number {
    return this.nodes.length;
  }

  /** The node's position, or -1 when it is not in the table (gone). */
  positionOf(nodeId: string): number {
    return this.positions.get(nodeId) ?? -1;
  }

  capacityAt(pos: number): NodeCapacity {
    let c = this.capacities[pos];
    if (c === undefined) {
      c = nodeCapacity(this.nodes[pos]!);
      this.capacities[pos] = c;
    }
    return c;
  }

  /** Ready, eligible, not draining nodes in the datacenters, with counts per datacenter. */
  ready(datacenters: readonly string[]): ReadyPositions {
    const key = datacenters.join('\u0000');
    let r = this.readyByDCs.get(key);
    if (r) return r;
    const dcs = new Set(datacenters);
    const byDC: Record<string, number> = {};
    for (const dc of datacenters) byDC[dc] = 0;
    const picked: number[] = [];
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      if (!dcs.has(n.Datacenter) || !nodeReady(n)) continue;
      picked.push(i);
      byDC[n.Datacenter] = (byDC[n.Datacenter] ?? 0) + 1;
    }
    r = { positions: Int32Array.from(picked), byDC: Object.freeze(byDC) };
    // Bounded: a job names its datacenters from a small set, but a bound costs nothing.
    if (this.readyByDCs.size >= MAX_DC_SETS) this.readyByDCs.clear();
    this.readyByDCs.set(key, r);
    return r;
  }
}

const MAX_DC_SETS = 64;
/**
 * A few tables, not one: tests and simulations run several stores in one process, and a scheduler
 * may hold an older snapshot while a newer one is in use.
 */
const MAX_CACHED_TABLES = 4;
const cached: NodeTable[] = [];

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The table of the snapshot's nodes. Stored nodes are replaced on change, never mutated, so a table
 * built from the very same node objects in the same order is the same table: checking that is a
 * pass of pointer comparisons, with no index that could be shared by two different stores.
 */
export function nodeTableOf(state: StateReader): NodeTable {
  const nodes = state.nodes();
  for (let i = cached.length - 1; i >= 0; i--) {
    const t = cached[i]!;
    if (sameNodes(t.nodes, nodes)) {
      if (i !== cached.length - 1) {
        cached.splice(i, 1);
        cached.push(t);
      }
      return t;
    }
  }
  // A copy: the reader may hand out an array it later reuses or changes.
  const t = new NodeTable(nodes.slice());
  if (cached.length >= MAX_CACHED_TABLES) cached.shift();
  cached.push(t);
  return t;
}
