// Allocations in the FSM: plans placing and stopping them, updates from clients, desired
// transitions; with the job summary counts and deployment counts that follow each change.
import type { Allocation, AllocClientStatus, DesiredTransition } from '../structs/alloc.js';
import { allocTerminal, clientTerminal } from '../structs/alloc.js';
import { badRequest } from '../structs/errors.js';
import type { Job } from '../structs/job.js';
import type { TaskGroupSummary } from '../structs/summary.js';
import type { AllocClientUpdate } from '../rpc/protocol.js';
import type { ApplyContext } from './fsm-context.js';
import { updateDeploymentWithAlloc } from './fsm-deployments.js';
import type { PlanApplyEntry } from './log-entries.js';
import { planAllocsUpdated } from './alloc-deltas.js';
import { deepEqual } from './job-spec.js';

type StatusBin = Exclude<keyof TaskGroupSummary, 'Queued'>;

function binOf(status: AllocClientStatus): StatusBin | null {
  switch (status) {
    case 'pending':
      return 'Starting';
    case 'running':
      return 'Running';
    case 'complete':
      return 'Complete';
    case 'failed':
      return 'Failed';
    case 'lost':
      return 'Lost';
    default:
      return null;
  }
}

/**
 * Counts an allocation's client status change into its job summary. Complete and Failed are
 * running totals (never decremented), as Nomad keeps them.
 */
function updateSummaryWithAlloc(ctx: ApplyContext, alloc: Allocation, existing: Allocation | undefined): void {
  if (alloc.Job === null) return;
  const summary = ctx.txn.jobSummary(alloc.Namespace, alloc.JobID);
  if (summary === undefined) return;
  // The allocation belongs to an earlier incarnation of a job registered again under this ID.
  if (summary.CreateIndex !== alloc.Job.CreateIndex) return;
  const tg = summary.Summary[alloc.TaskGroup];
  if (tg === undefined) {
    ctx.logger.warn('allocation of a task group missing from the job summary', { allocId: alloc.ID, taskGroup: alloc.TaskGroup });
    return;
  }
  // A summary this entry already wrote is its own: count into it in place.
  const inPlace = ctx.owns(summary) && ctx.owns(summary.Summary);
  const next = inPlace && ctx.owns(tg) ? tg : { ...tg };
  if (existing === undefined) {
    if (alloc.ClientStatus !== 'pending') {
      ctx.logger.warn('new allocation inserted with a client status other than pending', { allocId: alloc.ID, status: alloc.ClientStatus });
      return;
    }
    next.Starting++;
    if (next.Queued > 0) next.Queued--;
  } else if (existing.ClientStatus !== alloc.ClientStatus) {
    const inc = binOf(alloc.ClientStatus);
    if (inc !== null) next[inc]++;
    const dec = binOf(existing.ClientStatus);
    if ((dec === 'Running' || dec === 'Starting' || dec === 'Lost') && next[dec] > 0) next[dec]--;
  } else {
    return;
  }
  if (inPlace) {
    summary.Summary[alloc.TaskGroup] = next === tg ? tg : ctx.own(next);
    summary.ModifyIndex = ctx.index;
    return;
  }
  const groups = ctx.own({ ...summary.Summary });
  groups[alloc.TaskGroup] = ctx.own(next);
  ctx.txn.putJobSummary(ctx.own({ ...summary, Summary: groups, ModifyIndex: ctx.index }));
}

/** Writes one allocation from a plan (new or changed by the scheduler). `alloc` is a fresh copy. */
function upsertPlanAlloc(ctx: ApplyContext, alloc: Allocation, timestampNs: number, where: string): void {
  const { txn, index } = ctx;
  // Most allocations of a plan are new: their ID is claimed in the same step that finds it free.
  const existing = txn.claimAllocId(alloc);
  const claimed = existing === undefined && !txn.freezing;
  if (existing === undefined) {
    if (alloc.Job === null) throw badRequest(`${where}: attempting to upsert allocation "${alloc.ID}" without a job`, `${where}.Job`);
    alloc.CreateIndex = index;
    alloc.ModifyIndex = index;
    alloc.AllocModifyIndex = index;
    alloc.CreateTime = timestampNs;
    alloc.ModifyTime = timestampNs;
    if (alloc.DeploymentStatus !== null) alloc.DeploymentStatus = { ...alloc.DeploymentStatus, ModifyIndex: index };
  } else {
    alloc.CreateIndex = existing.CreateIndex;
    alloc.ModifyIndex = index;
    alloc.AllocModifyIndex = index;
    alloc.CreateTime = existing.CreateTime;
    alloc.ModifyTime = timestampNs;
    // The client is the authority on its task states and, unless the server declares the
    // allocation lost, on its client status.
    alloc.TaskStates = existing.TaskStates;
    if (alloc.ClientStatus !== 'lost') {
      alloc.ClientStatus = existing.ClientStatus;
      alloc.ClientDescription = existing.ClientDescription;
    }
    if (alloc.Job === null) alloc.Job = existing.Job;
  }
  updateDeploymentWithAlloc(ctx, alloc, existing);
  updateSummaryWithAlloc(ctx, alloc, existing);
  txn.putAlloc(alloc, existing ?? null, claimed);
  if (alloc.PreviousAllocation !== '') {
    const prev = txn.alloc(alloc.PreviousAllocation);
    if (prev !== undefined && prev.NextAllocation !== alloc.ID) {
      txn.putAlloc({ ...prev, NextAllocation: alloc.ID, ModifyIndex: index });
    }
  }
  ctx.markJob(alloc.Namespace, alloc.JobID, allocTerminal(alloc) ? '' : 'running');
}

function checkAlloc(alloc: Allocation, where: string): void {
  if (alloc === null || typeof alloc !== 'object') throw badRequest(`${where}: expected an allocation`, where);
  if (typeof alloc.ID !== 'string' || alloc.ID === '') throw badRequest(`${where}: allocation has no ID`, `${where}.ID`);
  if (typeof alloc.NodeID !== 'string' || alloc.NodeID === '') {
    throw badRequest(`${where}: allocation "${alloc.ID}" has no node`, `${where}.NodeID`);
  }
  if (typeof alloc.JobID !== 'string' || alloc.JobID === '') {
    throw badRequest(`${where}: allocation "${alloc.ID}" has no job ID`, `${where}.JobID`);
  }
}

/** Shared by every allocation without a desired transition: frozen, since it belongs to all of them. */
const NO_TRANSITION: DesiredTransition = Object.freeze({ Migrate: null, Reschedule: null, ForceReschedule: null });

/**
 * The stored version of a job, when the plan carries a copy of one: every allocation of a job
 * version then points at one object, however many plans (and log entries, each decoded on its
 * own) placed them.
 */
function storedJobVersion(ctx: ApplyContext, job: Job, seen: Map<Job, Job>): Job {
  let stored = seen.get(job);
  if (stored === undefined) {
    stored =
      ctx.txn
        .jobVersions(job.Namespace, job.ID)
        .find((v) => v.Version === job.Version && v.CreateIndex === job.CreateIndex && v.JobModifyIndex === job.JobModifyIndex) ?? job;
    seen.set(job, stored);
  }
  return stored;
}

/** Points an allocation's strings at one copy each (see ApplyContext.intern); `alloc` is a fresh copy. */
function internStrings(ctx: ApplyContext, alloc: Allocation): void {
  alloc.Namespace = ctx.intern(alloc.Namespace);
  alloc.JobID = ctx.intern(alloc.JobID);
  alloc.EvalID = ctx.intern(alloc.EvalID);
  alloc.TaskGroup = ctx.intern(alloc.TaskGroup);
  alloc.NodeName = ctx.intern(alloc.NodeName);
  alloc.DeploymentID = ctx.intern(alloc.DeploymentID);
  alloc.DesiredStatus = ctx.intern(alloc.DesiredStatus) as Allocation['DesiredStatus'];
  alloc.DesiredDescription = ctx.intern(alloc.DesiredDescription);
  alloc.ClientStatus = ctx.intern(alloc.ClientStatus) as Allocation['ClientStatus'];
  alloc.ClientDescription = ctx.intern(alloc.ClientDescription);
  // The node's own ID string is shared across entries, not only within this one.
  alloc.NodeID = ctx.txn.nodeIdString(alloc.NodeID) ?? ctx.intern(alloc.NodeID);
  const t = alloc.DesiredTransition;
  if (t !== null && t !== NO_TRANSITION && t.Migrate === null && t.Reschedule === null && t.ForceReschedule === null) {
    alloc.DesiredTransition = NO_TRANSITION;
  }
}

/**
 * Points the allocation's resource blocks at those of the entry's allocation before it when they
 * are equal: a plan places hundreds of allocations of one group, each decoded from the entry with
 * its own copies of the same blocks, about 0.9 of each allocation's 2.2 KB. `alloc` is a fresh
 * copy; its Metrics is copied before it changes, never written in place.
 */
function shareBlocks(alloc: Allocation, previous: Allocation): void {
  if (alloc.Resources !== previous.Resources && deepEqual(alloc.Resources, previous.Resources)) alloc.Resources = previous.Resources;
  if (alloc.SharedResources !== previous.SharedResources && deepEqual(alloc.SharedResources, previous.SharedResources)) alloc.SharedResources = previous.SharedResources;
  if (alloc.TaskResources !== previous.TaskResources && deepEqual(alloc.TaskResources, previous.TaskResources)) alloc.TaskResources = previous.TaskResources;
  if (alloc.AllocatedResources !== previous.AllocatedResources && deepEqual(alloc.AllocatedResources, previous.AllocatedResources)) {
    alloc.AllocatedResources = previous.AllocatedResources;
  }
  const m = alloc.Metrics;
  const pm = previous.Metrics;
  if (m !== null && pm !== null && m.NodesAvailable !== pm.NodesAvailable && deepEqual(m.NodesAvailable, pm.NodesAvailable)) {
    alloc.Metrics = { ...m, NodesAvailable: pm.NodesAvailable };
  }
}

/** The allocation part of a plan: stops first, then placements and in-place updates (Nomad's order). */
export function applyPlanAllocs(ctx: ApplyContext, entry: PlanApplyEntry): void {
  const { txn } = ctx;
  entry.AllocsStopped.forEach((stop, i) => {
    const where = `AllocsStopped[${i}]`;
    const existing = txn.alloc(stop.ID);
    if (existing === undefined) {
      // Garbage collected since the plan was made: nothing left to stop.
      ctx.logger.warn('plan stops an allocation that no longer exists', { allocId: stop.ID, evalId: entry.EvalID });
      return;
    }
    const alloc: Allocation = {
      ...existing,
      DesiredStatus: stop.DesiredStatus,
      DesiredDescription: stop.DesiredDescription,
      ClientStatus: stop.ClientStatus ?? existing.ClientStatus,
      FollowupEvalID: stop.FollowupEvalID ?? existing.FollowupEvalID,
    };
    upsertPlanAlloc(ctx, alloc, entry.TimestampNs, where);
  });
  const jobs = new Map<Job, Job>();
  let previous: Allocation | null = null;
  planAllocsUpdated(entry).forEach((input, i) => {
    const where = `AllocsUpdated[${i}]`;
    checkAlloc(input, where);
    let job: Job | null = input.Job;
    // Allocations travel without their job; the ones meant to run get the plan's job.
    if (job === null && input.DesiredStatus === 'run') job = entry.Job;
    const alloc: Allocation = { ...input, Job: job === null ? null : storedJobVersion(ctx, job, jobs) };
    internStrings(ctx, alloc);
    if (previous !== null) shareBlocks(alloc, previous);
    upsertPlanAlloc(ctx, alloc, entry.TimestampNs, where);
    previous = alloc;
  });
  txn.touch('allocs');
}

/** Merges what clients report (they are the authority on these fields) into allocations. */
export function applyClientUpdates(ctx: ApplyContext, updates: readonly AllocClientUpdate[], timestampNs: number): void {
  const { txn, index } = ctx;
  updates.forEach((u, i) => {
    if (u === null || typeof u !== 'object' || typeof u.ID !== 'string') throw badRequest(`Updates[${i}]: allocation update has no ID`, `Updates[${i}].ID`);
    const existing = txn.alloc(u.ID);
    if (existing === undefined) {
      ctx.logger.debug('client update for an allocation that no longer exists', { allocId: u.ID });
      return;
    }
    // A client never runs an allocation again once it has completed or failed (a restart is a
    // new allocation), so a report that says otherwise is an older one that arrived late (a
    // retried call overtaken by the next). Taking it would bring back into use resources that
    // plans may already have given to others.
    if ((existing.ClientStatus === 'complete' || existing.ClientStatus === 'failed') && !clientTerminal(u.ClientStatus)) {
      ctx.logger.debug('client update older than the allocation it would reopen; ignored', { allocId: u.ID, status: existing.ClientStatus, reported: u.ClientStatus });
      return;
    }
    const alloc: Allocation = {
      ...existing,
      ClientStatus: u.ClientStatus,
      ClientDescription: u.ClientDescription,
      TaskStates: u.TaskStates,
      NetworkStatus: u.NetworkStatus !== undefined ? u.NetworkStatus : existing.NetworkStatus,
      ModifyIndex: index,
      ModifyTime: timestampNs,
    };
    if (u.DeploymentStatus !== null && u.DeploymentStatus !== undefined) {
      // The client may only set the health and its time; canary-ness is the server's.
      alloc.DeploymentStatus =
        existing.DeploymentStatus !== null
          ? { ...existing.DeploymentStatus, Healthy: u.DeploymentStatus.Healthy, Timestamp: u.DeploymentStatus.Timestamp, ModifyIndex: index }
          : { ...u.DeploymentStatus, ModifyIndex: index };
    }
    updateDeploymentWithAlloc(ctx, alloc, existing);
    updateSummaryWithAlloc(ctx, alloc, existing);
    txn.putAlloc(alloc, existing);
    ctx.markJob(alloc.Namespace, alloc.JobID, allocTerminal(alloc) ? '' : 'running');
  });
  txn.touch('allocs');
}

export function applyDesiredTransitions(ctx: ApplyContext, transitions: Record<string, DesiredTransition>): void {
  const { txn, index } = ctx;
  for (const [id, t] of Object.entries(transitions)) {
    const existing = txn.alloc(id);
    if (existing === undefined) continue;
    const merged: DesiredTransition = { ...existing.DesiredTransition };
    if (t.Migrate !== null && t.Migrate !== undefined) merged.Migrate = t.Migrate;
    if (t.Reschedule !== null && t.Reschedule !== undefined) merged.Reschedule = t.Reschedule;
    if (t.ForceReschedule !== null && t.ForceReschedule !== undefined) merged.ForceReschedule = t.ForceReschedule;
    // A change the servers make to the allocation: its client pulls it again (AllocModifyIndex).
    txn.putAlloc({ ...existing, DesiredTransition: merged, ModifyIndex: index, AllocModifyIndex: index });
  }
  txn.touch('allocs');
}
