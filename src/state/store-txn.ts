// A write transaction: reads see the transaction's own writes; nothing is visible to readers
// until commit, and an abandoned transaction leaves the store exactly as it was (the maps it
// built are simply dropped).
import { allocTerminal, type Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import { evalTerminal, type Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import type { JobScalingEvents, ScalingPolicy } from '../structs/scaling.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { Namespace } from '../structs/namespace.js';
import type { PeriodicLaunch } from '../structs/periodic.js';
import { deepFreeze } from './freeze.js';
import { IndexTxn } from './index-txn.js';
import type { MutableMap, PMap } from './pmap.js';
import { type AutopilotConfiguration, nextLiveAllocChanges, type SchedulerConfiguration, type TableName } from './reader.js';
import { nsKey, type IndexTableKey, type JobCounts, type MapTableKey, type PIndex, type Tables } from './tables.js';
import type { ChangedKeys, WatchKind } from './watch-keys.js';
import { TxnChanges } from './txn-changes.js';

type PlainTableKey = Exclude<MapTableKey, IndexTableKey>;
type MapValue<K extends PlainTableKey> = Tables[K] extends PMap<infer V> ? V : never;
type IndexValue<K extends IndexTableKey> = Tables[K] extends PIndex<infer V> ? V : never;

/** Per version of the nodes table (immutable), its node ID strings by value; built on first need. */
const nodeIdStrings = new WeakMap<PMap<Node>, Map<string, string>>();

const NO_COUNTS: JobCounts = { allocs: 0, liveAllocs: 0, evals: 0, liveEvals: 0 };

/** The watch key of each secondary index's owners (the live-allocation index is covered by the node's). */
const OWNER_KINDS: ReadonlyArray<[IndexTableKey, WatchKind]> = [
  ['allocsByJob', 'jobAllocs'],
  ['allocsByNode', 'nodeAllocs'],
  ['allocsByEval', 'evalAllocs'],
  ['allocsByDeployment', 'deploymentAllocs'],
  ['evalsByJob', 'jobEvals'],
  ['deploymentsByJob', 'jobDeployments'],
];

export class WriteTxn {
  private readonly maps = new Map<PlainTableKey, MutableMap<unknown>>();
  private readonly indexes = new Map<IndexTableKey, IndexTxn<unknown>>();
  /** Job counts created by this transaction: updated in place instead of copied per change. */
  private readonly ownedCounts = new Set<JobCounts>();
  private schedulerConfigValue: SchedulerConfiguration | null;
  private schedulerConfigTouched = false;
  private aclBootstrapIndexValue: number;
  private aclBootstrapTouched = false;
  private autopilotConfigValue: AutopilotConfiguration | null;
  private autopilotConfigTouched = false;
  /** Tables written by this transaction: their index becomes the transaction's index at commit. */
  readonly touched = new Set<TableName>();
  /** Nodes whose live allocations this transaction changed. */
  private readonly liveNodes = new Set<string>();
  /** Objects written by this transaction, by watch kind (the owners of index entries come from the indexes). */
  private readonly touchedObjects = new Map<WatchKind, Set<string>>();
  /** The objects written, once recordChanges() asked for them. */
  private changes: TxnChanges | null = null;

  constructor(
    private readonly base: Tables,
    readonly index: number,
    private readonly freeze: boolean,
  ) {
    this.schedulerConfigValue = base.schedulerConfig;
    this.aclBootstrapIndexValue = base.aclBootstrapIndex;
    this.autopilotConfigValue = base.autopilotConfig;
  }

  private map<K extends PlainTableKey>(key: K): MutableMap<MapValue<K>> {
    let m = this.maps.get(key);
    if (m === undefined) {
      m = (this.base[key] as unknown as PMap<unknown>).mutable();
      this.maps.set(key, m);
    }
    return m as MutableMap<MapValue<K>>;
  }

  private read<K extends PlainTableKey>(key: K): PMap<MapValue<K>> | MutableMap<MapValue<K>> {
    const m = this.maps.get(key);
    return (m ?? this.base[key]) as PMap<MapValue<K>> | MutableMap<MapValue<K>>;
  }

  private indexTable<K extends IndexTableKey>(key: K): IndexTxn<IndexValue<K>> {
    let ix = this.indexes.get(key);
    if (ix === undefined) {
      ix = new IndexTxn<unknown>(this.base[key] as PIndex<unknown>);
      this.indexes.set(key, ix);
    }
    return ix as IndexTxn<IndexValue<K>>;
  }

  /** The IDs an owner has in an index, as this transaction sees them. */
  private idsOf(key: IndexTableKey, owner: string): string[] {
    const ix = this.indexes.get(key);
    const inner = ix !== undefined ? ix.inner(owner) : this.base[key].get(owner);
    return inner === undefined ? [] : inner.keys();
  }

  /** Whether an owner has entries in an index, as this transaction sees it. */
  private hasOwned(key: IndexTableKey, owner: string): boolean {
    const ix = this.indexes.get(key);
    const inner = ix !== undefined ? ix.inner(owner) : this.base[key].get(owner);
    return inner !== undefined && inner.size > 0;
  }

  /** True when stored objects are deep-frozen (so none may be updated in place). */
  get freezing(): boolean {
    return this.freeze;
  }

  private stored<T>(value: T): T {
    return this.freeze ? deepFreeze(value) : value;
  }

  private touchObject(kind: WatchKind, id: string): void {
    let ids = this.touchedObjects.get(kind);
    if (ids === undefined) {
      ids = new Set();
      this.touchedObjects.set(kind, ids);
    }
    ids.add(id);
  }

  /** From now on, keeps every stored or removed job, node, allocation, evaluation and deployment. */
  recordChanges(): TxnChanges {
    this.changes ??= new TxnChanges();
    return this.changes;
  }

  /** Marks a table as written without changing a row (e.g. Nomad bumps "allocs" on an empty batch). */
  touch(table: TableName): void {
    this.touched.add(table);
  }

  // ---- jobs ----

  job(namespace: string, id: string): Job | undefined {
    return this.read('jobs').get(nsKey(namespace, id));
  }

  putJob(job: Job): void {
    const key = nsKey(job.Namespace, job.ID);
    const jobs = this.map('jobs');
    const prev = jobs.get(key);
    const stored = this.stored(job);
    jobs.set(key, stored);
    this.touched.add('jobs');
    this.touchObject('job', key);
    this.changes?.stored(key, { table: 'jobs', value: stored });
    // Which of the job's allocations a list shows depends on the job's incarnation.
    if ((prev === undefined || prev.CreateIndex !== job.CreateIndex) && this.hasOwned('allocsByJob', key)) this.touchObject('jobAllocs', key);
  }

  /** The jobs of one namespace, ordered by ID. */
  jobsInNamespace(namespace: string): Job[] {
    return this.read('jobs').valuesWithPrefix(namespace + '\0');
  }

  deleteJob(namespace: string, id: string): void {
    const key = nsKey(namespace, id);
    if (!this.map('jobs').delete(key)) return;
    this.touched.add('jobs');
    this.touchObject('job', key);
    if (this.hasOwned('allocsByJob', key)) this.touchObject('jobAllocs', key);
  }

  jobVersions(namespace: string, id: string): readonly Job[] {
    return this.read('jobVersions').get(nsKey(namespace, id)) ?? [];
  }

  putJobVersions(namespace: string, id: string, versions: readonly Job[]): void {
    this.map('jobVersions').set(nsKey(namespace, id), this.stored(versions));
    this.touched.add('job_version');
  }

  deleteJobVersions(namespace: string, id: string): void {
    if (this.map('jobVersions').delete(nsKey(namespace, id))) this.touched.add('job_version');
  }

  jobSummary(namespace: string, id: string): JobSummary | undefined {
    return this.read('jobSummaries').get(nsKey(namespace, id));
  }

  putJobSummary(summary: JobSummary): void {
    const key = nsKey(summary.Namespace, summary.JobID);
    this.map('jobSummaries').set(key, this.stored(summary));
    this.touched.add('job_summary');
    this.touchObject('jobSummary', key);
  }

  deleteJobSummary(namespace: string, id: string): void {
    const key = nsKey(namespace, id);
    if (!this.map('jobSummaries').delete(key)) return;
    this.touched.add('job_summary');
    this.touchObject('jobSummary', key);
  }

  jobCounts(namespace: string, id: string): JobCounts {
    return this.read('jobCounts').get(nsKey(namespace, id)) ?? NO_COUNTS;
  }

  /** Adds to a job's counts; `key` is nsKey(namespace, jobID). Positional: this runs per allocation. */
  private adjustCounts(key: string, allocs: number, liveAllocs: number, evals: number, liveEvals: number): void {
    if (allocs === 0 && liveAllocs === 0 && evals === 0 && liveEvals === 0) return;
    const m = this.map('jobCounts');
    const c = m.get(key) ?? NO_COUNTS;
    if (this.ownedCounts.has(c)) {
      // Created by this transaction, so no snapshot holds it yet: a plan of 10k allocations
      // makes one counts object per job, not one per allocation.
      c.allocs += allocs;
      c.liveAllocs += liveAllocs;
      c.evals += evals;
      c.liveEvals += liveEvals;
      if (c.allocs === 0 && c.evals === 0) m.delete(key);
      return;
    }
    const next: JobCounts = {
      allocs: c.allocs + allocs,
      liveAllocs: c.liveAllocs + liveAllocs,
      evals: c.evals + evals,
      liveEvals: c.liveEvals + liveEvals,
    };
    if (next.allocs === 0 && next.evals === 0) {
      m.delete(key);
      return;
    }
    this.ownedCounts.add(next);
    m.set(key, next);
  }

  // ---- nodes ----

  node(id: string): Node | undefined {
    return this.read('nodes').get(id);
  }

  /**
   * The ID string object of a stored node (as of the transaction's start), found by a hash
   * lookup: allocations decoded from the log carry their own copies of it, and pointing them at
   * the node's own saves memory per allocation without a tree lookup per allocation.
   */
  nodeIdString(id: string): string | undefined {
    const nodes = this.base.nodes;
    let ids = nodeIdStrings.get(nodes);
    if (ids === undefined) {
      ids = new Map();
      for (const n of nodes.frozenValues()) ids.set(n.ID, n.ID);
      nodeIdStrings.set(nodes, ids);
    }
    return ids.get(id);
  }

  putNode(node: Node): void {
    const stored = this.stored(node);
    this.map('nodes').set(node.ID, stored);
    this.touched.add('nodes');
    this.touchObject('node', node.ID);
    this.changes?.stored(node.ID, { table: 'nodes', value: stored });
  }

  deleteNode(id: string): boolean {
    const old = this.changes !== null ? this.read('nodes').get(id) : undefined;
    const deleted = this.map('nodes').delete(id);
    if (deleted) {
      this.touched.add('nodes');
      this.touchObject('node', id);
    }
    if (old !== undefined) this.changes?.removed(id, { table: 'nodes', value: old });
    return deleted;
  }

  // ---- allocations ----

  alloc(id: string): Allocation | undefined {
    return this.read('allocs').get(id);
  }

  /** Keys of the allocations of a job (all incarnations). */
  allocIdsByJob(namespace: string, jobId: string): string[] {
    return this.idsOf('allocsByJob', nsKey(namespace, jobId));
  }

  allocIdsByDeployment(deploymentId: string): string[] {
    return this.idsOf('allocsByDeployment', deploymentId);
  }

  /**
   * Puts a new allocation in the primary table in the same descent that finds its ID free, and
   * returns undefined; when the ID is taken, writes nothing and returns the stored allocation.
   * The caller then fills the allocation in and calls putAlloc(alloc, null, true) for the
   * indexes. A table of a million rows makes every descent count. Not while freezing (the
   * allocation is still being filled in), when it only looks the ID up.
   */
  claimAllocId(alloc: Allocation): Allocation | undefined {
    if (this.freeze) return this.alloc(alloc.ID);
    const existing = this.map('allocs').setIfAbsent(alloc.ID, alloc);
    if (existing === undefined) this.touched.add('allocs');
    return existing;
  }

  /**
   * Stores an allocation. `old` is what the caller already read for this ID (null: known absent),
   * which spares a second lookup in a table of a million rows; undefined looks it up. `claimed`:
   * claimAllocId already put this very object in the primary table.
   */
  putAlloc(alloc: Allocation, old?: Allocation | null, claimed = false): void {
    const prev = old === undefined ? this.read('allocs').get(alloc.ID) : (old ?? undefined);
    const stored = this.stored(alloc);
    if (!claimed || stored !== alloc) this.map('allocs').set(alloc.ID, stored);
    this.touched.add('allocs');
    this.changes?.stored(alloc.ID, { table: 'allocs', value: stored });
    const jobKey = nsKey(alloc.Namespace, alloc.JobID);
    const oldJobKey = prev === undefined ? undefined : prev.Namespace === alloc.Namespace && prev.JobID === alloc.JobID ? jobKey : nsKey(prev.Namespace, prev.JobID);
    // The indexes hold the object itself, so every index the allocation is in is written again.
    this.reindex('allocsByNode', prev?.NodeID, alloc.NodeID, alloc.ID, stored);
    this.reindex('allocsByEval', prev?.EvalID, alloc.EvalID, alloc.ID, stored);
    this.reindex('allocsByDeployment', prev?.DeploymentID, alloc.DeploymentID, alloc.ID, stored);
    this.reindex('allocsByJob', oldJobKey, jobKey, alloc.ID, stored);
    const wasLive = prev !== undefined && !allocTerminal(prev);
    const isLive = !allocTerminal(alloc);
    this.reindex('allocsByNodeLive', wasLive ? prev.NodeID : undefined, isLive ? alloc.NodeID : undefined, alloc.ID, stored);
    if (wasLive) this.liveNodes.add(prev.NodeID);
    if (isLive) this.liveNodes.add(alloc.NodeID);
    if (prev === undefined || prev.AllocModifyIndex !== alloc.AllocModifyIndex || prev.NodeID !== alloc.NodeID) {
      this.touchObject('nodeAllocVersions', alloc.NodeID);
      if (prev !== undefined && prev.NodeID !== alloc.NodeID) {
        this.touchObject('nodeAllocVersions', prev.NodeID);
        this.touchObject('nodeAllocRemovals', prev.NodeID);
        this.touchObject('nodeAllocRemovals', alloc.NodeID);
      }
    }
    if (oldJobKey === jobKey) {
      this.adjustCounts(jobKey, 0, (isLive ? 1 : 0) - (wasLive ? 1 : 0), 0, 0);
    } else {
      if (oldJobKey !== undefined) this.adjustCounts(oldJobKey, -1, wasLive ? -1 : 0, 0, 0);
      this.adjustCounts(jobKey, 1, isLive ? 1 : 0, 0, 0);
    }
  }

  deleteAlloc(id: string): boolean {
    const old = this.read('allocs').get(id);
    if (old === undefined) return false;
    this.map('allocs').delete(id);
    this.touched.add('allocs');
    this.reindex('allocsByNode', old.NodeID, undefined, id, undefined);
    this.reindex('allocsByEval', old.EvalID, undefined, id, undefined);
    this.reindex('allocsByDeployment', old.DeploymentID, undefined, id, undefined);
    this.reindex('allocsByJob', nsKey(old.Namespace, old.JobID), undefined, id, undefined);
    const wasLive = !allocTerminal(old);
    this.reindex('allocsByNodeLive', wasLive ? old.NodeID : undefined, undefined, id, undefined);
    if (wasLive) this.liveNodes.add(old.NodeID);
    this.touchObject('nodeAllocVersions', old.NodeID);
    this.touchObject('nodeAllocRemovals', old.NodeID);
    this.adjustCounts(nsKey(old.Namespace, old.JobID), -1, wasLive ? -1 : 0, 0, 0);
    return true;
  }

  /**
   * Moves an object from one owner to another in a secondary index, or stores its new version
   * under the same owner; an empty or undefined owner is not indexed.
   */
  private reindex<K extends IndexTableKey>(
    table: K,
    oldOwner: string | undefined,
    newOwner: string | undefined,
    id: string,
    value: IndexValue<K> | undefined,
  ): void {
    const hasOld = oldOwner !== undefined && oldOwner !== '';
    const hasNew = newOwner !== undefined && newOwner !== '' && value !== undefined;
    if (!hasOld && !hasNew) return;
    const ix = this.indexTable(table);
    if (hasOld && oldOwner !== newOwner) ix.delete(oldOwner, id);
    if (hasNew) ix.set(newOwner, id, value);
  }

  // ---- evaluations ----

  evaluation(id: string): Evaluation | undefined {
    return this.read('evals').get(id);
  }

  evalIdsByJob(namespace: string, jobId: string): string[] {
    return this.idsOf('evalsByJob', nsKey(namespace, jobId));
  }

  putEval(ev: Evaluation): void {
    const old = this.read('evals').get(ev.ID);
    const stored = this.stored(ev);
    this.map('evals').set(ev.ID, stored);
    this.touched.add('evals');
    this.touchObject('eval', ev.ID);
    this.changes?.stored(ev.ID, { table: 'evals', value: stored });
    const oldJob = old === undefined ? undefined : nsKey(old.Namespace, old.JobID);
    this.reindex('evalsByJob', oldJob, nsKey(ev.Namespace, ev.JobID), ev.ID, stored);
    if (old !== undefined) this.adjustCounts(nsKey(old.Namespace, old.JobID), 0, 0, -1, evalTerminal(old) ? 0 : -1);
    this.adjustCounts(nsKey(ev.Namespace, ev.JobID), 0, 0, 1, evalTerminal(ev) ? 0 : 1);
  }

  deleteEval(id: string): Evaluation | undefined {
    const old = this.read('evals').get(id);
    if (old === undefined) return undefined;
    this.map('evals').delete(id);
    this.touched.add('evals');
    this.touchObject('eval', id);
    this.reindex('evalsByJob', nsKey(old.Namespace, old.JobID), undefined, id, undefined);
    this.adjustCounts(nsKey(old.Namespace, old.JobID), 0, 0, -1, evalTerminal(old) ? 0 : -1);
    return old;
  }

  // ---- deployments ----

  deployment(id: string): Deployment | undefined {
    return this.read('deployments').get(id);
  }

  putDeployment(d: Deployment): void {
    const old = this.read('deployments').get(d.ID);
    const stored = this.stored(d);
    this.map('deployments').set(d.ID, stored);
    this.touched.add('deployment');
    this.touchObject('deployment', d.ID);
    this.changes?.stored(d.ID, { table: 'deployment', value: stored });
    const oldJob = old === undefined ? undefined : nsKey(old.Namespace, old.JobID);
    this.reindex('deploymentsByJob', oldJob, nsKey(d.Namespace, d.JobID), d.ID, stored);
  }

  deleteDeployment(id: string): boolean {
    const old = this.read('deployments').get(id);
    if (old === undefined) return false;
    this.map('deployments').delete(id);
    this.touched.add('deployment');
    this.touchObject('deployment', id);
    this.reindex('deploymentsByJob', nsKey(old.Namespace, old.JobID), undefined, id, undefined);
    return true;
  }

  // ---- namespaces ----

  namespace(name: string): Namespace | undefined {
    return this.read('namespaces').get(name);
  }

  putNamespace(ns: Namespace): void {
    this.map('namespaces').set(ns.Name, this.stored(ns));
    this.touched.add('namespaces');
  }

  deleteNamespace(name: string): void {
    if (this.map('namespaces').delete(name)) this.touched.add('namespaces');
  }

  // ---- periodic launches ----

  periodicLaunch(namespace: string, jobId: string): PeriodicLaunch | undefined {
    return this.read('periodicLaunches').get(nsKey(namespace, jobId));
  }

  putPeriodicLaunch(launch: PeriodicLaunch): void {
    this.map('periodicLaunches').set(nsKey(launch.Namespace, launch.ID), this.stored(launch));
    this.touched.add('periodic_launch');
  }

  deletePeriodicLaunch(namespace: string, jobId: string): void {
    if (this.map('periodicLaunches').delete(nsKey(namespace, jobId))) this.touched.add('periodic_launch');
  }

  // ---- scaling ----

  scalingPolicy(id: string): ScalingPolicy | undefined {
    return this.read('scalingPolicies').get(id);
  }

  putScalingPolicy(policy: ScalingPolicy): void {
    this.map('scalingPolicies').set(policy.ID, this.stored(policy));
    this.touched.add('scaling_policy');
  }

  deleteScalingPolicy(id: string): void {
    if (this.map('scalingPolicies').delete(id)) this.touched.add('scaling_policy');
  }

  scalingEvents(namespace: string, jobId: string): JobScalingEvents | undefined {
    return this.read('scalingEvents').get(nsKey(namespace, jobId));
  }

  putScalingEvents(events: JobScalingEvents): void {
    this.map('scalingEvents').set(nsKey(events.Namespace, events.JobID), this.stored(events));
    this.touched.add('scaling_event');
  }

  deleteScalingEvents(namespace: string, jobId: string): void {
    if (this.map('scalingEvents').delete(nsKey(namespace, jobId))) this.touched.add('scaling_event');
  }

  // ---- scheduler configuration ----

  schedulerConfig(): SchedulerConfiguration | null {
    return this.schedulerConfigValue;
  }

  putSchedulerConfig(config: SchedulerConfiguration): void {
    this.schedulerConfigValue = this.stored(config);
    this.schedulerConfigTouched = true;
    this.touched.add('scheduler_config');
  }

  // ---- ACL policies and tokens ----

  aclPolicy(name: string): AclPolicy | undefined {
    return this.read('aclPolicies').get(name);
  }

  putAclPolicy(policy: AclPolicy): void {
    const stored = this.stored(policy);
    this.map('aclPolicies').set(policy.Name, stored);
    this.touched.add('acl_policy');
    this.changes?.stored(policy.Name, { table: 'acl_policy', value: stored });
  }

  deleteAclPolicy(name: string): boolean {
    const old = this.changes !== null ? this.aclPolicy(name) : undefined;
    const deleted = this.map('aclPolicies').delete(name);
    if (deleted) this.touched.add('acl_policy');
    if (old !== undefined) this.changes?.removed(name, { table: 'acl_policy', value: old });
    return deleted;
  }

  aclToken(accessorId: string): AclToken | undefined {
    return this.read('aclTokens').get(accessorId);
  }

  aclTokenBySecret(secretId: string): AclToken | undefined {
    return this.read('aclTokensBySecret').get(secretId);
  }

  /** Stores a token under its AccessorID and its SecretID (an update that changes the secret drops the old one). */
  putAclToken(token: AclToken): void {
    const old = this.aclToken(token.AccessorID);
    if (old !== undefined && old.SecretID !== token.SecretID) this.map('aclTokensBySecret').delete(old.SecretID);
    const stored = this.stored(token);
    this.map('aclTokens').set(token.AccessorID, stored);
    this.map('aclTokensBySecret').set(token.SecretID, stored);
    this.touched.add('acl_token');
    this.changes?.stored(token.AccessorID, { table: 'acl_token', value: stored });
  }

  deleteAclToken(accessorId: string): boolean {
    const old = this.aclToken(accessorId);
    if (old === undefined) return false;
    this.map('aclTokens').delete(accessorId);
    this.map('aclTokensBySecret').delete(old.SecretID);
    this.touched.add('acl_token');
    this.changes?.removed(accessorId, { table: 'acl_token', value: old });
    return true;
  }

  aclBootstrapIndex(): number {
    return this.aclBootstrapIndexValue;
  }

  setAclBootstrapIndex(index: number): void {
    this.aclBootstrapIndexValue = index;
    this.aclBootstrapTouched = true;
    this.touched.add('acl_token');
  }

  // ---- autopilot configuration ----

  autopilotConfig(): AutopilotConfiguration | null {
    return this.autopilotConfigValue;
  }

  putAutopilotConfig(config: AutopilotConfiguration): void {
    this.autopilotConfigValue = this.stored(config);
    this.autopilotConfigTouched = true;
    this.touched.add('autopilot_config');
  }

  /**
   * The watch keys this transaction changed: its tables (and 'index', which every write
   * changes), the objects it wrote, and the owners whose entries in a secondary index changed.
   */
  changedKeys(): ChangedKeys {
    const out = new Map<WatchKind, Iterable<string>>();
    out.set('table', [...this.touched, 'index']);
    for (const [kind, ids] of this.touchedObjects) out.set(kind, ids);
    for (const [table, kind] of OWNER_KINDS) {
      const owners = this.indexes.get(table)?.touchedOwners();
      if (owners === undefined) continue;
      const objects = this.touchedObjects.get(kind);
      out.set(kind, objects === undefined ? owners : new Set([...objects, ...owners]));
    }
    return out;
  }

  /** The tables with this transaction's writes; with bumpIndexes the touched tables get the index. */
  result(bumpIndexes: boolean): Tables {
    const next: Tables = { ...this.base };
    for (const [key, m] of this.maps) (next as unknown as Record<string, unknown>)[key] = m.freeze();
    for (const [key, ix] of this.indexes) (next as unknown as Record<string, unknown>)[key] = ix.freeze();
    if (this.schedulerConfigTouched) next.schedulerConfig = this.schedulerConfigValue;
    if (this.aclBootstrapTouched) next.aclBootstrapIndex = this.aclBootstrapIndexValue;
    if (this.autopilotConfigTouched) next.autopilotConfig = this.autopilotConfigValue;
    if (this.liveNodes.size > 0) next.liveAllocChanges = nextLiveAllocChanges(this.base.liveAllocChanges, [...this.liveNodes]);
    if (bumpIndexes && this.touched.size > 0) {
      const indexes = { ...this.base.tableIndexes };
      for (const t of this.touched) indexes[t] = Math.max(indexes[t], this.index);
      indexes.index = Math.max(indexes.index, this.index);
      next.tableIndexes = indexes;
      next.latestIndex = Math.max(this.base.latestIndex, this.index);
    }
    return next;
  }
}
