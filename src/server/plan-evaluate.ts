// Checking a plan against the latest state (optimistic concurrency): the scheduler planned on a
// snapshot that may be stale, so every node of the plan is checked again here. The part that
// still fits is committed; for the rest the scheduler gets a RefreshIndex and tries again.
import type { Allocation } from '../structs/alloc.js';
import type { Node } from '../structs/node.js';
import type { Plan, PlanResult } from '../structs/plan.js';
import type { StateReader } from '../state/reader.js';
import type { PlanApplyEntry } from '../state/log-entries.js';
import { encodeAllocDeltas } from '../state/alloc-deltas.js';
import { allocTerminal } from '../structs/alloc.js';
import { nodeTableOf, type NodeTable } from '../scheduler/node-table.js';
import { portSetHas } from '../scheduler/port-set.js';
import { allocUsage, computeAllocUsage } from '../scheduler/resources.js';
import { deploymentActive } from '../structs/deployment.js';

export interface PlanEvaluation {
  result: PlanResult;
  /** The log entry to commit, or null when nothing of the plan is left to write. */
  entry: PlanApplyEntry | null;
  /** Nodes whose allocations the entry changes: a later plan touching them must be re-checked. */
  touchedNodes: Set<string>;
  /** Per rejected node, why (for logs and metrics). */
  rejections: Record<string, string>;
}

/** Why a node refuses new placements, or '' when it accepts them. */
function nodeRefusal(node: Node | null): string {
  if (!node) return 'node does not exist';
  if (node.Status !== 'ready') return 'node is not ready for placements';
  if (node.SchedulingEligibility === 'ineligible') return 'node is not eligible';
  return '';
}

function evaluateNode(snap: StateReader, table: NodeTable, plan: Plan, nodeId: string): string {
  // Allocations the plan writes that will hold resources: an update of one that is over on its
  // client (failed, say, and written again with its follow-up eval) holds nothing, as in Nomad.
  const placing = (plan.NodeAllocation[nodeId] ?? []).filter((a) => !allocTerminal(a));
  // A node that only loses allocations always "fits".
  if (placing.length === 0) return '';
  // The node table is built from this snapshot's very node list: its position lookup (a hash)
  // finds the node, and a node missing from it is missing from the snapshot.
  const pos = table.positionOf(nodeId);
  const refusal = nodeRefusal(pos >= 0 ? table.nodes[pos]! : null);
  if (refusal) return refusal;
  // Stored allocations whose usage the plan takes off the node: those it stops or preempts, and
  // those it writes a new version of. A placement never stored (CreateIndex 0) has none.
  const replaced = new Set<string>();
  for (const a of plan.NodeUpdate[nodeId] ?? []) replaced.add(a.ID);
  for (const a of plan.NodePreemptions[nodeId] ?? []) replaced.add(a.ID);
  for (const a of plan.NodeAllocation[nodeId] ?? []) if (a.CreateIndex !== 0) replaced.add(a.ID);
  return fitsWithUsage(snap, table, pos, nodeId, replaced, placing);
}

/**
 * The fit check from the node's current usage as the scheduler's node table keeps it (summed
 * once per version of the node's allocation list, extended as placements add to it), less what
 * the plan replaces, plus what it places: the cost follows the plan, not the node's allocation
 * count, which matters with hundreds of allocations per node.
 */
function fitsWithUsage(snap: StateReader, table: NodeTable, pos: number, nodeId: string, replaced: Set<string>, placing: Allocation[]): string {
  const base = table.baseUsageAt(pos, snap.allocsByNodeNonTerminal(nodeId));
  const cap = table.capacityAt(pos);
  let cpu = base.cpu;
  let mem = base.memMB;
  let disk = base.diskMB;
  const freedPorts: number[] = [];
  for (const id of replaced) {
    const a = snap.allocByID(id);
    if (a === null || a.NodeID !== nodeId || allocTerminal(a)) continue;
    const u = allocUsage(a);
    cpu -= u.cpu;
    mem -= u.memMB;
    disk -= u.diskMB;
    for (const p of u.ports) freedPorts.push(p);
  }
  const newPorts = new Set<number>();
  for (const a of placing) {
    const u = computeAllocUsage(a);
    cpu += u.cpu;
    mem += u.memMB;
    disk += u.diskMB;
    for (const p of u.ports) {
      const inUse = portSetHas(base.ports, p) && !freedPorts.includes(p);
      if (inUse || newPorts.has(p) || cap.reservedPorts.has(p)) return 'resources exhausted: reserved port collision';
      newPorts.add(p);
    }
  }
  if (cpu > cap.cpu) return 'resources exhausted: cpu';
  if (mem > cap.memMB) return 'resources exhausted: memory';
  if (disk > cap.diskMB) return 'resources exhausted: disk';
  return '';
}

export function evaluatePlan(snap: StateReader, plan: Plan, timestampNs: number): PlanEvaluation {
  const nodeIds = new Set<string>([...Object.keys(plan.NodeUpdate), ...Object.keys(plan.NodeAllocation), ...Object.keys(plan.NodePreemptions)]);
  const rejections: Record<string, string> = {};
  const accepted: string[] = [];
  const table = nodeTableOf(snap);
  for (const nodeId of nodeIds) {
    const why = evaluateNode(snap, table, plan, nodeId);
    if (why) rejections[nodeId] = why;
    else accepted.push(nodeId);
  }
  const rejected = Object.keys(rejections);
  // An all-at-once plan commits whole or not at all.
  const commitNodes = plan.AllAtOnce && rejected.length > 0 ? [] : accepted;
  const result: PlanResult = {
    NodeUpdate: {},
    NodeAllocation: {},
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: null,
    RejectedNodes: plan.AllAtOnce && rejected.length > 0 ? [...nodeIds] : rejected,
    RefreshIndex: rejected.length > 0 ? snap.latestIndex() : 0,
    AllocIndex: 0,
  };
  const updated: Allocation[] = [];
  const stopped: PlanApplyEntry['AllocsStopped'] = [];
  for (const nodeId of commitNodes) {
    const upd = plan.NodeUpdate[nodeId];
    if (upd?.length) {
      result.NodeUpdate[nodeId] = upd;
      for (const a of upd) {
        stopped.push({
          ID: a.ID,
          DesiredStatus: a.DesiredStatus,
          DesiredDescription: a.DesiredDescription,
          ...(a.ClientStatus === 'lost' ? { ClientStatus: 'lost' as const } : {}),
          ...(a.FollowupEvalID ? { FollowupEvalID: a.FollowupEvalID } : {}),
        });
      }
    }
    const pre = plan.NodePreemptions[nodeId];
    if (pre?.length) {
      result.NodePreemptions[nodeId] = pre;
      for (const a of pre) stopped.push({ ID: a.ID, DesiredStatus: 'evict', DesiredDescription: a.DesiredDescription || `Preempted by alloc ID ${a.PreemptedByAllocation}` });
    }
    const alloc = plan.NodeAllocation[nodeId];
    if (alloc?.length) {
      result.NodeAllocation[nodeId] = alloc;
      for (const a of alloc) updated.push(withoutPlanJob(a, plan.Job));
    }
  }
  const anyAllocChange = updated.length > 0 || stopped.length > 0;
  // The deployment goes with the plan unless nothing of the plan is committed at all.
  const keepDeployment = !(plan.AllAtOnce && rejected.length > 0) && (anyAllocChange || rejected.length === 0);
  if (keepDeployment) {
    result.Deployment = plan.Deployment;
    // A deployment may have ended (the watcher marked it successful or failed) since the
    // scheduler took its snapshot; an update of it is stale and is dropped, not applied.
    result.DeploymentUpdates = plan.DeploymentUpdates?.filter((u) => {
      const d = snap.deploymentByID(u.DeploymentID);
      return d !== null && deploymentActive(d);
    }) ?? null;
  }
  const hasDeploymentWork = result.Deployment !== null || (result.DeploymentUpdates?.length ?? 0) > 0;
  const entry: PlanApplyEntry | null =
    anyAllocChange || hasDeploymentWork
      ? {
          Type: 'PlanApply',
          EvalID: plan.EvalID,
          Job: plan.Job,
          ...allocsUpdated(updated),
          AllocsStopped: stopped,
          Deployment: result.Deployment,
          DeploymentUpdates: result.DeploymentUpdates ?? [],
          Evals: [],
          TimestampNs: timestampNs,
        }
      : null;
  return { result, entry, touchedNodes: new Set(commitNodes), rejections };
}

/**
 * The allocation as the log entry carries it: without its job when that is the plan's own, which
 * the entry carries once and the FSM gives back to every allocation meant to run (as Nomad's
 * plan applier strips AllocsUpdated). Each copy of the job made a placement's entry twice as
 * large, and encoding, replicating and decoding it twice as costly on every server.
 */
function withoutPlanJob(a: Allocation, planJob: Plan['Job']): Allocation {
  if (a.Job === null || planJob === null || a.DesiredStatus !== 'run' || !sameJobVersion(a.Job, planJob)) return a;
  return { ...a, Job: null };
}

/** The placements as the entry carries them: as deltas when they are alike (alloc-deltas.ts). */
function allocsUpdated(updated: Allocation[]): Pick<PlanApplyEntry, 'AllocsUpdated' | 'AllocsDelta'> {
  const deltas = encodeAllocDeltas(updated);
  return deltas === null ? { AllocsUpdated: updated } : { AllocsUpdated: deltas, AllocsDelta: true };
}

function sameJobVersion(a: NonNullable<Plan['Job']>, b: NonNullable<Plan['Job']>): boolean {
  return a === b || (a.ID === b.ID && a.Namespace === b.Namespace && a.Version === b.Version && a.CreateIndex === b.CreateIndex && a.JobModifyIndex === b.JobModifyIndex);
}
