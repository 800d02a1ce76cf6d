// The system and sysbatch schedulers: one allocation of each group on every feasible node.
// New nodes get one; nodes that go away, stop being feasible or leave the job's datacenters lose
// theirs. Updates run in place when they can, otherwise replace the allocation on the same node,
// at most job.Update.MaxParallel at a time (the rest in a rolling follow-up eval). For sysbatch,
// an allocation that ran to completion on a node is not run again for the same job version.
import type { Allocation } from '../structs/alloc.js';
import { allocTerminal, clientTerminal, newAllocation } from '../structs/alloc.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job, TaskGroup } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { DesiredUpdates, Plan } from '../structs/plan.js';
import { emptyPlan, planIsNoOp } from '../structs/plan.js';
import type { StateReader } from '../state/reader.js';
import type { Planner, SchedulerOptions } from './planner.js';
import { EvalContext } from './context.js';
import { blockedEval, followingEval } from './evals.js';
import { Feasibility } from './feasibility.js';
import { groupInfo, type GroupInfo } from './group-info.js';
import { newMetric } from './metrics.js';
import { allocName } from './names.js';
import { readyNodesInDCs, taintedNodes } from './nodes.js';
import { PlanningScheduler, type AttemptOutcome } from './planning-scheduler.js';
import { ALLOC_LOST, ALLOC_MIGRATING, ALLOC_NODE_TAINTED, ALLOC_NOT_NEEDED, ALLOC_UPDATING, emptyDesiredUpdates } from './reconcile.js';
import { allocResources, allocUsage, existingOffer } from './resources.js';
import { seededRng } from './rng.js';
import { Stack, scoreMeta } from './stack.js';
import { groupNeedsDestructiveUpdate } from './update-kind.js';

const MAX_SYSTEM_ATTEMPTS = 5;

interface Placement {
  node: Node;
  tg: TaskGroup;
  previous: Allocation | null;
}

export class SystemScheduler extends PlanningScheduler {
  constructor(
    state: StateReader,
    planner: Planner,
    options: SchedulerOptions,
    private readonly sysbatch: boolean,
  ) {
    super(state, planner, options);
  }

  protected defaultMaxAttempts(): number {
    return MAX_SYSTEM_ATTEMPTS;
  }

  protected async attempt(ev: Evaluation, nowNs: number): Promise<AttemptOutcome> {
    const state = this.state;
    const job = state.jobByID(ev.Namespace, ev.JobID);
    const allocs = state.allocsByJob(ev.Namespace, ev.JobID, true);
    const plan = emptyPlan(ev.ID, ev.Priority, job);
    plan.SnapshotIndex = state.latestIndex();
    this.lastPlan = plan;
    const ctx = new EvalContext(state, plan, job, seededRng(ev.ID), nowNs, allocs);
    this.failedTGAllocs = null;
    this.queuedAllocs = {};
    const desired: Record<string, DesiredUpdates> = {};
    const want = (g: string): DesiredUpdates => (desired[g] ??= emptyDesiredUpdates());
    const annotate = this.options.annotatePlan || ev.AnnotatePlan;

    const live = allocs.filter((a) => !allocTerminal(a));
    if (!job || job.Stop) {
      for (const a of live) {
        ctx.appendStop(a, ALLOC_NOT_NEEDED);
        want(a.TaskGroup).Stop++;
      }
      if (annotate) plan.Annotations = { DesiredTGUpdates: desired, PreemptedAllocs: null };
      return this.submit(ev, plan, new Map(), annotate);
    }

    const feasibility = new Feasibility(job);
    this.feasibility = feasibility;
    const stack = new Stack(ctx, feasibility, this.sysbatch, state.schedulerConfig().SchedulerAlgorithm);
    const ready = readyNodesInDCs(state, job.Datacenters);
    const readyById = new Map(ready.nodes.map((n) => [n.ID, n]));
    const tainted = taintedNodes((id) => ctx.node(id), allocs);
    const groups = new Map(job.TaskGroups.map((g) => [g.Name, g]));
    const infos = new Map<string, GroupInfo>(job.TaskGroups.map((g) => [g.Name, groupInfo(job, g)]));
    for (const g of job.TaskGroups) {
      this.queuedAllocs[g.Name] = 0;
      want(g.Name);
    }

    // What each node has of each group.
    const byNodeGroup = new Map<string, Allocation[]>();
    for (const a of allocs) {
      const key = `${a.NodeID}\u0000${a.TaskGroup}`;
      let list = byNodeGroup.get(key);
      if (!list) byNodeGroup.set(key, (list = []));
      list.push(a);
    }

    const placements: Placement[] = [];
    const destructive: Placement[] = [];
    // Allocations on nodes the job can no longer use, or of groups it no longer has.
    for (const a of live) {
      const tg = groups.get(a.TaskGroup);
      if (!tg) {
        ctx.appendStop(a, ALLOC_NOT_NEEDED);
        want(a.TaskGroup).Stop++;
        continue;
      }
      if (readyById.has(a.NodeID)) continue;
      const t = tainted.get(a.NodeID);
      if (t === null || t?.Status === 'down') {
        ctx.appendStop(a, ALLOC_LOST, 'lost');
        want(a.TaskGroup).Stop++;
      } else if (a.DesiredTransition?.Migrate === true) {
        ctx.appendStop(a, ALLOC_MIGRATING);
        want(a.TaskGroup).Migrate++;
      } else {
        const n = ctx.node(a.NodeID);
        if (n && !job.Datacenters.includes(n.Datacenter)) {
          ctx.appendStop(a, ALLOC_NOT_NEEDED);
          want(a.TaskGroup).Stop++;
        } else {
          want(a.TaskGroup).Ignore++; // ineligible or draining: left alone until migrated
        }
      }
    }

    for (const node of ready.nodes) {
      for (const tg of job.TaskGroups) {
        const info = infos.get(tg.Name)!;
        const here = byNodeGroup.get(`${node.ID}\u0000${tg.Name}`) ?? [];
        const running = here.filter((a) => !allocTerminal(a));
        const d = want(tg.Name);
        const probe = newMetric();
        const feasible = feasibility.feasible(node, info, probe);
        if (running.length === 0) {
          if (!feasible) continue;
          if (this.sysbatch && here.some((a) => a.ClientStatus === 'complete' && a.Job?.JobModifyIndex === job.JobModifyIndex)) continue;
          placements.push({ node, tg, previous: null });
          continue;
        }
        const [keep, ...extra] = running.sort((x, y) => x.CreateIndex - y.CreateIndex);
        for (const a of extra) {
          ctx.appendStop(a, ALLOC_NOT_NEEDED);
          d.Stop++;
        }
        if (!feasible) {
          ctx.appendStop(keep!, ALLOC_NODE_TAINTED);
          d.Stop++;
          continue;
        }
        const existing = keep!;
        if (!existing.Job || existing.Job.JobModifyIndex === job.JobModifyIndex) {
          d.Ignore++;
          continue;
        }
        if (groupNeedsDestructiveUpdate(existing.Job, job, tg.Name) || !this.inPlace(ctx, ev, job, tg, info, node, existing)) {
          destructive.push({ node, tg, previous: existing });
        } else {
          d.InPlaceUpdate++;
        }
      }
    }

    // Replacements roll at most MaxParallel at a time; the rest wait for a follow-up eval.
    const maxParallel = job.Update?.MaxParallel ?? 0;
    let allowed = destructive;
    if (maxParallel > 0 && destructive.length > maxParallel) {
      allowed = destructive.slice(0, maxParallel);
      for (const p of destructive.slice(maxParallel)) want(p.tg.Name).Ignore++;
      if (!this.nextEval) {
        this.nextEval = rollingEval(ev, this.generateId(), job.Update.Stagger, nowNs);
        await this.planner.createEval(this.nextEval);
      }
    }
    for (const p of allowed) want(p.tg.Name).DestructiveUpdate++;
    for (const p of placements) want(p.tg.Name).Place++;

    const placedIds = new Map<string, string>();
    for (const p of [...allowed, ...placements]) {
      this.queuedAllocs[p.tg.Name] = (this.queuedAllocs[p.tg.Name] ?? 0) + 1;
      const info = infos.get(p.tg.Name)!;
      if (p.previous) ctx.appendStop(p.previous, ALLOC_UPDATING);
      const metric = newMetric();
      const startedMs = this.monotonicMs();
      const option = stack.rankNode(p.node, info, metric, {}, []);
      metric.AllocationTime = Math.round((this.monotonicMs() - startedMs) * 1_000_000);
      if (!option) {
        if (p.previous) ctx.popStop(p.previous);
        if (metric.NodesFiltered > 0) {
          // Filtered nodes are not failures for a system job: the group simply does not run there.
          this.queuedAllocs[p.tg.Name]!--;
          want(p.tg.Name).Place -= p.previous ? 0 : 1;
          continue;
        }
        const failed = this.failedTGAllocs?.[p.tg.Name];
        if (failed) failed.CoalescedFailures++;
        else {
          metric.NodesAvailable = ready.byDC;
          (this.failedTGAllocs ??= {})[p.tg.Name] = metric;
        }
        continue;
      }
      metric.NodesAvailable = ready.byDC;
      metric.ScoreMetaData = [scoreMeta(option)];
      const alloc = newAllocation({
        ID: this.generateId(),
        Namespace: job.Namespace,
        EvalID: ev.ID,
        Name: allocName(job.ID, p.tg.Name, 0),
        NodeID: p.node.ID,
        NodeName: p.node.Name,
        JobID: job.ID,
        Job: job,
        TaskGroup: p.tg.Name,
        ...allocResources(p.tg, info.ask, stack.offerFor(option, info)),
        Metrics: metric,
        PreviousAllocation: p.previous?.ID ?? '',
        CreateTime: nowNs,
        ModifyTime: nowNs,
      });
      ctx.appendAlloc(alloc, null);
      placedIds.set(alloc.ID, p.tg.Name);
    }

    if (annotate) plan.Annotations = { DesiredTGUpdates: desired, PreemptedAllocs: null };
    if (this.failedTGAllocs && ev.Status !== 'blocked' && !this.blocked) {
      this.blocked = blockedEval(ev, this.generateId(), nowNs, feasibility.classEligibility(), feasibility.escaped(), this.failedTGAllocs, false);
      await this.planner.createEval(this.blocked);
    }
    return this.submit(ev, plan, placedIds, annotate);
  }

  /** Updates the allocation in place when it still fits on its node; false when it must be replaced. */
  private inPlace(ctx: EvalContext, ev: Evaluation, job: Job, tg: TaskGroup, info: GroupInfo, node: Node, existing: Allocation): boolean {
    if (clientTerminal(existing.ClientStatus)) return true;
    const cap = ctx.nodeCapacity(node);
    const used = ctx.nodeUsage(node.ID);
    const old = allocUsage(existing);
    if (used.cpu - old.cpu + info.ask.cpu > cap.cpu) return false;
    if (used.memMB - old.memMB + info.ask.memMB > cap.memMB) return false;
    if (used.diskMB - old.diskMB + info.ask.diskMB > cap.diskMB) return false;
    const metric = newMetric();
    metric.NodesEvaluated = 1;
    ctx.appendAlloc({ ...existing, ...allocResources(tg, info.ask, existingOffer(existing)), EvalID: ev.ID, Job: job, Metrics: metric }, existing);
    return true;
  }

  private async submit(ev: Evaluation, plan: Plan, placedIds: Map<string, string>, annotate: boolean): Promise<AttemptOutcome> {
    void ev;
    if (planIsNoOp(plan) && !annotate) return { done: true, progress: false };
    const { result, newState } = await this.planner.submitPlan(plan);
    for (const list of Object.values(result.NodeAllocation)) {
      for (const a of list) {
        const g = placedIds.get(a.ID);
        if (g !== undefined) this.queuedAllocs[g] = Math.max(0, (this.queuedAllocs[g] ?? 0) - 1);
      }
    }
    const progress = Object.keys(result.NodeUpdate).length > 0 || Object.keys(result.NodeAllocation).length > 0;
    if (newState) {
      this.state = newState;
      return { done: false, progress };
    }
    return { done: result.RejectedNodes.length === 0, progress };
  }
}

function rollingEval(ev: Evaluation, id: string, staggerNs: number, nowNs: number): Evaluation {
  return followingEval(ev, id, nowNs, { TriggeredBy: 'rolling-update', Wait: staggerNs });
}
