// What the scheduler derives from the node table alone (positions, capacities, computed classes,
// the ready nodes of a set of datacenters), built once per version of the node table and shared
// by every evaluation that sees that version. Nodes change far less often than evaluations run:
// with 5,000 nodes and a hundred small jobs, redoing this per eval costs more than the placing.
import type { Allocation } from '../structs/alloc.js';
import { allocTerminal } from '../structs/alloc.js';
import type { Node } from '../structs/node.js';
import type { LiveAllocChanges, StateReader } from '../state/reader.js';
import { nodeReady } from './nodes.js';
import { addAllocUsage, computeCapacity, type NodeCapacity, type NodeUsage } from './resources.js';

export interface ReadyPositions {
  /** Positions (in NodeTable.nodes) of the ready nodes, in table order. Shared: copy before changing. */
  positions: Int32Array;
  byDC: Readonly<Record<string, number>>;
}

/** What a node's live allocations in some snapshot use, with the list it was summed from. */
interface BaseUsage extends NodeUsage {
  allocs: readonly Allocation[];
}

function sameAllocs(a: readonly Allocation[], b: readonly Allocation[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function keptList(allocs: readonly Allocation[]): readonly Allocation[] {
  return Object.isFrozen(allocs) ? allocs : allocs.slice();
}

function summedUsage(allocs: readonly Allocation[]): BaseUsage {
  const base: BaseUsage = { allocs: keptList(allocs), cpu: 0, memMB: 0, diskMB: 0, ports: null, portCount: 0 };
  for (const a of allocs) if (!allocTerminal(a)) addAllocUsage(base, a);
  return base;
}

/**
 * Whether `a` replaces `b` without changing what it uses: the same allocation with its resources
 * untouched and as live or terminal as before (a client's status report copies the resource
 * blocks over, so this is what nearly every update of an allocation is).
 */
function sameUsage(a: Allocation, b: Allocation): boolean {
  return a.ID === b.ID && a.AllocatedResources === b.AllocatedResources && a.Resources === b.Resources && allocTerminal(a) === allocTerminal(b);
}

/**
 * The usage of `allocs` from the usage of an earlier list of the node, when the new list is the
 * old one with allocations added (in any places, as a store ordered by ID inserts them) and some
 * replaced by updates that use the same (see sameUsage): only the added ones are summed.
 * Placements and status reports are nearly all that happens to a node's allocations, and
 * summing walks every allocation's resource blocks, scattered in memory. Null when some
 * allocation of the old list is gone or was replaced otherwise (then the list is summed again).
 */
function extendedUsage(old: BaseUsage, allocs: readonly Allocation[]): BaseUsage | null {
  const before = old.allocs;
  if (allocs.length < before.length) return null;
  // The port set is immutable: the new usage starts from the old one and replaces it as ports are added.
  const base: BaseUsage = { allocs: keptList(allocs), cpu: old.cpu, memMB: old.memMB, diskMB: old.diskMB, ports: old.ports, portCount: old.portCount };
  let i = 0;
  for (let j = 0; j < allocs.length; j++) {
    const a = allocs[j]!;
    if (i < before.length && (a === before[i] || sameUsage(a, before[i]!))) {
      i++;
      continue;
    }
    if (allocs.length - j <= before.length - i) return null; // not enough left to hold the rest of the old list
    if (!allocTerminal(a)) addAllocUsage(base, a);
  }
  return i < before.length ? null : base;
}

/** Layout of NodeTable.packed: eight numbers per node position. */
export const PACKED_STRIDE = 8;
export const PACKED_CAP_CPU = 0;
export const PACKED_CAP_MEM = 1;
export const PACKED_CAP_DISK = 2;
export const PACKED_PORT_ROOM = 3;
export const PACKED_USED_CPU = 4;
export const PACKED_USED_MEM = 5;
export const PACKED_USED_DISK = 6;
export const PACKED_PORT_COUNT = 7;

export class NodeTable {
  private readonly positions = new Map<string, number>();
  private readonly capacities: Array<NodeCapacity | undefined>;
  /**
   * Per position, the usage last summed for the node. Allocations are immutable once stored, so
   * the same allocation objects in the same order mean the same usage: an eval that finds the
   * node's list unchanged since another eval looked (most nodes, when many small jobs are placed
   * one after another) compares pointers instead of summing resources again.
   */
  private readonly baseUsages: Array<BaseUsage | undefined>;
  /**
   * Per position, 1 when baseUsages holds the usage of the node's list as of `syncedChanges`:
   * an eval whose snapshot is at that point of the change chain takes it without asking the
   * snapshot for the list. Looking a node up in the store's index was most of what visiting an
   * unchanged node cost.
   */
  private readonly fresh: Uint8Array;
  /** The change chain entry the fresh marks hold for (null: none do). */
  private syncedChanges: LiveAllocChanges | null = null;
  /**
   * The numbers ranking reads for every candidate, eight per position (64 bytes, one cache line)
   * so that a visit reads one line instead of two objects scattered in memory: capacity (cpu,
   * memory, disk, dynamic port room; NaN until computed) and the base usage of baseUsages (cpu,
   * memory, disk, port count). Offsets: PACKED_* below.
   */
  readonly packed: Float64Array;
  /**
   * Per position, a stamp that changes whenever baseUsages[pos] is replaced (0: never set). An
   * eval remembers the stamp it checked against its snapshot; a different stamp means another
   * eval (another snapshot) replaced the numbers since, and they must be checked again.
   */
  readonly usageStamps: Int32Array;
  private nextStamp = 1;
  /**
   * Computed class per position, as an index into classNames ('' when the node reports none):
   * ranking keeps a byte per class ("feasible") instead of looking a class string up in maps for
   * every candidate.
   */
  readonly classIds: Int32Array;
  readonly classNames: string[] = [];
  private readonly readyByDCs = new Map<string, ReadyPositions>();

  constructor(
    readonly nodes: readonly Node[],
    /** The reader's own list the table was built from (nodes is a copy of it). */
    readonly source: readonly Node[] = nodes,
  ) {
    this.capacities = new Array<NodeCapacity | undefined>(nodes.length);
    this.baseUsages = new Array<BaseUsage | undefined>(nodes.length);
    this.fresh = new Uint8Array(nodes.length);
    this.packed = new Float64Array(nodes.length * PACKED_STRIDE);
    for (let i = 0; i < nodes.length; i++) this.packed[i * PACKED_STRIDE + PACKED_CAP_CPU] = Number.NaN;
    this.usageStamps = new Int32Array(nodes.length);
    // One string object per distinct class: each node reports its own copy, and feasibility looks
    // its class up in a map. With a shared object the lookup compares pointers and reads one
    // cached hash instead of a scattered string per node.
    const canonical = new Map<string, number>();
    this.classIds = new Int32Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      this.positions.set(n.ID, i);
      const cls = n.ComputedClass ?? '';
      let id = canonical.get(cls);
      if (id === undefined) {
        id = this.classNames.length;
        this.classNames.push(cls);
        canonical.set(cls, id);
      }
      this.classIds[i] = id;
    }
  }

  get size(): number {
    return this.nodes.length;
  }

  /** The node's computed class (one shared string per class). */
  classAt(pos: number): string {
    return this.classNames[this.classIds[pos]!]!;
  }

  /** The node's position, or -1 when it is not in the table (gone). */
  positionOf(nodeId: string): number {
    return this.positions.get(nodeId) ?? -1;
  }

  capacityAt(pos: number): NodeCapacity {
    let c = this.capacities[pos];
    if (c === undefined) {
      // The table is the cache: the shared WeakMap by node costs more than the sum it saves.
      c = computeCapacity(this.nodes[pos]!);
      this.capacities[pos] = c;
      const at = pos * PACKED_STRIDE;
      this.packed[at + PACKED_CAP_CPU] = c.cpu;
      this.packed[at + PACKED_CAP_MEM] = c.memMB;
      this.packed[at + PACKED_CAP_DISK] = c.diskMB;
      this.packed[at + PACKED_PORT_ROOM] = c.portRoom;
    }
    return c;
  }

  /**
   * The usage of the node's live allocations as listed by the snapshot, shared: callers read it
   * and never change it. Ranking a node the plan has not touched needs nothing else, so the
   * thousands of nodes an eval visits cost no object each.
   */
  baseUsageAt(pos: number, allocs: readonly Allocation[]): NodeUsage {
    let base = this.baseUsages[pos];
    if (base === undefined || !sameAllocs(base.allocs, allocs)) {
      base = (base !== undefined ? extendedUsage(base, allocs) : null) ?? summedUsage(allocs);
      this.baseUsages[pos] = base;
      const at = pos * PACKED_STRIDE;
      this.packed[at + PACKED_USED_CPU] = base.cpu;
      this.packed[at + PACKED_USED_MEM] = base.memMB;
      this.packed[at + PACKED_USED_DISK] = base.diskMB;
      this.packed[at + PACKED_PORT_COUNT] = base.portCount;
      this.usageStamps[pos] = this.nextStamp++;
      // Summed for whichever snapshot asked: not known to match the synced point any more.
      this.fresh[pos] = 0;
    }
    return base;
  }

  /** The base usage last stored at pos, whichever snapshot it was summed for (undefined before any). */
  storedUsageAt(pos: number): NodeUsage | undefined {
    return this.baseUsages[pos];
  }

  /**
   * Moves the fresh marks to `changes` (a snapshot's newest change entry): the nodes changed
   * between the synced entry and this one lose their mark. When the synced entry is not on this
   * chain (an older snapshot, another store, a cut chain) every mark goes. Returns whether the
   * marks hold for `changes`.
   */
  syncTo(changes: LiveAllocChanges | null): boolean {
    if (changes === null) return false;
    if (changes === this.syncedChanges) return true;
    const target = this.syncedChanges;
    let e: LiveAllocChanges | null = changes;
    while (e !== null && e !== target) e = e.prev;
    if (e === null || target === null) {
      this.fresh.fill(0);
    } else {
      for (let c: LiveAllocChanges = changes; c !== target; c = c.prev!) {
        for (const id of c.nodeIds) {
          const pos = this.positions.get(id);
          if (pos !== undefined) this.fresh[pos] = 0;
        }
      }
    }
    this.syncedChanges = changes;
    return true;
  }

  /**
   * The node's base usage when `changes` is the synced point and the node is unchanged since
   * (its packed numbers hold for `changes` too); else undefined.
   */
  freshUsageAt(pos: number, changes: LiveAllocChanges): NodeUsage | undefined {
    return this.fresh[pos] === 1 && changes === this.syncedChanges ? this.baseUsages[pos] : undefined;
  }

  /** baseUsageAt, then marks the node fresh when `changes` is still the synced point. */
  syncedUsageAt(pos: number, allocs: readonly Allocation[], changes: LiveAllocChanges | null): NodeUsage {
    const base = this.baseUsageAt(pos, allocs);
    if (changes !== null && changes === this.syncedChanges) this.fresh[pos] = 1;
    return base;
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
    // The same list object is the same table: readers hand out node lists they never change
    // afterwards (a snapshot is immutable; the test harness replaces its list on a write).
    if (t.source === nodes || sameNodes(t.nodes, nodes)) {
      if (i !== cached.length - 1) {
        cached.splice(i, 1);
        cached.push(t);
      }
      return t;
    }
  }
  // A copy: the reader may hand out an array it later reuses or changes.
  const t = new NodeTable(nodes.slice(), nodes);
  if (cached.length >= MAX_CACHED_TABLES) cached.shift();
  cached.push(t);
  return t;
}
