// The state of one evaluation's planning: the plan being built and what it does to each node.
// Node usage is computed lazily (first time a node is looked at) from the snapshot minus the
// plan's stops plus the plan's placements, and then kept current as the plan grows, so a
// placement costs O(1) bookkeeping instead of a pass over the node's allocations. Records of
// nodes in the snapshot's node table sit in an array by table position: ranking visits
// thousands of nodes per eval, and a string-keyed map per visit showed up in profiles.
import type { Allocation, AllocClientStatus } from '../structs/alloc.js';
import { allocTerminal } from '../structs/alloc.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { Plan } from '../structs/plan.js';
import type { LiveAllocChanges, StateReader } from '../state/reader.js';
import { resolveTarget } from './constraints.js';
import { nodeTableOf, type NodeTable } from './node-table.js';
import { addAllocUsage, addUsage, allocUsage, copyUsage, nodeCapacity, type NodeCapacity, type NodeUsage } from './resources.js';
import type { Rng } from './rng.js';

/** Counts of the job's live allocations by a node property (distinct_property, spread). */
export class PropertyCounts {
  readonly counts = new Map<string, number>();
  constructor(
    readonly target: string,
    readonly group: string | null,
  ) {}

  applies(a: Allocation): boolean {
    return this.group === null || a.TaskGroup === this.group;
  }

  change(node: Node | null, delta: number): void {
    if (!node) return;
    const r = resolveTarget(this.target, node);
    if (!r.found) return;
    const next = (this.counts.get(r.value) ?? 0) + delta;
    if (next <= 0) this.counts.delete(r.value);
    else this.counts.set(r.value, next);
  }
}

/** What the eval knows about one node, gathered in one place so a candidate costs one lookup. */
export interface NodeRecord extends NodeUsage {
  /** Position in the node table; -1 for a node the snapshot does not have. */
  pos: number;
  /** The usage fields hold what the node will use once the plan applies (computed on first need). */
  usageReady: boolean;
  /**
   * Live allocations of this job on the node, by group: the first group the node saw in
   * jobGroup/jobGroupCount (most jobs have one group, and a Map per node was most of what
   * recording a placement allocated), any other in jobGroups.
   */
  jobGroup: string | null;
  jobGroupCount: number;
  jobGroups: Map<string, number> | null;
  jobTotal: number;
  /**
   * The plan stops, updates or places allocations on this node: usage computed later must walk
   * the snapshot's list against the plan instead of taking the shared per-node sum.
   */
  planTouched: boolean;
  /** The plan's list of allocations placed on this node (plan.NodeAllocation's entry), once there is one. */
  planAllocs: Allocation[] | null;
}

function newRecord(pos: number): NodeRecord {
  // The record is the usage too: one object per visited node instead of two.
  return { pos, cpu: 0, memMB: 0, diskMB: 0, ports: null, portCount: 0, usageReady: false, jobGroup: null, jobGroupCount: 0, jobGroups: null, jobTotal: 0, planTouched: false, planAllocs: null };
}

export class EvalContext {
  private table: NodeTable | null = null;
  /**
   * Records by table position. A map, not an array as long as the table: an eval keeps records
   * of the hundred or so nodes it touches, and a 5,000-slot array per eval was garbage.
   */
  private readonly byPos = new Map<number, NodeRecord>();
  /** Records of nodes outside the table (allocations on nodes that are gone). */
  private readonly others = new Map<string, NodeRecord>();
  private readonly stopped = new Map<string, Allocation>();
  /** Allocations the plan updates (new versions of ones in the snapshot), by ID. */
  private readonly planned = new Map<string, Allocation>();
  /**
   * Allocations the plan places anew: no snapshot list holds them, so nothing looks them up by
   * ID, and a list spares a hash of each fresh ID per placement.
   */
  private readonly placedNew: Allocation[] = [];
  /**
   * The job's allocations that will be running once the plan applies, by ID. Only spread and
   * distinct_property need them, so they are gathered (from the snapshot's list and the plan)
   * when first asked for and kept current from then on, instead of a map insert per placement.
   */
  private liveJobAllocs: Map<string, Allocation> | null = null;
  private readonly jobAllocs: Allocation[];
  private readonly propertyCounts = new Map<string, PropertyCounts>();
  private readonly nodeCache = new Map<string, Node | null>();

  constructor(
    public state: StateReader,
    readonly plan: Plan,
    readonly job: Job | null,
    readonly rng: Rng,
    readonly nowNs: number,
    jobAllocs: Allocation[],
  ) {
    this.jobAllocs = jobAllocs;
    for (const a of jobAllocs) if (!allocTerminal(a)) this.trackJobAlloc(a, 1);
  }

  private isJobAlloc(a: Allocation): boolean {
    return this.job !== null && a.JobID === this.job.ID && a.Namespace === this.job.Namespace;
  }

  private liveJobAllocsMap(): Map<string, Allocation> {
    if (this.liveJobAllocs === null) {
      const live = new Map<string, Allocation>();
      for (const a of this.jobAllocs) {
        const cur = this.current(a);
        if (cur && !allocTerminal(cur) && this.isJobAlloc(cur)) live.set(cur.ID, cur);
      }
      for (const a of this.planned.values()) if (!this.stopped.has(a.ID) && !allocTerminal(a) && this.isJobAlloc(a)) live.set(a.ID, a);
      for (const a of this.placedNew) if (!this.stopped.has(a.ID) && !allocTerminal(a) && this.isJobAlloc(a)) live.set(a.ID, a);
      this.liveJobAllocs = live;
    }
    return this.liveJobAllocs;
  }

  node(id: string): Node | null {
    let n = this.nodeCache.get(id);
    if (n === undefined) {
      n = this.state.nodeByID(id);
      this.nodeCache.set(id, n);
    }
    return n;
  }

  /** The snapshot's node table (shared across evals that see the same nodes). */
  nodeTable(): NodeTable {
    if (!this.table) {
      this.table = nodeTableOf(this.state);
      this.recordMarks = new Uint8Array(this.table.size);
      this.checkedStamps = new Int32Array(this.table.size);
      const changes = this.state.liveAllocChanges();
      this.liveChanges = this.table.syncTo(changes) ? changes : null;
    }
    return this.table;
  }

  /** The snapshot's live-allocation change entry, when the node table is synced to it. */
  private liveChanges: LiveAllocChanges | null = null;

  /** Per table position, the usage stamp this eval checked against its snapshot (0: none). */
  private checkedStamps: Int32Array = new Int32Array(0);

  recordAt(pos: number): NodeRecord {
    let r = this.byPos.get(pos);
    if (r === undefined) {
      r = newRecord(pos);
      this.byPos.set(pos, r);
      this.recordMarks[pos] = 1;
    }
    return r;
  }

  /** True when the eval has a record of the node at pos (a byte read; the records are scattered objects). */
  hasRecordAt(pos: number): boolean {
    return this.recordMarks[pos] === 1;
  }

  /** A byte per table position: 1 when byPos holds a record. */
  private recordMarks: Uint8Array = new Uint8Array(0);

  /** The record of the node at a table position, when the eval has made one (it touched or looked closely at the node). */
  existingRecordAt(pos: number): NodeRecord | undefined {
    return this.byPos.get(pos);
  }

  /**
   * What the node at a table position uses according to the snapshot, before this plan: the
   * table's shared sum, which is also left in the table's packed numbers for that position. It
   * is taken without a lookup when the node is unchanged since the table was synced to this
   * snapshot, or when this eval already checked it (and no eval on another snapshot replaced it
   * since: the stamps tell). The answer is shared: read it, never change it. Only for nodes the
   * plan has not touched (those have records).
   */
  baseUsageAt(pos: number): NodeUsage {
    const table = this.nodeTable();
    const changes = this.liveChanges;
    const fresh = changes !== null ? table.freshUsageAt(pos, changes) : undefined;
    if (fresh !== undefined) return fresh;
    const checked = this.checkedStamps[pos]!;
    if (checked !== 0 && checked === table.usageStamps[pos]) return table.storedUsageAt(pos)!;
    // The node object is read only here, when its list must be looked up. The lookup leaves its
    // answer as the table's base usage at pos, under a stamp this eval remembers.
    const usage = table.syncedUsageAt(pos, this.state.allocsByNodeNonTerminal(table.nodes[pos]!.ID), changes);
    this.checkedStamps[pos] = table.usageStamps[pos]!;
    return usage;
  }

  record(nodeId: string): NodeRecord {
    const pos = this.nodeTable().positionOf(nodeId);
    if (pos >= 0) return this.recordAt(pos);
    let r = this.others.get(nodeId);
    if (!r) {
      r = newRecord(-1);
      this.others.set(nodeId, r);
    }
    return r;
  }

  /** The record when one exists; stops and updates only adjust usage that was already computed. */
  private existingRecord(nodeId: string): NodeRecord | undefined {
    const pos = this.nodeTable().positionOf(nodeId);
    return pos >= 0 ? this.byPos.get(pos) : this.others.get(nodeId);
  }

  nodeCapacity(node: Node, rec?: NodeRecord): NodeCapacity {
    const table = this.nodeTable();
    const pos = rec ? rec.pos : table.positionOf(node.ID);
    return pos >= 0 && table.nodes[pos] === node ? table.capacityAt(pos) : nodeCapacity(node);
  }

  /** What the node will be using once the plan applies. */
  nodeUsage(nodeId: string, rec: NodeRecord = this.record(nodeId)): NodeUsage {
    if (rec.usageReady) return rec;
    rec.usageReady = true;
    if (!rec.planTouched && rec.pos >= 0) {
      copyUsage(this.baseUsageAt(rec.pos), rec);
      return rec;
    }
    const anyStopped = this.stopped.size > 0;
    const anyPlanned = this.planned.size > 0;
    for (const a of this.state.allocsByNodeNonTerminal(nodeId)) {
      if (allocTerminal(a) || (anyStopped && this.stopped.has(a.ID)) || (anyPlanned && this.planned.has(a.ID))) continue;
      addUsage(rec, allocUsage(a), 1);
    }
    if (rec.planTouched) {
      for (const a of this.plan.NodeAllocation[nodeId] ?? []) {
        if (!this.stopped.has(a.ID) && !allocTerminal(a)) addUsage(rec, allocUsage(a), 1);
      }
    }
    return rec;
  }

  /** How many live allocations of this job (of one group, or of any with null) sit on the node. */
  jobAllocsOnNode(nodeId: string, group: string | null, rec: NodeRecord = this.record(nodeId)): number {
    if (rec.jobTotal === 0) return 0;
    if (group === null) return rec.jobTotal;
    if (group === rec.jobGroup) return rec.jobGroupCount;
    return rec.jobGroups?.get(group) ?? 0;
  }

  properties(target: string, group: string | null): PropertyCounts {
    const key = `${group ?? '*'}\u0000${target}`;
    let p = this.propertyCounts.get(key);
    if (!p) {
      p = new PropertyCounts(target, group);
      for (const a of this.liveJobAllocsMap().values()) if (p.applies(a)) p.change(this.node(a.NodeID), 1);
      this.propertyCounts.set(key, p);
    }
    return p;
  }

  private trackJobAlloc(a: Allocation, delta: 1 | -1, rec: NodeRecord = this.record(a.NodeID)): void {
    if (!this.isJobAlloc(a)) return;
    if (this.liveJobAllocs !== null) {
      if (delta > 0) this.liveJobAllocs.set(a.ID, a);
      else this.liveJobAllocs.delete(a.ID);
    }
    if (rec.jobGroup === null) rec.jobGroup = a.TaskGroup;
    if (a.TaskGroup === rec.jobGroup) rec.jobGroupCount += delta;
    else {
      const m = (rec.jobGroups ??= new Map());
      m.set(a.TaskGroup, (m.get(a.TaskGroup) ?? 0) + delta);
    }
    rec.jobTotal += delta;
    for (const p of this.propertyCounts.values()) if (p.applies(a)) p.change(this.node(a.NodeID), delta);
  }

  /** The version of an allocation that counts now (the plan's, or the snapshot's when live). */
  private current(a: Allocation): Allocation | null {
    if (this.stopped.has(a.ID)) return null;
    const p = this.planned.get(a.ID);
    if (p) return p;
    return allocTerminal(a) ? null : a;
  }

  isStopped(allocId: string): boolean {
    return this.stopped.has(allocId);
  }

  appendStop(a: Allocation, description: string, clientStatus?: AllocClientStatus, followupEvalId?: string): void {
    if (this.stopped.has(a.ID)) return;
    const cur = this.current(a);
    const stop: Allocation = {
      ...a,
      DesiredStatus: 'stop',
      DesiredDescription: description,
      ClientStatus: clientStatus ?? a.ClientStatus,
      FollowupEvalID: followupEvalId ?? a.FollowupEvalID,
    };
    this.stopped.set(a.ID, stop);
    (this.plan.NodeUpdate[a.NodeID] ??= []).push(stop);
    this.record(a.NodeID).planTouched = true;
    if (cur) {
      const r = this.existingRecord(a.NodeID);
      if (r?.usageReady) addUsage(r, allocUsage(cur), -1);
      this.trackJobAlloc(cur, -1);
    }
  }

  /** Takes back a stop (a replacement could not be placed, so the old allocation stays). */
  popStop(a: Allocation): void {
    const stop = this.stopped.get(a.ID);
    if (!stop) return;
    this.stopped.delete(a.ID);
    const list = this.plan.NodeUpdate[a.NodeID];
    if (list) {
      const i = list.lastIndexOf(stop);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) delete this.plan.NodeUpdate[a.NodeID];
    }
    const cur = this.current(a);
    if (cur) {
      const r = this.existingRecord(a.NodeID);
      if (r?.usageReady) addUsage(r, allocUsage(cur), 1);
      this.trackJobAlloc(cur, 1);
    }
  }

  /**
   * Adds a new allocation or an updated version of an existing one to the plan. `pos` is the
   * node's table position when the caller has it (the ranked option), saving a lookup by ID.
   */
  appendAlloc(a: Allocation, previous: Allocation | null, pos = -1): void {
    const prev = previous ? this.current(previous) : null;
    const table = this.nodeTable();
    const rec = pos >= 0 && table.nodes[pos]?.ID === a.NodeID ? this.recordAt(pos) : this.record(a.NodeID);
    const u = rec.usageReady ? rec : null;
    if (previous) this.record(previous.NodeID).planTouched = true;
    if (prev) {
      if (u && prev.NodeID === a.NodeID) addUsage(u, allocUsage(prev), -1);
      this.trackJobAlloc(prev, -1);
    }
    if (!allocTerminal(a)) {
      if (u) addAllocUsage(u, a);
      this.trackJobAlloc(a, 1, rec);
    }
    if (previous !== null) this.planned.set(a.ID, a);
    else this.placedNew.push(a);
    rec.planTouched = true;
    // The plan's per-node lists sit in an object keyed by node ID (thousands of keys, so a
    // dictionary): the record keeps its node's list at hand for the next placement there.
    (rec.planAllocs ??= this.plan.NodeAllocation[a.NodeID] ??= []).push(a);
  }
}
