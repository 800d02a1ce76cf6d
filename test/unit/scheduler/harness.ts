// An in-memory state and planner for scheduler tests and benchmarks: the StateReader reads maps
// with the indexes schedulers use; the Planner applies submitted plans to them as the plan
// applier and FSM would (indexes, NextAllocation links, deployment canaries and counts), so
// scenarios of many evaluations can run one after another.
import type { JobScalingEvents, ScalingPolicy } from '../../../src/structs/scaling.js';
import type { Allocation } from '../../../src/structs/alloc.js';
import type { Deployment } from '../../../src/structs/deployment.js';
import type { Evaluation } from '../../../src/structs/evaluation.js';
import type { Job } from '../../../src/structs/job.js';
import type { Node } from '../../../src/structs/node.js';
import type { Plan, PlanResult } from '../../../src/structs/plan.js';
import type { JobSummary } from '../../../src/structs/summary.js';
import { type AutopilotConfiguration, nextLiveAllocChanges, type LiveAllocChanges, type SchedulerConfiguration, type StateReader, type TableName } from '../../../src/state/reader.js';
import { defaultAutopilotConfig } from '../../../src/state/tables.js';
import { defaultNamespace, type Namespace } from '../../../src/structs/namespace.js';
import type { PeriodicLaunch } from '../../../src/structs/periodic.js';
import { newScheduler } from '../../../src/scheduler/index.js';
import type { Planner, Scheduler, SchedulerOptions } from '../../../src/scheduler/planner.js';

function key(ns: string, id: string): string {
  return `${ns}\u0000${id}`;
}

function addTo(index: Map<string, Set<string>>, k: string, id: string): void {
  let s = index.get(k);
  if (!s) index.set(k, (s = new Set()));
  s.add(id);
}

export class Harness implements StateReader, Planner {
  private index = 1000;
  private readonly tableIndexes = new Map<TableName, number>();
  private readonly jobsByKey = new Map<string, Job>();
  private readonly jobVersionsByKey = new Map<string, Job[]>();
  private readonly nodesById = new Map<string, Node>();
  private sortedNodes: Node[] | null = null;
  private readonly allocsById = new Map<string, Allocation>();
  private readonly allocsByJobKey = new Map<string, Set<string>>();
  private readonly allocsByNodeId = new Map<string, Set<string>>();
  /** Live (DesiredStatus run) allocations per node, as the store's index: ranking asks per candidate. */
  private readonly liveByNodeId = new Map<string, Map<string, Allocation>>();
  /** The lists handed out, frozen and kept until the node's allocations change. */
  private readonly liveLists = new Map<string, readonly Allocation[]>();
  /** The change chain as last handed out, and the nodes changed since (one entry per read that follows writes). */
  private liveChanges: LiveAllocChanges | null = null;
  private readonly liveChangedSince = new Set<string>();
  private readonly allocsByEvalId = new Map<string, Set<string>>();
  private readonly allocsByDeploymentId = new Map<string, Set<string>>();
  private readonly evalsById = new Map<string, Evaluation>();
  private readonly deploymentsById = new Map<string, Deployment>();
  /** Deployment IDs by job, as the store indexes them: the scheduler asks for a job's latest deployment every eval. */
  private readonly deploymentIdsByJobKey = new Map<string, Set<string>>();
  config: SchedulerConfiguration = {
    SchedulerAlgorithm: 'binpack',
    MemoryOversubscriptionEnabled: false,
    RejectJobRegistration: false,
    PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
    CreateIndex: 0,
    ModifyIndex: 0,
  };

  /** What the planner saw, in order. */
  readonly plans: Plan[] = [];
  readonly results: PlanResult[] = [];
  readonly evalUpdates: Evaluation[] = [];
  readonly createdEvals: Evaluation[] = [];
  readonly reblockedEvals: Evaluation[] = [];
  /** When set, the next plan's parts for these nodes are refused (one time), as a conflicting plan would. */
  rejectNodesOnce: Set<string> | null = null;
  /** When true, plans are recorded but not applied (as `job plan` does). */
  dryRun = false;

  nextIndex(): number {
    return ++this.index;
  }

  private touch(table: TableName, idx: number): void {
    this.tableIndexes.set(table, idx);
    this.tableIndexes.set('index', idx);
  }

  // ---- writes used by tests --------------------------------------------------------------

  /** Registers a job as Job.Register would: new version when it exists, indexes set. */
  registerJob(job: Job): Job {
    const idx = this.nextIndex();
    const k = key(job.Namespace, job.ID);
    const prev = this.jobsByKey.get(k);
    const stored: Job = {
      ...job,
      Version: prev ? prev.Version + 1 : 0,
      CreateIndex: prev ? prev.CreateIndex : idx,
      ModifyIndex: idx,
      JobModifyIndex: idx,
    };
    this.jobsByKey.set(k, stored);
    const versions = this.jobVersionsByKey.get(k) ?? [];
    versions.unshift(stored);
    this.jobVersionsByKey.set(k, versions);
    this.touch('jobs', idx);
    return stored;
  }

  /** Stores a job exactly as given (indexes included). */
  putJob(job: Job): void {
    const k = key(job.Namespace, job.ID);
    this.jobsByKey.set(k, job);
    this.touch('jobs', this.nextIndex());
  }

  deleteJob(ns: string, id: string): void {
    this.jobsByKey.delete(key(ns, id));
    this.touch('jobs', this.nextIndex());
  }

  upsertNode(node: Node): Node {
    const idx = this.nextIndex();
    const prev = this.nodesById.get(node.ID);
    const stored = { ...node, CreateIndex: prev?.CreateIndex ?? idx, ModifyIndex: idx };
    this.nodesById.set(node.ID, stored);
    this.sortedNodes = null;
    this.touch('nodes', idx);
    return stored;
  }

  upsertAlloc(alloc: Allocation): Allocation {
    const idx = this.nextIndex();
    const prev = this.allocsById.get(alloc.ID);
    const stored = { ...alloc, CreateIndex: prev?.CreateIndex ?? (alloc.CreateIndex || idx), ModifyIndex: idx };
    this.storeAlloc(stored);
    this.touch('allocs', idx);
    return stored;
  }

  /** Changes an allocation as a client update or the drainer would. */
  updateAlloc(id: string, change: Partial<Allocation>): Allocation {
    const prev = this.allocsById.get(id);
    if (!prev) throw new Error(`no allocation ${id}`);
    return this.upsertAlloc({ ...prev, ...change });
  }

  upsertDeployment(d: Deployment): Deployment {
    const idx = this.nextIndex();
    const prev = this.deploymentsById.get(d.ID);
    const stored = { ...d, CreateIndex: prev?.CreateIndex ?? idx, ModifyIndex: idx };
    this.putDeployment(stored);
    this.touch('deployment', idx);
    return stored;
  }

  upsertEval(ev: Evaluation): Evaluation {
    const idx = this.nextIndex();
    const prev = this.evalsById.get(ev.ID);
    const stored = { ...ev, CreateIndex: prev?.CreateIndex ?? idx, ModifyIndex: idx };
    this.evalsById.set(ev.ID, stored);
    this.touch('evals', idx);
    return stored;
  }

  /** The last job key built: a plan stores many allocations of one job, each would build the same string. */
  private lastJobKey = { ns: '', id: '', key: key('', '') };

  private jobKeyOf(a: Allocation): string {
    const last = this.lastJobKey;
    if (last.ns !== a.Namespace || last.id !== a.JobID) this.lastJobKey = { ns: a.Namespace, id: a.JobID, key: key(a.Namespace, a.JobID) };
    return this.lastJobKey.key;
  }

  private putDeployment(d: Deployment): void {
    this.deploymentsById.set(d.ID, d);
    addTo(this.deploymentIdsByJobKey, key(d.Namespace, d.JobID), d.ID);
  }

  private storeAlloc(a: Allocation): void {
    this.allocsById.set(a.ID, a);
    addTo(this.allocsByJobKey, this.jobKeyOf(a), a.ID);
    addTo(this.allocsByNodeId, a.NodeID, a.ID);
    this.liveLists.delete(a.NodeID);
    this.liveChangedSince.add(a.NodeID);
    let live = this.liveByNodeId.get(a.NodeID);
    if (a.DesiredStatus === 'run') {
      if (!live) this.liveByNodeId.set(a.NodeID, (live = new Map()));
      live.set(a.ID, a);
    } else if (live?.delete(a.ID) && live.size === 0) {
      this.liveByNodeId.delete(a.NodeID);
    }
    addTo(this.allocsByEvalId, a.EvalID, a.ID);
    if (a.DeploymentID) addTo(this.allocsByDeploymentId, a.DeploymentID, a.ID);
  }

  // ---- Planner -------------------------------------------------------------------------

  async submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }> {
    this.plans.push(plan);
    const reject = this.rejectNodesOnce;
    this.rejectNodesOnce = null;
    const result: PlanResult = {
      NodeUpdate: {},
      NodeAllocation: {},
      NodePreemptions: {},
      Deployment: plan.Deployment,
      DeploymentUpdates: plan.DeploymentUpdates,
      RejectedNodes: [],
      RefreshIndex: 0,
      AllocIndex: 0,
    };
    if (this.dryRun) {
      result.NodeUpdate = plan.NodeUpdate;
      result.NodeAllocation = plan.NodeAllocation;
      this.results.push(result);
      return { result, newState: null };
    }
    const idx = this.nextIndex();
    result.AllocIndex = idx;
    const nowNs = Date.now() * 1_000_000;
    if (plan.Deployment) {
      const prev = this.deploymentsById.get(plan.Deployment.ID);
      this.putDeployment({ ...plan.Deployment, CreateIndex: prev?.CreateIndex ?? idx, ModifyIndex: idx });
      this.touch('deployment', idx);
    }
    for (const u of plan.DeploymentUpdates ?? []) {
      const d = this.deploymentsById.get(u.DeploymentID);
      if (d) this.putDeployment({ ...d, Status: u.Status as Deployment['Status'], StatusDescription: u.StatusDescription, ModifyIndex: idx });
    }
    for (const [nodeId, stops] of Object.entries(plan.NodeUpdate)) {
      if (reject?.has(nodeId)) continue;
      result.NodeUpdate[nodeId] = stops;
      for (const s of stops) {
        const prev = this.allocsById.get(s.ID);
        if (!prev) continue;
        this.storeAlloc({
          ...prev,
          DesiredStatus: s.DesiredStatus,
          DesiredDescription: s.DesiredDescription,
          ClientStatus: s.ClientStatus,
          FollowupEvalID: s.FollowupEvalID,
          ModifyIndex: idx,
          ModifyTime: nowNs,
        });
      }
    }
    const counted: Array<[Allocation, boolean]> = [];
    for (const [nodeId, allocs] of Object.entries(plan.NodeAllocation)) {
      if (reject?.has(nodeId)) continue;
      result.NodeAllocation[nodeId] = allocs;
      for (const a of allocs) {
        const prev = this.allocsById.get(a.ID);
        // The plan is the scheduler's to hand over: its allocations are stored as they are.
        const stored = a;
        stored.CreateIndex = prev?.CreateIndex ?? idx;
        stored.ModifyIndex = idx;
        stored.AllocModifyIndex = idx;
        stored.CreateTime = prev?.CreateTime ?? nowNs;
        stored.ModifyTime = nowNs;
        this.storeAlloc(stored);
        if (!prev && a.PreviousAllocation) {
          const p = this.allocsById.get(a.PreviousAllocation);
          if (p) this.storeAlloc({ ...p, NextAllocation: a.ID, ModifyIndex: idx });
        }
        if (a.DeploymentID) counted.push([stored, !prev || prev.DeploymentID !== a.DeploymentID]);
      }
    }
    this.countInDeployments(counted, idx);
    this.touch('allocs', idx);
    if (reject && reject.size > 0) {
      result.RejectedNodes = [...reject].filter((n) => n in plan.NodeAllocation || n in plan.NodeUpdate);
      result.RefreshIndex = idx;
    }
    this.results.push(result);
    return { result, newState: result.RejectedNodes.length > 0 ? this : null };
  }

  /** As the FSM does: placed counts and canary IDs of the deployments the allocations belong to. */
  private countInDeployments(counted: Array<[Allocation, boolean]>, idx: number): void {
    const changed = new Map<string, Deployment>();
    for (const [a, isNew] of counted) {
      let d = changed.get(a.DeploymentID);
      if (!d) {
        const stored = this.deploymentsById.get(a.DeploymentID);
        if (!stored) continue;
        d = { ...stored, TaskGroups: Object.fromEntries(Object.entries(stored.TaskGroups).map(([k, v]) => [k, { ...v }])), ModifyIndex: idx };
        changed.set(d.ID, d);
      }
      const s = d.TaskGroups[a.TaskGroup];
      if (!s) continue;
      if (isNew) s.PlacedAllocs++;
      if (a.DeploymentStatus?.Canary && !(s.PlacedCanaries ?? []).includes(a.ID)) s.PlacedCanaries = [...(s.PlacedCanaries ?? []), a.ID];
    }
    for (const d of changed.values()) this.putDeployment(d);
  }

  async updateEval(ev: Evaluation): Promise<void> {
    this.evalUpdates.push(ev);
    this.upsertEval(ev);
  }

  async createEval(ev: Evaluation): Promise<void> {
    this.createdEvals.push(ev);
    this.upsertEval(ev);
  }

  async reblockEval(ev: Evaluation): Promise<void> {
    this.reblockedEvals.push(ev);
    this.upsertEval(ev);
  }

  // ---- conveniences ----------------------------------------------------------------------

  scheduler(jobType: string, options: SchedulerOptions = {}): Scheduler {
    return newScheduler(jobType, this, this, options);
  }

  /** Runs the eval through the scheduler of its type and returns the eval as last written. */
  async process(ev: Evaluation, options: SchedulerOptions = {}): Promise<Evaluation | null> {
    this.upsertEval(ev);
    await this.scheduler(ev.Type, options).process(ev);
    return this.evalsById.get(ev.ID) ?? null;
  }

  lastPlan(): Plan {
    const p = this.plans[this.plans.length - 1];
    if (!p) throw new Error('no plan was submitted');
    return p;
  }

  lastEvalUpdate(): Evaluation {
    const e = this.evalUpdates[this.evalUpdates.length - 1];
    if (!e) throw new Error('no evaluation was updated');
    return e;
  }

  // ---- StateReader -----------------------------------------------------------------------

  latestIndex(): number {
    return this.index;
  }

  tableIndex(table: TableName): number {
    return this.tableIndexes.get(table) ?? 0;
  }

  jobByID(namespace: string, id: string): Job | null {
    return this.jobsByKey.get(key(namespace, id)) ?? null;
  }

  jobs(namespace?: string): Job[] {
    return [...this.jobsByKey.values()].filter((j) => !namespace || namespace === '*' || j.Namespace === namespace).sort((a, b) => (a.ID < b.ID ? -1 : 1));
  }

  jobsByIDPrefix(namespace: string, prefix: string): Job[] {
    return this.jobs(namespace).filter((j) => j.ID.startsWith(prefix));
  }

  jobVersions(namespace: string, id: string): Job[] {
    return [...(this.jobVersionsByKey.get(key(namespace, id)) ?? [])];
  }

  jobByIDAndVersion(namespace: string, id: string, version: number): Job | null {
    return this.jobVersions(namespace, id).find((j) => j.Version === version) ?? null;
  }

  jobSummary(_namespace: string, _id: string): JobSummary | null {
    return null;
  }

  nodeByID(id: string): Node | null {
    return this.nodesById.get(id) ?? null;
  }

  nodes(): Node[] {
    this.sortedNodes ??= [...this.nodesById.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
    return this.sortedNodes;
  }

  nodesByIDPrefix(prefix: string): Node[] {
    return this.nodes().filter((n) => n.ID.startsWith(prefix));
  }

  allocByID(id: string): Allocation | null {
    return this.allocsById.get(id) ?? null;
  }

  private allocsOf(ids: Set<string> | undefined): Allocation[] {
    const out: Allocation[] = [];
    for (const id of ids ?? []) {
      const a = this.allocsById.get(id);
      if (a) out.push(a);
    }
    return out;
  }

  allocsByIDPrefix(namespace: string, prefix: string): Allocation[] {
    return this.allocs(namespace).filter((a) => a.ID.startsWith(prefix));
  }

  allocs(namespace?: string): Allocation[] {
    return [...this.allocsById.values()].filter((a) => !namespace || namespace === '*' || a.Namespace === namespace);
  }

  allocsByJob(namespace: string, jobId: string, allVersions: boolean): Allocation[] {
    const all = this.allocsOf(this.allocsByJobKey.get(key(namespace, jobId)));
    if (allVersions) return all;
    const job = this.jobByID(namespace, jobId);
    return job ? all.filter((a) => a.Job?.CreateIndex === job.CreateIndex) : all;
  }

  allocsByNode(nodeId: string): Allocation[] {
    return this.allocsOf(this.allocsByNodeId.get(nodeId));
  }

  allocsByNodeNonTerminal(nodeId: string): Allocation[] {
    let list = this.liveLists.get(nodeId);
    if (!list) {
      const live = this.liveByNodeId.get(nodeId);
      list = Object.freeze(live ? [...live.values()] : []);
      this.liveLists.set(nodeId, list);
    }
    // Frozen: a caller that tried to change the shared list would throw rather than corrupt it.
    return list as Allocation[];
  }

  liveAllocChanges(): LiveAllocChanges | null {
    if (this.liveChangedSince.size > 0) {
      this.liveChanges = nextLiveAllocChanges(this.liveChanges, [...this.liveChangedSince]);
      this.liveChangedSince.clear();
    }
    return this.liveChanges;
  }

  allocsByEval(evalId: string): Allocation[] {
    return this.allocsOf(this.allocsByEvalId.get(evalId));
  }

  allocsByDeployment(deploymentId: string): Allocation[] {
    return this.allocsOf(this.allocsByDeploymentId.get(deploymentId));
  }

  evalByID(id: string): Evaluation | null {
    return this.evalsById.get(id) ?? null;
  }

  evalsByIDPrefix(namespace: string, prefix: string): Evaluation[] {
    return this.evals(namespace).filter((e) => e.ID.startsWith(prefix));
  }

  evals(namespace?: string): Evaluation[] {
    return [...this.evalsById.values()].filter((e) => !namespace || namespace === '*' || e.Namespace === namespace);
  }

  evalsByJob(namespace: string, jobId: string): Evaluation[] {
    return this.evals(namespace).filter((e) => e.JobID === jobId);
  }

  deploymentByID(id: string): Deployment | null {
    return this.deploymentsById.get(id) ?? null;
  }

  deploymentsByIDPrefix(namespace: string, prefix: string): Deployment[] {
    return this.deployments(namespace).filter((d) => d.ID.startsWith(prefix));
  }

  deployments(namespace?: string): Deployment[] {
    return [...this.deploymentsById.values()].filter((d) => !namespace || namespace === '*' || d.Namespace === namespace);
  }

  deploymentsByJob(namespace: string, jobId: string): Deployment[] {
    if (!namespace || namespace === '*') return this.deployments(namespace).filter((d) => d.JobID === jobId);
    const out: Deployment[] = [];
    for (const id of this.deploymentIdsByJobKey.get(key(namespace, jobId)) ?? []) {
      const d = this.deploymentsById.get(id);
      if (d) out.push(d);
    }
    return out;
  }

  latestDeploymentByJob(namespace: string, jobId: string): Deployment | null {
    let best: Deployment | null = null;
    for (const d of this.deploymentsByJob(namespace, jobId)) if (!best || d.CreateIndex > best.CreateIndex) best = d;
    return best;
  }

  schedulerConfig(): SchedulerConfiguration {
    return this.config;
  }

  autopilotConfig(): AutopilotConfiguration {
    return defaultAutopilotConfig();
  }

  /** The harness holds the default namespace only, and no periodic launches. */
  namespaceByName(name: string): Namespace | null {
    return name === 'default' ? defaultNamespace() : null;
  }

  namespaces(): Namespace[] {
    return [defaultNamespace()];
  }

  periodicLaunch(): PeriodicLaunch | null {
    return null;
  }

  // Schedulers never read scaling policies or events: the harness keeps none.
  scalingPolicies(): ScalingPolicy[] {
    return [];
  }

  scalingPolicyByID(): ScalingPolicy | null {
    return null;
  }

  scalingPoliciesByJob(): ScalingPolicy[] {
    return [];
  }

  scalingEventsByJob(): JobScalingEvents | null {
    return null;
  }
}
