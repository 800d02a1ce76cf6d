// A consistent, immutable view of the state at one index. Creating one is O(1): it holds the
// roots of the persistent tables, which later writes never modify.
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import type { JobScalingEvents, ScalingPolicy } from '../structs/scaling.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { AclStateView } from './acl-reader.js';
import { defaultNamespace, type Namespace } from '../structs/namespace.js';
import type { PeriodicLaunch } from '../structs/periodic.js';
import { DEFAULT_NAMESPACE } from '../structs/defaults.js';
import type { AutopilotConfiguration, LiveAllocChanges, SchedulerConfiguration, StateReader, TableName } from './reader.js';
import { defaultAutopilotConfig, defaultSchedulerConfig, nsKey, type PIndex, type Tables } from './tables.js';

const ANY_NAMESPACE = '*';
const NO_ALLOCS: readonly Allocation[] = Object.freeze([]);

function inNamespace(namespace: string | undefined, objNamespace: string): boolean {
  return namespace === undefined || namespace === ANY_NAMESPACE || namespace === objNamespace;
}

/** An owner's objects in a secondary index, ordered by ID: O(log owners + result). */
function owned<T>(index: PIndex<T>, owner: string): T[] {
  const inner = index.get(owner);
  return inner === undefined ? [] : inner.values();
}

export class StoreSnapshot implements StateReader, AclStateView {
  constructor(readonly tables: Tables) {}

  latestIndex(): number {
    return this.tables.latestIndex;
  }

  tableIndex(table: TableName): number {
    if (table === 'index') return this.tables.latestIndex;
    return this.tables.tableIndexes[table] ?? 0;
  }

  jobByID(namespace: string, id: string): Job | null {
    return this.tables.jobs.get(nsKey(namespace, id)) ?? null;
  }

  jobs(namespace?: string): Job[] {
    if (namespace === undefined || namespace === ANY_NAMESPACE) return this.tables.jobs.values();
    return this.tables.jobs.valuesWithPrefix(namespace + '\0');
  }

  jobsByIDPrefix(namespace: string, prefix: string): Job[] {
    if (namespace === ANY_NAMESPACE) return this.tables.jobs.values().filter((j) => j.ID.startsWith(prefix));
    return this.tables.jobs.valuesWithPrefix(nsKey(namespace, prefix));
  }

  jobVersions(namespace: string, id: string): Job[] {
    return (this.tables.jobVersions.get(nsKey(namespace, id)) ?? []).slice();
  }

  jobByIDAndVersion(namespace: string, id: string, version: number): Job | null {
    const versions = this.tables.jobVersions.get(nsKey(namespace, id)) ?? [];
    return versions.find((j) => j.Version === version) ?? null;
  }

  jobSummary(namespace: string, id: string): JobSummary | null {
    return this.tables.jobSummaries.get(nsKey(namespace, id)) ?? null;
  }

  nodeByID(id: string): Node | null {
    return this.tables.nodes.get(id) ?? null;
  }

  nodes(): readonly Node[] {
    return this.tables.nodes.frozenValues();
  }

  nodesByIDPrefix(prefix: string): Node[] {
    return this.tables.nodes.valuesWithPrefix(prefix);
  }

  allocByID(id: string): Allocation | null {
    return this.tables.allocs.get(id) ?? null;
  }

  allocsByIDPrefix(namespace: string, prefix: string): Allocation[] {
    return this.tables.allocs.valuesWithPrefix(prefix).filter((a) => inNamespace(namespace, a.Namespace));
  }

  allocs(namespace?: string): Allocation[] {
    const all = this.tables.allocs.values();
    return namespace === undefined || namespace === ANY_NAMESPACE ? all : all.filter((a) => a.Namespace === namespace);
  }

  allocsByJob(namespace: string, jobId: string, allVersions: boolean): Allocation[] {
    const key = nsKey(namespace, jobId);
    const allocs = owned(this.tables.allocsByJob, key);
    if (allVersions) return allocs;
    const job = this.tables.jobs.get(key);
    if (job === undefined) return allocs;
    // Only the allocations of this incarnation of the job: a job purged and registered again
    // under the same ID gets a new CreateIndex.
    return allocs.filter((a) => a.Job === null || a.Job.CreateIndex === job.CreateIndex);
  }

  allocsByNode(nodeId: string): Allocation[] {
    return owned(this.tables.allocsByNode, nodeId);
  }

  allocsByNodeNonTerminal(nodeId: string): readonly Allocation[] {
    return this.tables.allocsByNodeLive.get(nodeId)?.frozenValues() ?? NO_ALLOCS;
  }

  liveAllocChanges(): LiveAllocChanges | null {
    return this.tables.liveAllocChanges;
  }

  allocsByEval(evalId: string): Allocation[] {
    return owned(this.tables.allocsByEval, evalId);
  }

  allocsByDeployment(deploymentId: string): Allocation[] {
    return owned(this.tables.allocsByDeployment, deploymentId);
  }

  evalByID(id: string): Evaluation | null {
    return this.tables.evals.get(id) ?? null;
  }

  evalsByIDPrefix(namespace: string, prefix: string): Evaluation[] {
    return this.tables.evals.valuesWithPrefix(prefix).filter((e) => inNamespace(namespace, e.Namespace));
  }

  evals(namespace?: string): Evaluation[] {
    const all = this.tables.evals.values();
    return namespace === undefined || namespace === ANY_NAMESPACE ? all : all.filter((e) => e.Namespace === namespace);
  }

  evalsByJob(namespace: string, jobId: string): Evaluation[] {
    return owned(this.tables.evalsByJob, nsKey(namespace, jobId));
  }

  deploymentByID(id: string): Deployment | null {
    return this.tables.deployments.get(id) ?? null;
  }

  deploymentsByIDPrefix(namespace: string, prefix: string): Deployment[] {
    return this.tables.deployments.valuesWithPrefix(prefix).filter((d) => inNamespace(namespace, d.Namespace));
  }

  deployments(namespace?: string): Deployment[] {
    const all = this.tables.deployments.values();
    return namespace === undefined || namespace === ANY_NAMESPACE ? all : all.filter((d) => d.Namespace === namespace);
  }

  deploymentsByJob(namespace: string, jobId: string): Deployment[] {
    return owned(this.tables.deploymentsByJob, nsKey(namespace, jobId));
  }

  latestDeploymentByJob(namespace: string, jobId: string): Deployment | null {
    let latest: Deployment | null = null;
    for (const d of this.deploymentsByJob(namespace, jobId)) {
      if (latest === null || d.CreateIndex > latest.CreateIndex) latest = d;
    }
    return latest;
  }

  scalingPolicies(namespace?: string): ScalingPolicy[] {
    const all = this.tables.scalingPolicies.values();
    return namespace === undefined || namespace === ANY_NAMESPACE ? all : all.filter((p) => p.Namespace === namespace);
  }

  scalingPolicyByID(id: string): ScalingPolicy | null {
    return this.tables.scalingPolicies.get(id) ?? null;
  }

  scalingPoliciesByJob(namespace: string, jobId: string): ScalingPolicy[] {
    const job = this.tables.jobs.get(nsKey(namespace, jobId));
    if (job === undefined) return [];
    const out: ScalingPolicy[] = [];
    for (const tg of job.TaskGroups) {
      const p = tg.Scaling ? this.tables.scalingPolicies.get(tg.Scaling.ID) : undefined;
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  scalingEventsByJob(namespace: string, jobId: string): JobScalingEvents | null {
    return this.tables.scalingEvents.get(nsKey(namespace, jobId)) ?? null;
  }

  schedulerConfig(): SchedulerConfiguration {
    return this.tables.schedulerConfig ?? defaultSchedulerConfig();
  }

  aclPolicyByName(name: string): AclPolicy | null {
    return this.tables.aclPolicies.get(name) ?? null;
  }

  aclPolicies(prefix = ''): AclPolicy[] {
    return prefix ? this.tables.aclPolicies.valuesWithPrefix(prefix) : this.tables.aclPolicies.values();
  }

  aclTokenByAccessor(accessorId: string): AclToken | null {
    return this.tables.aclTokens.get(accessorId) ?? null;
  }

  aclTokenBySecret(secretId: string): AclToken | null {
    return this.tables.aclTokensBySecret.get(secretId) ?? null;
  }

  aclTokens(prefix = ''): AclToken[] {
    return prefix ? this.tables.aclTokens.valuesWithPrefix(prefix) : this.tables.aclTokens.values();
  }

  aclBootstrapIndex(): number {
    return this.tables.aclBootstrapIndex;
  }

  autopilotConfig(): AutopilotConfiguration {
    return this.tables.autopilotConfig ?? defaultAutopilotConfig();
  }

  namespaceByName(name: string): Namespace | null {
    return this.tables.namespaces.get(name) ?? (name === DEFAULT_NAMESPACE ? defaultNamespace() : null);
  }

  namespaces(): Namespace[] {
    const stored = this.tables.namespaces.values();
    if (stored.some((n) => n.Name === DEFAULT_NAMESPACE)) return stored;
    return [...stored, defaultNamespace()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  periodicLaunch(namespace: string, jobId: string): PeriodicLaunch | null {
    return this.tables.periodicLaunches.get(nsKey(namespace, jobId)) ?? null;
  }
}
