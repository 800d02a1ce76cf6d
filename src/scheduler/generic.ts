// The service and batch scheduler: reconcile, place, submit the plan, retry (bounded) when the
// plan was only partly committed, then record the evaluation's outcome.
import type { Allocation } from '../structs/alloc.js';
import { allocTerminal, newAllocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job, TaskGroup } from '../structs/job.js';
import { emptyPlan, planIsNoOp } from '../structs/plan.js';
import type { StateReader } from '../state/reader.js';
import type { Planner, SchedulerOptions } from './planner.js';
import { EvalContext } from './context.js';
import { blockedEval } from './evals.js';
import { Feasibility } from './feasibility.js';
import { groupInfo, type GroupInfo } from './group-info.js';
import { newMetric } from './metrics.js';
import { taintedNodes } from './nodes.js';
import { ALLOC_LOST, Reconciler, type PlaceRequest, type UpdateDecision } from './reconcile.js';
import { nextRescheduleTracker } from './reschedule.js';
import { allocResources, allocUsage, existingOffer } from './resources.js';
import { seededRng } from './rng.js';
import { Stack, type SelectOptions } from './stack.js';
import { groupNeedsDestructiveUpdate } from './update-kind.js';
import { PlanningScheduler, type AttemptOutcome } from './planning-scheduler.js';

const MAX_SERVICE_ATTEMPTS = 5;
const MAX_BATCH_ATTEMPTS = 2;
const ZERO_TIME = '0001-01-01T00:00:00Z';
/** Select options of a placement that replaces nothing (most of them). */
const NO_OPTIONS: SelectOptions = Object.freeze({});
/** A new allocation has no desired transition; one frozen object serves them all (changes replace it). */

export class GenericScheduler extends PlanningScheduler {
  constructor(
    state: StateReader,
    planner: Planner,
    options: SchedulerOptions,
    private readonly batch: boolean,
  ) {
    super(state, planner, options);
  }

  protected defaultMaxAttempts(): number {
    return this.batch ? MAX_BATCH_ATTEMPTS : MAX_SERVICE_ATTEMPTS;
  }

  protected async attempt(ev: Evaluation, nowNs: number): Promise<AttemptOutcome> {
    const state = this.state;
    const job = state.jobByID(ev.Namespace, ev.JobID);
    const allocs = state.allocsByJob(ev.Namespace, ev.JobID, true);
    const latestDeployment = this.batch ? null : state.latestDeploymentByJob(ev.Namespace, ev.JobID);
    const plan = emptyPlan(ev.ID, ev.Priority, job);
    plan.SnapshotIndex = state.latestIndex();
    this.lastPlan = plan;
    const rng = seededRng(ev.ID);
    const ctx = new EvalContext(state, plan, job, rng, nowNs, allocs);
    this.failedTGAllocs = null;
    this.queuedAllocs = {};
    for (const tg of job?.TaskGroups ?? []) this.queuedAllocs[tg.Name] = 0;
    const feasibility = job ? new Feasibility(job) : null;
    this.feasibility = feasibility;
    const infos = new Map<string, GroupInfo>();
    const infoOf = (tg: TaskGroup): GroupInfo => {
      let i = infos.get(tg.Name);
      if (!i) infos.set(tg.Name, (i = groupInfo(job!, tg)));
      return i;
    };

    const tainted = taintedNodes((id) => ctx.node(id), allocs);
    // Allocations told to stop whose node died before they could: they are lost.
    for (const a of allocs) {
      if (a.DesiredStatus === 'run' || (a.ClientStatus !== 'running' && a.ClientStatus !== 'pending')) continue;
      const n = tainted.get(a.NodeID);
      if (n === null || n?.Status === 'down') ctx.appendStop(a, ALLOC_LOST, 'lost');
    }

    const stack = job && feasibility ? new Stack(ctx, feasibility, this.batch, state.schedulerConfig().SchedulerAlgorithm) : null;
    // What the in-place updates decided so far add to each node: they join the plan only after the
    // reconciler is done, and two of them on one node must fit together, not each on its own.
    const inPlaceGrowth = new Map<string, { cpu: number; memMB: number; diskMB: number }>();
    const updateFn = (existing: Allocation, newJob: Job, tg: TaskGroup): UpdateDecision => {
      if (!existing.Job || groupNeedsDestructiveUpdate(existing.Job, newJob, tg.Name)) return { kind: 'destructive' };
      if (allocTerminal(existing)) return { kind: 'ignore' };
      const node = ctx.node(existing.NodeID);
      if (!node || !newJob.Datacenters.includes(node.Datacenter) || !feasibility) return { kind: 'destructive' };
      const info = infoOf(tg);
      const metric = newMetric();
      metric.NodesEvaluated = 1;
      if (!feasibility.feasible(node, info, metric)) return { kind: 'destructive' };
      const cap = ctx.nodeCapacity(node);
      const used = ctx.nodeUsage(node.ID);
      const grown = inPlaceGrowth.get(node.ID) ?? { cpu: 0, memMB: 0, diskMB: 0 };
      const old = ctx.isStopped(existing.ID) ? null : allocUsage(existing);
      const growth = { cpu: info.ask.cpu - (old?.cpu ?? 0), memMB: info.ask.memMB - (old?.memMB ?? 0), diskMB: info.ask.diskMB - (old?.diskMB ?? 0) };
      const cpu = used.cpu + grown.cpu + growth.cpu;
      const mem = used.memMB + grown.memMB + growth.memMB;
      const disk = used.diskMB + grown.diskMB + growth.diskMB;
      if (cpu > cap.cpu || mem > cap.memMB || disk > cap.diskMB) return { kind: 'destructive' };
      inPlaceGrowth.set(node.ID, { cpu: grown.cpu + growth.cpu, memMB: grown.memMB + growth.memMB, diskMB: grown.diskMB + growth.diskMB });
      const updated: Allocation = {
        ...existing,
        ...allocResources(tg, info.ask, existingOffer(existing)),
        EvalID: ev.ID,
        Job: newJob,
        Metrics: metric,
      };
      return { kind: 'inplace', alloc: updated };
    };

    const results = new Reconciler({
      job,
      jobId: ev.JobID,
      namespace: ev.Namespace,
      batch: this.batch,
      deployment: latestDeployment,
      allocs,
      taintedNodes: tainted,
      evalId: ev.ID,
      evalPriority: ev.Priority,
      nowNs,
      generateId: this.generateId,
      updateFn,
    }).compute();

    if (this.options.annotatePlan || ev.AnnotatePlan) {
      plan.Annotations = { DesiredTGUpdates: results.desiredTGUpdates, PreemptedAllocs: null };
    }
    plan.Deployment = results.deployment;
    plan.DeploymentUpdates = results.deploymentUpdates.length > 0 ? results.deploymentUpdates : null;
    const deployment: Deployment | null = results.deployment ?? latestDeployment;
    this.deploymentId = deployment?.ID ?? '';
    const active = results.activeDeployment;

    for (const s of results.stop) ctx.appendStop(s.alloc, s.description, s.clientStatus);
    const byId = new Map(allocs.map((a) => [a.ID, a]));
    for (const u of results.inplace) {
      const fresh = u.DeploymentID !== (active?.ID ?? '') ? { ...u, DeploymentID: active?.ID ?? '', DeploymentStatus: null } : u;
      ctx.appendAlloc(fresh, byId.get(u.ID) ?? null);
    }
    for (const u of results.attributeUpdates) ctx.appendAlloc(u, byId.get(u.ID) ?? null);

    // Which committed allocations are this attempt's placements. When the job had no allocations
    // the plan holds nothing else (updates need an existing allocation), so the group name on
    // each allocation says it all, without a map entry per placement.
    const placedIds = byId.size > 0 ? new Map<string, string>() : null;
    if (job && stack && results.place.length + results.destructive.length > 0) {
      const requests = [...results.destructive, ...results.place];
      for (const p of requests) this.queuedAllocs[p.tg.Name] = (this.queuedAllocs[p.tg.Name] ?? 0) + 1;
      const ready = ctx.nodeTable().ready(job.Datacenters);
      stack.setReady(ready, rng);
      // One object per eval, shared by its placements' metrics (the table's copy stays untouched).
      const byDC = { ...ready.byDC };
      for (const p of requests) {
        const placed = this.place(ev, job, p, infoOf(p.tg), stack, ctx, byDC, active, nowNs);
        if (placed && placedIds) placedIds.set(placed.ID, p.tg.Name);
      }
    }

    if (this.failedTGAllocs && ev.Status !== 'blocked' && !this.blocked) {
      this.blocked = blockedEval(ev, this.generateId(), nowNs, feasibility?.classEligibility() ?? null, feasibility?.escaped() ?? false, this.failedTGAllocs, false);
      await this.planner.createEval(this.blocked);
    }

    if (planIsNoOp(plan) && !(this.options.annotatePlan || ev.AnnotatePlan)) return { done: true, progress: false };

    for (const f of results.followupEvals) await this.planner.createEval(f);

    const { result, newState } = await this.planner.submitPlan(plan);
    for (const list of Object.values(result.NodeAllocation)) {
      for (const a of list) {
        const g = placedIds ? placedIds.get(a.ID) : a.TaskGroup;
        if (g !== undefined) this.queuedAllocs[g] = Math.max(0, (this.queuedAllocs[g] ?? 0) - 1);
      }
    }
    const progress =
      Object.keys(result.NodeUpdate).length > 0 ||
      Object.keys(result.NodeAllocation).length > 0 ||
      result.Deployment !== null ||
      (result.DeploymentUpdates?.length ?? 0) > 0;
    if (newState) {
      this.state = newState;
      return { done: false, progress };
    }
    if (result.RejectedNodes.length > 0) return { done: false, progress };
    return { done: true, progress };
  }

  private place(
    ev: Evaluation,
    job: Job,
    p: PlaceRequest,
    info: GroupInfo,
    stack: Stack,
    ctx: EvalContext,
    byDC: Record<string, number>,
    active: Deployment | null,
    nowNs: number,
  ): Allocation | null {
    const tg = p.tg;
    const failed = this.failedTGAllocs?.[tg.Name];
    if (failed) {
      failed.CoalescedFailures++;
      return null;
    }
    const prev = p.previous;
    if (p.stopPrevious && prev) ctx.appendStop(prev, p.stopPrevious);
    let opts: SelectOptions = NO_OPTIONS;
    if (prev) {
      opts = {};
      const penalty = new Set<string>();
      if (prev.ClientStatus === 'failed') penalty.add(prev.NodeID);
      for (const e of prev.RescheduleTracker?.Events ?? []) penalty.add(e.PrevNodeID);
      if (penalty.size > 0) opts.penaltyNodeIds = penalty;
      if (tg.EphemeralDisk?.Sticky) opts.preferredNodeId = prev.NodeID;
    }
    const startedMs = this.monotonicMs();
    const metric = newMetric();
    const option = stack.select(info, metric, opts);
    metric.NodesAvailable = byDC;
    metric.AllocationTime = Math.round((this.monotonicMs() - startedMs) * 1_000_000);
    if (!option) {
      (this.failedTGAllocs ??= {})[tg.Name] = metric;
      if (p.stopPrevious && prev) ctx.popStop(prev);
      return null;
    }
    const alloc = newAllocation({
      ID: this.generateId(),
      Namespace: job.Namespace,
      EvalID: ev.ID,
      Name: p.name,
      NodeID: option.node.ID,
      NodeName: option.node.Name,
      JobID: job.ID,
      Job: job,
      TaskGroup: tg.Name,
      ...allocResources(tg, info.ask, stack.offerFor(option, info)),
      Metrics: metric,
      PreviousAllocation: prev?.ID ?? '',
      DeploymentID: active?.ID ?? '',
      DeploymentStatus: p.canary && active ? { Healthy: null, Timestamp: ZERO_TIME, Canary: true, ModifyIndex: 0 } : null,
      RescheduleTracker: p.reschedule && prev ? nextRescheduleTracker(prev, nowNs) : null,
      CreateTime: nowNs,
      ModifyTime: nowNs,
    });
    ctx.appendAlloc(alloc, null, option.pos);
    return alloc;
  }
}
