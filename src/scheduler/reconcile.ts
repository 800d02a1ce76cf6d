// The reconciler for service and batch jobs: compares what the job asks for with the
// allocations it has and decides, per task group, what to place, stop, update in place or
// replace, what to migrate off draining nodes, what was lost with a down node and which failed
// allocations to reschedule (now, or later through a follow-up eval). It also drives
// deployments: creating one for a new job version, limiting replacements to MaxParallel,
// placing canaries, and cancelling deployments of older versions. Pure: no I/O.
import type { Allocation, AllocClientStatus } from '../structs/alloc.js';
import { allocTerminal } from '../structs/alloc.js';
import type { Deployment, DeploymentState } from '../structs/deployment.js';
import { DeploymentDescriptions, deploymentActive, newDeployment } from '../structs/deployment.js';
import { newEvaluation, type Evaluation } from '../structs/evaluation.js';
import type { Job, TaskGroup } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { DeploymentStatusUpdate, DesiredUpdates } from '../structs/plan.js';
import { rfc3339Nano } from '../structs/time.js';
import { AllocNameIndex, allocIndex, sortByName } from './names.js';
import { FOLLOWUP_BATCH_WINDOW_NS, RESCHEDULE_WINDOW_NS, nextRescheduleTime } from './reschedule.js';

export const ALLOC_NOT_NEEDED = 'alloc not needed due to job update';
export const ALLOC_MIGRATING = 'alloc is being migrated';
export const ALLOC_UPDATING = 'alloc is being updated due to job update';
export const ALLOC_LOST = 'alloc is lost since its node is down';
export const ALLOC_IN_PLACE = 'alloc updating in-place';
export const ALLOC_NODE_TAINTED = 'alloc not needed as node is tainted';
export const ALLOC_RESCHEDULED = 'alloc was rescheduled because it failed';
export const FOLLOWUP_EVAL_DESC = 'created for delayed rescheduling';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface PlaceRequest {
  name: string;
  tg: TaskGroup;
  canary: boolean;
  /** The allocation this one replaces (reschedule, migration, destructive update). */
  previous: Allocation | null;
  reschedule: boolean;
  /** When set, the previous allocation is stopped with this description if (and only if) the placement succeeds. */
  stopPrevious: string | null;
}

export interface StopRequest {
  alloc: Allocation;
  description: string;
  clientStatus?: AllocClientStatus;
}

export type UpdateDecision = { kind: 'ignore' } | { kind: 'destructive' } | { kind: 'inplace'; alloc: Allocation };

export interface ReconcileInput {
  job: Job | null;
  jobId: string;
  namespace: string;
  batch: boolean;
  /** The job's latest deployment. */
  deployment: Deployment | null;
  /** Every allocation of the job (all versions). */
  allocs: Allocation[];
  /** Nodes of the allocations that are down, draining or gone (null); others are absent. */
  taintedNodes: Map<string, Node | null>;
  evalId: string;
  evalPriority: number;
  nowNs: number;
  generateId: () => string;
  /** Decides how an allocation of an older job version moves to the new one. */
  updateFn: (existing: Allocation, job: Job, tg: TaskGroup) => UpdateDecision;
}

export interface ReconcileResult {
  place: PlaceRequest[];
  destructive: PlaceRequest[];
  stop: StopRequest[];
  inplace: Allocation[];
  /** Allocations whose attributes change without an update of the job (follow-up eval IDs). */
  attributeUpdates: Allocation[];
  /** A deployment to create (or an existing one with a group added). */
  deployment: Deployment | null;
  /** The deployment new allocations belong to, when it is active. */
  activeDeployment: Deployment | null;
  deploymentUpdates: DeploymentStatusUpdate[];
  desiredTGUpdates: Record<string, DesiredUpdates>;
  followupEvals: Evaluation[];
}

export function emptyDesiredUpdates(): DesiredUpdates {
  return { Ignore: 0, Place: 0, Migrate: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0, Preemptions: 0 };
}

function updateStrategyEmpty(tg: TaskGroup): boolean {
  return !tg.Update || tg.Update.MaxParallel <= 0;
}

interface Filtered {
  untainted: Allocation[];
  migrate: Allocation[];
  lost: Allocation[];
}

export class Reconciler {
  private readonly result: ReconcileResult = {
    place: [],
    destructive: [],
    stop: [],
    inplace: [],
    attributeUpdates: [],
    deployment: null,
    activeDeployment: null,
    deploymentUpdates: [],
    desiredTGUpdates: {},
    followupEvals: [],
  };
  private deployment: Deployment | null;
  private oldDeployment: Deployment | null = null;
  private deploymentPaused = false;
  private deploymentFailed = false;
  private readonly stoppedIds = new Set<string>();

  constructor(private readonly input: ReconcileInput) {
    this.deployment = input.deployment;
  }

  compute(): ReconcileResult {
    const { job } = this.input;
    const byGroup = new Map<string, Allocation[]>();
    for (const a of this.relevantAllocs()) {
      let list = byGroup.get(a.TaskGroup);
      if (!list) byGroup.set(a.TaskGroup, (list = []));
      list.push(a);
    }
    if (!job || job.Stop) {
      this.handleStop(byGroup);
      return this.result;
    }
    this.cancelDeployments(job);
    if (this.deployment) {
      this.deploymentPaused = this.deployment.Status === 'paused';
      this.deploymentFailed = this.deployment.Status === 'failed';
    }
    let complete = true;
    for (const tg of job.TaskGroups) {
      const groupComplete = this.computeGroup(job, tg, byGroup.get(tg.Name) ?? []);
      complete &&= groupComplete;
      byGroup.delete(tg.Name);
    }
    // Groups removed from the job: stop what they still run.
    for (const [name, allocs] of byGroup) this.stopGroup(name, allocs);

    const d = this.deployment;
    if (d && complete && deploymentActive(d) && d !== this.result.deployment) {
      this.result.deploymentUpdates.push({
        DeploymentID: d.ID,
        Status: 'successful',
        StatusDescription: DeploymentDescriptions.successful,
      });
    }
    this.result.activeDeployment = this.deployment && deploymentActive(this.deployment) ? this.deployment : null;
    this.describeNewDeployment();
    this.dropUpdatesOfReplaced();
    return this.result;
  }

  /** A new deployment with canaries says from the start that it waits for a promotion. */
  private describeNewDeployment(): void {
    const d = this.result.deployment;
    if (!d || d.Status !== 'running') return;
    const waiting = Object.values(d.TaskGroups).filter((s) => s.DesiredCanaries > 0 && !s.Promoted);
    if (waiting.length === 0) return;
    d.StatusDescription = waiting.every((s) => s.AutoPromote) ? DeploymentDescriptions.runningAutoPromotion : DeploymentDescriptions.runningNeedsPromotion;
  }

  /**
   * A failed allocation waiting for a delayed reschedule gets a follow-up eval ID; when the same
   * pass stops or replaces it, that attribute update would be applied after the stop and bring
   * back its desired status "run", so it is dropped.
   */
  private dropUpdatesOfReplaced(): void {
    if (this.result.attributeUpdates.length === 0) return;
    const gone = new Set(this.stoppedIds);
    for (const p of this.result.destructive) if (p.previous) gone.add(p.previous.ID);
    for (const p of this.result.place) if (p.previous && p.stopPrevious) gone.add(p.previous.ID);
    this.result.attributeUpdates = this.result.attributeUpdates.filter((a) => !gone.has(a.ID));
  }

  private desired(group: string): DesiredUpdates {
    return (this.result.desiredTGUpdates[group] ??= emptyDesiredUpdates());
  }

  private markStop(allocs: Iterable<Allocation>, description: string, clientStatus?: AllocClientStatus): number {
    let n = 0;
    for (const a of allocs) {
      if (this.stoppedIds.has(a.ID)) continue;
      this.stoppedIds.add(a.ID);
      this.result.stop.push(clientStatus ? { alloc: a, description, clientStatus } : { alloc: a, description });
      n++;
    }
    return n;
  }

  private handleStop(byGroup: Map<string, Allocation[]>): void {
    const d = this.deployment;
    if (d && deploymentActive(d)) {
      this.result.deploymentUpdates.push({ DeploymentID: d.ID, Status: 'cancelled', StatusDescription: DeploymentDescriptions.stoppedJob });
    }
    for (const g of this.input.job?.TaskGroups ?? []) this.desired(g.Name);
    for (const [name, allocs] of byGroup) this.stopGroup(name, allocs);
  }

  private stopGroup(name: string, allocs: Allocation[]): void {
    const { untainted, migrate, lost } = this.filterByTainted(allocs);
    const live = untainted.filter((a) => !allocTerminal(a));
    const desired = this.desired(name);
    desired.Stop += this.markStop(lost, ALLOC_LOST, 'lost');
    desired.Stop += this.markStop([...live, ...migrate], ALLOC_NOT_NEEDED);
  }

  private cancelDeployments(job: Job): void {
    const d = this.deployment;
    if (!d) return;
    if (d.JobCreateIndex !== job.CreateIndex || d.JobVersion !== job.Version) {
      if (deploymentActive(d)) {
        this.result.deploymentUpdates.push({ DeploymentID: d.ID, Status: 'cancelled', StatusDescription: DeploymentDescriptions.newerJob });
      }
      this.oldDeployment = d;
      this.deployment = null;
      return;
    }
    if (d.Status === 'successful' || d.Status === 'cancelled') {
      this.oldDeployment = d;
      this.deployment = null;
    }
  }

  private filterByTainted(allocs: Allocation[]): Filtered {
    const out: Filtered = { untainted: [], migrate: [], lost: [] };
    for (const a of allocs) {
      if (allocTerminal(a)) {
        out.untainted.push(a);
        continue;
      }
      if (a.DesiredTransition?.Migrate === true) {
        out.migrate.push(a);
        continue;
      }
      const tainted = this.input.taintedNodes.get(a.NodeID);
      if (tainted === undefined) {
        out.untainted.push(a);
        continue;
      }
      if (tainted === null || tainted.Status === 'down') out.lost.push(a);
      else out.untainted.push(a);
    }
    return out;
  }

  /**
   * A batch job's terminal allocations from an older version or an earlier incarnation of the
   * job (purged and registered again under the same ID) are history: they neither count as
   * done nor take a slot, so the new version runs in full.
   */
  private relevantAllocs(): Allocation[] {
    const { job, batch, allocs } = this.input;
    if (!batch || !job || job.Stop) return allocs;
    return allocs.filter((a) => {
      const older = a.Job !== null && (a.Job.Version < job.Version || a.Job.CreateIndex < job.CreateIndex);
      return !(older && allocTerminal(a));
    });
  }

  /**
   * Splits off failed allocations: to reschedule now, later (follow-up eval), or never (they then
   * keep their slot). Stopped and (for services) completed or lost allocations drop out.
   */
  private filterByRescheduleable(allocs: Allocation[]): { untainted: Allocation[]; now: Allocation[]; later: Array<{ alloc: Allocation; timeNs: number }> } {
    const untainted: Allocation[] = [];
    const now: Allocation[] = [];
    const later: Array<{ alloc: Allocation; timeNs: number }> = [];
    const { batch, evalId, nowNs } = this.input;
    const d = this.deployment;
    for (const a of allocs) {
      if (a.NextAllocation !== '' && allocTerminal(a)) continue; // already replaced
      if (batch) {
        if (a.DesiredStatus !== 'run') {
          if (a.ClientStatus === 'complete') untainted.push(a); // ran to completion: never again
          continue;
        }
        if (a.ClientStatus !== 'failed') {
          untainted.push(a);
          continue;
        }
      } else {
        if (a.DesiredStatus !== 'run') continue;
        if (a.ClientStatus === 'complete' || a.ClientStatus === 'lost') continue;
        if (a.ClientStatus !== 'failed') {
          untainted.push(a);
          continue;
        }
      }
      // A failed allocation that should run.
      if (d && a.DeploymentID === d.ID && deploymentActive(d) && a.DesiredTransition?.Reschedule !== true) {
        untainted.push(a); // the deployment watcher decides about failures within an active deployment
        continue;
      }
      let rescheduleNow = a.DesiredTransition?.ForceReschedule === true;
      const timing = nextRescheduleTime(a);
      if (timing.eligible && (a.FollowupEvalID === evalId || timing.timeNs - nowNs <= RESCHEDULE_WINDOW_NS)) rescheduleNow = true;
      if (rescheduleNow) {
        now.push(a);
        continue;
      }
      untainted.push(a);
      if (timing.eligible && a.FollowupEvalID === '') later.push({ alloc: a, timeNs: timing.timeNs });
    }
    return { untainted, now, later };
  }

  private handleDelayedReschedules(job: Job, later: Array<{ alloc: Allocation; timeNs: number }>): void {
    if (later.length === 0) return;
    later.sort((x, y) => x.timeNs - y.timeNs);
    let batchStart = -Infinity;
    let ev: Evaluation | null = null;
    for (const { alloc, timeNs } of later) {
      if (!ev || timeNs - batchStart >= FOLLOWUP_BATCH_WINDOW_NS) {
        batchStart = timeNs;
        ev = followupEval(job, this.input, timeNs);
        this.result.followupEvals.push(ev);
      }
      this.result.attributeUpdates.push({ ...alloc, FollowupEvalID: ev.ID });
    }
  }

  /** Canaries of the current deployment (by its state and by the allocations' own marks). */
  private canaryIds(): Set<string> {
    const ids = new Set<string>();
    const d = this.deployment;
    if (!d) return ids;
    for (const s of Object.values(d.TaskGroups)) for (const id of s.PlacedCanaries ?? []) ids.add(id);
    for (const a of this.input.allocs) if (a.DeploymentID === d.ID && a.DeploymentStatus?.Canary) ids.add(a.ID);
    return ids;
  }

  private handleGroupCanaries(all: Allocation[], desired: DesiredUpdates): { canaries: Allocation[]; all: Allocation[] } {
    const stopIds = new Set<string>();
    const unpromotedOf = (d: Deployment): void => {
      for (const s of Object.values(d.TaskGroups)) if (!s.Promoted) for (const id of s.PlacedCanaries ?? []) stopIds.add(id);
    };
    if (this.oldDeployment) unpromotedOf(this.oldDeployment);
    if (this.deployment && this.deployment.Status === 'failed') unpromotedOf(this.deployment);
    const toStop = all.filter((a) => stopIds.has(a.ID) && !allocTerminal(a));
    desired.Stop += this.markStop(toStop, ALLOC_NOT_NEEDED);
    let rest = all.filter((a) => !stopIds.has(a.ID));
    if (!this.deployment) return { canaries: [], all: rest };
    const ids = this.canaryIds();
    const canarySet = rest.filter((a) => ids.has(a.ID));
    const f = this.filterByTainted(canarySet);
    desired.Stop += this.markStop(f.migrate, ALLOC_MIGRATING);
    desired.Stop += this.markStop(f.lost, ALLOC_LOST, 'lost');
    const gone = new Set([...f.migrate, ...f.lost].map((a) => a.ID));
    rest = rest.filter((a) => !gone.has(a.ID));
    return { canaries: f.untainted.filter((a) => !allocTerminal(a)), all: rest };
  }

  /** Returns whether the group's part of the deployment is complete. */
  private computeGroup(job: Job, tg: TaskGroup, groupAllocs: Allocation[]): boolean {
    const desired = this.desired(tg.Name);
    const isService = !this.input.batch && job.Type === 'service';
    const strategyEmpty = !isService || updateStrategyEmpty(tg);

    let dstate: DeploymentState | undefined = this.deployment?.TaskGroups[tg.Name];
    const existingDeployment = dstate !== undefined;
    if (!dstate) dstate = newDeploymentState(tg, this.input.nowNs);

    const canaryInfo = this.handleGroupCanaries(groupAllocs, desired);
    const canaries = canaryInfo.canaries;
    const all = canaryInfo.all;

    const tainted = this.filterByTainted(all);
    const resched = this.filterByRescheduleable(tainted.untainted);
    let untainted = resched.untainted;
    const migrate = tainted.migrate;
    const lost = tainted.lost;
    const rescheduleNow = resched.now;
    this.handleDelayedReschedules(job, resched.later);

    const nameIndex = new AllocNameIndex(job.ID, tg.Name, tg.Count, [...untainted, ...migrate, ...rescheduleNow]);

    let canaryState = existingDeployment && dstate.DesiredCanaries !== 0 && !dstate.Promoted;
    const stop = this.computeStop(tg, nameIndex, untainted, migrate, lost, canaries, canaryState);
    desired.Stop += stop.counted;
    untainted = untainted.filter((a) => !stop.ids.has(a.ID));
    const liveMigrate = migrate.filter((a) => !stop.ids.has(a.ID));

    // In-place and destructive updates.
    const ignore: Allocation[] = [];
    const inplace: Allocation[] = [];
    const destructive: Allocation[] = [];
    for (const a of untainted) {
      const decision = this.decideUpdate(a, job, tg);
      if (decision.kind === 'ignore') ignore.push(a);
      else if (decision.kind === 'destructive') destructive.push(a);
      else {
        inplace.push(a);
        this.result.inplace.push(decision.alloc);
      }
    }
    desired.Ignore += ignore.length;
    desired.InPlaceUpdate += inplace.length;
    if (!existingDeployment) dstate.DesiredTotal += destructive.length + inplace.length;

    // Canaries.
    const strategy = tg.Update;
    const promoted = existingDeployment && dstate.Promoted;
    const requireCanary = isService && destructive.length !== 0 && strategy !== null && canaries.length < strategy.Canary && !promoted;
    if (requireCanary && strategy) dstate.DesiredCanaries = strategy.Canary;
    if (requireCanary && strategy && !this.deploymentPaused && !this.deploymentFailed) {
      const number = strategy.Canary - canaries.length;
      desired.Canary += number;
      for (const name of nameIndex.nextCanaries(number, canaries, destructive)) {
        this.result.place.push({ name, tg, canary: true, previous: null, reschedule: false, stopPrevious: null });
      }
    }

    canaryState = dstate.DesiredCanaries !== 0 && !dstate.Promoted;
    let limit = this.computeLimit(tg, untainted, destructive, liveMigrate, canaryState, strategyEmpty);

    const place = this.computePlacements(tg, nameIndex, untainted, liveMigrate, rescheduleNow, canaryState);
    if (!existingDeployment) dstate.DesiredTotal += place.length;

    const placeReady = !this.deploymentPaused && !this.deploymentFailed && !canaryState;
    if (placeReady) {
      desired.Place += place.length;
      this.result.place.push(...place);
      desired.Stop += this.markStop(rescheduleNow, ALLOC_RESCHEDULED);
      limit -= Math.min(place.length, limit);
    } else {
      // Lost and failed allocations are replaced even while the deployment waits.
      let allowedLost = Math.min(lost.length, place.length);
      for (const p of place) {
        if (p.reschedule) {
          const prev = p.previous;
          if (this.deploymentFailed && prev && this.deployment && prev.DeploymentID === this.deployment.ID) continue;
          this.result.place.push(p);
          desired.Place++;
          if (prev) desired.Stop += this.markStop([prev], ALLOC_RESCHEDULED);
        } else if (allowedLost > 0) {
          allowedLost--;
          this.result.place.push(p);
          desired.Place++;
        }
      }
    }

    if (placeReady) {
      const ordered = sortByName(destructive);
      const n = Math.min(destructive.length, limit);
      desired.DestructiveUpdate += n;
      desired.Ignore += destructive.length - n;
      for (const a of ordered.slice(0, n)) {
        this.result.destructive.push({ name: a.Name, tg, canary: false, previous: a, reschedule: false, stopPrevious: ALLOC_UPDATING });
      }
    } else {
      desired.Ignore += destructive.length;
    }

    desired.Migrate += liveMigrate.length;
    for (const a of sortByName(liveMigrate)) {
      this.result.place.push({ name: a.Name, tg, canary: false, previous: a, reschedule: false, stopPrevious: ALLOC_MIGRATING });
    }

    // A deployment for a new job version, or for the first registration.
    const updatingSpec = destructive.length !== 0 || inplace.length !== 0;
    let hadRunning = false;
    for (const a of groupAllocs) {
      if (a.Job && a.Job.Version === job.Version && a.Job.CreateIndex === job.CreateIndex) {
        hadRunning = true;
        break;
      }
    }
    if (!existingDeployment && !strategyEmpty && dstate.DesiredTotal !== 0 && (!hadRunning || updatingSpec)) {
      if (!this.deployment) {
        this.deployment = newDeployment(job, this.input.generateId());
        this.result.deployment = this.deployment;
      } else if (this.result.deployment !== this.deployment) {
        // An existing deployment gains a group: it goes into the plan again.
        this.deployment = { ...this.deployment, TaskGroups: { ...this.deployment.TaskGroups } };
        this.result.deployment = this.deployment;
      }
      this.deployment.TaskGroups[tg.Name] = dstate;
    }

    let groupComplete =
      destructive.length + inplace.length + place.length + liveMigrate.length + rescheduleNow.length + resched.later.length === 0 && !requireCanary;
    if (groupComplete && this.deployment) {
      const s = this.deployment.TaskGroups[tg.Name];
      if (s && (s.HealthyAllocs < Math.max(s.DesiredTotal, s.DesiredCanaries) || (s.DesiredCanaries > 0 && !s.Promoted))) groupComplete = false;
    }
    return groupComplete;
  }

  private decideUpdate(a: Allocation, job: Job, tg: TaskGroup): UpdateDecision {
    if (!a.Job || a.Job.JobModifyIndex === job.JobModifyIndex) return { kind: 'ignore' };
    return this.input.updateFn(a, job, tg);
  }

  private computeStop(
    tg: TaskGroup,
    nameIndex: AllocNameIndex,
    untaintedIn: Allocation[],
    migrate: Allocation[],
    lost: Allocation[],
    canaries: Allocation[],
    canaryState: boolean,
  ): { ids: Set<string>; counted: number } {
    const ids = new Set<string>();
    let counted = this.markStop(lost, ALLOC_LOST, 'lost');
    for (const a of lost) ids.add(a.ID);

    const canaryIds = new Set(canaries.map((a) => a.ID));
    // While canaries are being tried they do not count against the group.
    let untainted = canaryState ? untaintedIn.filter((a) => !canaryIds.has(a.ID)) : untaintedIn;
    let remove = untainted.length + migrate.length - tg.Count;
    if (remove <= 0) return { ids, counted };
    untainted = untainted.filter((a) => !allocTerminal(a));

    const stopOne = (a: Allocation): void => {
      ids.add(a.ID);
      counted += this.markStop([a], ALLOC_NOT_NEEDED);
      remove--;
    };

    // Once promoted, the allocations the canaries took the names of go first.
    if (!canaryState && canaries.length !== 0) {
      const canaryNames = new Set(canaries.map((a) => a.Name));
      for (const a of untainted) {
        if (remove <= 0) break;
        if (!canaryIds.has(a.ID) && canaryNames.has(a.Name)) stopOne(a);
      }
      if (remove <= 0) return { ids, counted };
    }

    // Prefer migrating allocations over running ones.
    if (migrate.length !== 0) {
      const mNames = new AllocNameIndex(this.input.jobId, tg.Name, tg.Count, migrate).highest(remove);
      for (const a of migrate) {
        if (remove <= 0) break;
        if (!mNames.has(a.Name) || ids.has(a.ID)) continue;
        stopOne(a);
        nameIndex.unset(allocIndex(a.Name));
      }
      if (remove <= 0) return { ids, counted };
    }

    const candidates = untainted.filter((a) => !ids.has(a.ID));
    const highest = nameIndex.highest(remove);
    for (const a of sortByName(candidates).reverse()) {
      if (remove <= 0) break;
      if (highest.has(a.Name) && !(canaryState && canaryIds.has(a.ID))) stopOne(a);
    }
    // Duplicate names can leave some over: stop from the highest index down.
    for (const a of sortByName(candidates).reverse()) {
      if (remove <= 0) break;
      if (!ids.has(a.ID) && !(canaryState && canaryIds.has(a.ID))) stopOne(a);
    }
    return { ids, counted };
  }

  private computeLimit(tg: TaskGroup, untainted: Allocation[], destructive: Allocation[], migrate: Allocation[], canaryState: boolean, strategyEmpty: boolean): number {
    if (strategyEmpty || destructive.length + migrate.length === 0) return tg.Count;
    if (this.deploymentPaused || this.deploymentFailed) return 0;
    if (canaryState) return 0;
    let limit = tg.Update!.MaxParallel;
    const d = this.deployment;
    if (d) {
      for (const a of untainted) {
        if (a.DeploymentID !== d.ID) continue;
        if (a.DeploymentStatus?.Healthy === false) return 0;
        if (a.DeploymentStatus?.Healthy !== true) limit--;
      }
    }
    return Math.max(limit, 0);
  }

  private computePlacements(tg: TaskGroup, nameIndex: AllocNameIndex, untainted: Allocation[], migrate: Allocation[], reschedule: Allocation[], canaryState: boolean): PlaceRequest[] {
    const place: PlaceRequest[] = [];
    for (const a of reschedule) {
      place.push({ name: a.Name, tg, canary: a.DeploymentStatus?.Canary === true, previous: a, reschedule: true, stopPrevious: null });
    }
    void canaryState;
    const existing = untainted.length + migrate.length + reschedule.length;
    if (existing >= tg.Count) return place;
    for (const name of nameIndex.next(tg.Count - existing)) {
      place.push({ name, tg, canary: false, previous: null, reschedule: false, stopPrevious: null });
    }
    return place;
  }
}

export function newDeploymentState(tg: TaskGroup, nowNs: number): DeploymentState {
  const u = tg.Update;
  const deadline = u?.ProgressDeadline ?? 0;
  return {
    AutoRevert: u?.AutoRevert ?? false,
    AutoPromote: u?.AutoPromote ?? false,
    ProgressDeadline: deadline,
    RequireProgressBy: deadline > 0 ? rfc3339Nano(nowNs + deadline) : ZERO_TIME,
    Promoted: false,
    PlacedCanaries: null,
    DesiredCanaries: 0,
    DesiredTotal: 0,
    PlacedAllocs: 0,
    HealthyAllocs: 0,
    UnhealthyAllocs: 0,
  };
}


function followupEval(job: Job, input: ReconcileInput, waitUntilNs: number): Evaluation {
  return newEvaluation({
    ID: input.generateId(),
    Namespace: job.Namespace,
    Priority: input.evalPriority,
    Type: job.Type,
    TriggeredBy: 'alloc-failure',
    JobID: job.ID,
    JobModifyIndex: job.ModifyIndex,
    StatusDescription: FOLLOWUP_EVAL_DESC,
    WaitUntil: rfc3339Nano(waitUntilNs),
    PreviousEval: input.evalId,
    CreateTime: input.nowNs,
    ModifyTime: input.nowNs,
  });
}
