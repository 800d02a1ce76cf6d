// The read side of the state store: what schedulers, endpoints and the HTTP layer may ask.
// A reader is a consistent snapshot at one index: writes that come after never show through it.
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import type { JobScalingEvents, ScalingPolicy } from '../structs/scaling.js';
import type { WatchKey } from './watch-keys.js';
import type { AclStateView } from './acl-reader.js';
import type { Namespace } from '../structs/namespace.js';
import type { PeriodicLaunch } from '../structs/periodic.js';

/** Table names; each has its own last-modified index (X-Nomad-Index of a list endpoint). */
export type TableName =
  | 'jobs'
  | 'job_version'
  | 'job_summary'
  | 'nodes'
  | 'allocs'
  | 'evals'
  | 'deployment'
  | 'scheduler_config'
  | 'acl_policy'
  | 'acl_token'
  | 'autopilot_config'
  | 'namespaces'
  | 'periodic_launch'
  | 'scaling_policy'
  | 'scaling_event'
  | 'index';

export interface SchedulerConfiguration {
  SchedulerAlgorithm: 'binpack' | 'spread';
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PreemptionConfig: {
    SystemSchedulerEnabled: boolean;
    BatchSchedulerEnabled: boolean;
    ServiceSchedulerEnabled: boolean;
  };
  CreateIndex: number;
  ModifyIndex: number;
}

/** Autopilot's settings (nomad operator autopilot get-config / set-config), durations in ns. */
export interface AutopilotConfiguration {
  CleanupDeadServers: boolean;
  LastContactThreshold: number;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: number;
  EnableRedundancyZones: boolean;
  DisableUpgradeMigration: boolean;
  EnableCustomUpgrades: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

/**
 * The nodes whose live allocations one write changed, linked to the write before. A reader hands
 * out the newest entry; a consumer that kept an earlier entry learns which nodes changed since by
 * walking back to it. Entries are compared by identity, so another store's chain never matches,
 * and the chain is cut now and then (prev null): changes before a cut are unknown.
 */
export interface LiveAllocChanges {
  readonly nodeIds: readonly string[];
  readonly prev: LiveAllocChanges | null;
  /** Entries in the chain from this one back to its cut. */
  readonly depth: number;
}

/** How long a change chain grows before it is cut. */
export const LIVE_ALLOC_CHANGES_KEPT = 256;

/** The next entry of a change chain. */
export function nextLiveAllocChanges(prev: LiveAllocChanges | null, nodeIds: readonly string[]): LiveAllocChanges {
  const keep = prev !== null && prev.depth < LIVE_ALLOC_CHANGES_KEPT;
  return { nodeIds, prev: keep ? prev : null, depth: keep ? prev.depth + 1 : 1 };
}

export interface StateReader {
  /** The highest index applied in this snapshot. */
  latestIndex(): number;
  /** The index at which a table last changed (0 when never). */
  tableIndex(table: TableName): number;

  jobByID(namespace: string, id: string): Job | null;
  /** All jobs, or those of one namespace, ordered by ID. '*' means every namespace. */
  jobs(namespace?: string): Job[];
  jobsByIDPrefix(namespace: string, prefix: string): Job[];
  /** Every stored version of a job, newest first. */
  jobVersions(namespace: string, id: string): Job[];
  jobByIDAndVersion(namespace: string, id: string, version: number): Job | null;
  jobSummary(namespace: string, id: string): JobSummary | null;

  nodeByID(id: string): Node | null;
  /**
   * All nodes ordered by ID. The same (frozen) array for the same version of the table, so that
   * derived data (the scheduler's node table) is reused by comparing one pointer.
   */
  nodes(): readonly Node[];
  nodesByIDPrefix(prefix: string): Node[];

  allocByID(id: string): Allocation | null;
  allocsByIDPrefix(namespace: string, prefix: string): Allocation[];
  allocs(namespace?: string): Allocation[];
  /** Allocations of a job; with allVersions=false only those of the job's current incarnation (same CreateIndex). */
  allocsByJob(namespace: string, jobId: string, allVersions: boolean): Allocation[];
  allocsByNode(nodeId: string): Allocation[];
  /**
   * Allocations on a node that are not terminal on the server side (DesiredStatus run). Cheap:
   * indexed, and the same (frozen) array as long as the node's list is unchanged.
   */
  allocsByNodeNonTerminal(nodeId: string): readonly Allocation[];
  /** The newest entry of the chain of live-allocation changes; null when this reader keeps none. */
  liveAllocChanges(): LiveAllocChanges | null;
  allocsByEval(evalId: string): Allocation[];
  allocsByDeployment(deploymentId: string): Allocation[];

  evalByID(id: string): Evaluation | null;
  evalsByIDPrefix(namespace: string, prefix: string): Evaluation[];
  evals(namespace?: string): Evaluation[];
  evalsByJob(namespace: string, jobId: string): Evaluation[];

  deploymentByID(id: string): Deployment | null;
  deploymentsByIDPrefix(namespace: string, prefix: string): Deployment[];
  deployments(namespace?: string): Deployment[];
  deploymentsByJob(namespace: string, jobId: string): Deployment[];
  latestDeploymentByJob(namespace: string, jobId: string): Deployment | null;

  /** Scaling policies ordered by ID; '*' (or none) means every namespace. */
  scalingPolicies(namespace?: string): ScalingPolicy[];
  scalingPolicyByID(id: string): ScalingPolicy | null;
  /** The policies of a job's groups. */
  scalingPoliciesByJob(namespace: string, jobId: string): ScalingPolicy[];
  /** A job's scaling events by group, newest first; null when it has none. */
  scalingEventsByJob(namespace: string, jobId: string): JobScalingEvents | null;

  schedulerConfig(): SchedulerConfiguration;
  autopilotConfig(): AutopilotConfiguration;

  /** A namespace by name; "default" always exists. */
  namespaceByName(name: string): Namespace | null;
  /** Every namespace ordered by name (the default one included). */
  namespaces(): Namespace[];
  /** The last launch recorded for a periodic job. */
  periodicLaunch(namespace: string, jobId: string): PeriodicLaunch | null;
}

/**
 * What a blocking wait needs of an AbortSignal to end early (an AbortSignal is one). Hundreds of
 * waiting HTTP requests use a lighter one (http/client-gone.ts) than an AbortController each.
 */
export interface WaitCancel {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The live store: a reader of the latest state plus snapshots and blocking waits. */
export interface StateStoreView {
  /** A consistent snapshot of the latest state; cheap (no copying of tables). */
  snapshot(): StateReader & AclStateView;
  /** Resolves once any of the tables has an index above minIndex, or when timeoutMs passes. Returns the latest index then. */
  waitForChange(tables: TableName[], minIndex: number, timeoutMs: number, signal?: AbortSignal): Promise<number>;
  /**
   * Resolves once any of the keys changed at an index above minIndex (woken only by commits that
   * change one of them), or when timeoutMs passes or the signal aborts. Returns the latest index then.
   */
  waitForKeys(keys: readonly WatchKey[], minIndex: number, timeoutMs: number, signal?: WaitCancel): Promise<number>;
  /** The highest index at which one of the keys last changed, in the latest state. */
  keysIndex(keys: readonly WatchKey[]): number;
  /** Commits and restores so far: anything derived from the state stays valid while this stays the same. */
  commitCount(): number;
  /** Resolves with a snapshot once latestIndex() >= index (bounded by timeoutMs; rejects on timeout). */
  snapshotMinIndex(index: number, timeoutMs: number): Promise<StateReader>;
}
