// The tables of the state store as one immutable value: a snapshot is a reference to it.
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import type { JobScalingEvents, ScalingPolicy } from '../structs/scaling.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { Namespace } from '../structs/namespace.js';
import type { PeriodicLaunch } from '../structs/periodic.js';
import { PMap } from './pmap.js';
import type { AutopilotConfiguration, LiveAllocChanges, SchedulerConfiguration, TableName } from './reader.js';

/**
 * Per-job counts kept beside the tables so that a job's status is computed in O(1) instead of
 * scanning all of its allocations and evaluations on every write.
 */
export interface JobCounts {
  allocs: number;
  /** Allocations neither server- nor client-terminal. */
  liveAllocs: number;
  evals: number;
  /** Evaluations not terminal (pending or blocked). */
  liveEvals: number;
}

export interface Tables {
  /** "namespace\0jobID" -> the current job. */
  jobs: PMap<Job>;
  /** "namespace\0jobID" -> the stored versions, newest first (at most JOB_TRACKED_VERSIONS). */
  jobVersions: PMap<readonly Job[]>;
  jobSummaries: PMap<JobSummary>;
  jobCounts: PMap<JobCounts>;
  nodes: PMap<Node>;
  allocs: PMap<Allocation>;
  /**
   * Secondary indexes: owner -> (ID -> the object itself). A lookup by owner is one seek and a
   * walk of the inner map, with no second lookup per hit, and the inner keys are the objects' own
   * ID strings, so an index entry costs no key string of its own.
   */
  allocsByNode: PIndex<Allocation>;
  allocsByNodeLive: PIndex<Allocation>;
  /** Keyed by nsKey(namespace, jobID). */
  allocsByJob: PIndex<Allocation>;
  allocsByEval: PIndex<Allocation>;
  allocsByDeployment: PIndex<Allocation>;
  evals: PMap<Evaluation>;
  evalsByJob: PIndex<Evaluation>;
  deployments: PMap<Deployment>;
  deploymentsByJob: PIndex<Deployment>;
  /** Scaling policy ID -> policy (one per scaled task group; the job's groups name theirs). */
  scalingPolicies: PMap<ScalingPolicy>;
  /** "namespace\0jobID" -> the job's scaling events by group. */
  scalingEvents: PMap<JobScalingEvents>;
  schedulerConfig: SchedulerConfiguration | null;
  /** ACL policies by name. */
  aclPolicies: PMap<AclPolicy>;
  /** ACL tokens by AccessorID, and the same tokens by SecretID (what requests carry). */
  aclTokens: PMap<AclToken>;
  aclTokensBySecret: PMap<AclToken>;
  /** The index at which ACLs were bootstrapped (0: not yet); a reset names this index. */
  aclBootstrapIndex: number;
  /** Namespaces by name (the default one is served even before it is ever written). */
  namespaces: PMap<Namespace>;
  /** "namespace\0jobID" -> the last launch of a periodic job. */
  periodicLaunches: PMap<PeriodicLaunch>;
  autopilotConfig: AutopilotConfiguration | null;
  /** Which nodes' live allocations each write changed (see LiveAllocChanges). */
  liveAllocChanges: LiveAllocChanges | null;
  tableIndexes: Readonly<Record<TableName, number>>;
  latestIndex: number;
}

/** A secondary index: owner key -> a persistent map of the owned objects by ID. */
export type PIndex<V> = PMap<PMap<V>>;

/** The secondary-index tables. */
export type IndexTableKey = 'allocsByNode' | 'allocsByNodeLive' | 'allocsByJob' | 'allocsByEval' | 'allocsByDeployment' | 'evalsByJob' | 'deploymentsByJob';

/** Nomad keeps this many versions of a job (JobTrackedVersions). */
export const JOB_TRACKED_VERSIONS = 6;

/** The tables whose contents are stored in maps (everything but the scheduler config and indexes). */
export type MapTableKey = Exclude<keyof Tables, 'schedulerConfig' | 'aclBootstrapIndex' | 'liveAllocChanges' | 'tableIndexes' | 'latestIndex'>;

export const TABLE_NAMES: readonly TableName[] = [
  'jobs',
  'job_version',
  'job_summary',
  'nodes',
  'allocs',
  'evals',
  'deployment',
  'scheduler_config',
  'acl_policy',
  'acl_token',
  'autopilot_config',
  'namespaces',
  'periodic_launch',
  'scaling_policy',
  'scaling_event',
  'index',
];

export function emptyTableIndexes(): Record<TableName, number> {
  return { jobs: 0, job_version: 0, job_summary: 0, nodes: 0, allocs: 0, evals: 0, deployment: 0, scheduler_config: 0, autopilot_config: 0, scaling_policy: 0, scaling_event: 0, acl_policy: 0, acl_token: 0, namespaces: 0, periodic_launch: 0, index: 0 };
}

export function emptyTables(): Tables {
  return {
    jobs: PMap.empty(),
    jobVersions: PMap.empty(),
    jobSummaries: PMap.empty(),
    jobCounts: PMap.empty(),
    nodes: PMap.empty(),
    allocs: PMap.empty(),
    allocsByNode: PMap.empty(),
    allocsByNodeLive: PMap.empty(),
    allocsByJob: PMap.empty(),
    allocsByEval: PMap.empty(),
    allocsByDeployment: PMap.empty(),
    evals: PMap.empty(),
    evalsByJob: PMap.empty(),
    deployments: PMap.empty(),
    deploymentsByJob: PMap.empty(),
    scalingPolicies: PMap.empty(),
    scalingEvents: PMap.empty(),
    schedulerConfig: null,
    aclPolicies: PMap.empty(),
    aclTokens: PMap.empty(),
    aclTokensBySecret: PMap.empty(),
    aclBootstrapIndex: 0,
    namespaces: PMap.empty(),
    periodicLaunches: PMap.empty(),
    autopilotConfig: null,
    liveAllocChanges: null,
    tableIndexes: emptyTableIndexes(),
    latestIndex: 0,
  };
}

/** The key of a namespaced object. IDs never contain NUL, so keys sort by namespace, then ID. */
export function nsKey(namespace: string, id: string): string {
  return namespace + '\0' + id;
}

/** Nomad's default autopilot configuration, served until an operator writes one. */
export function defaultAutopilotConfig(): AutopilotConfiguration {
  return {
    CleanupDeadServers: true,
    LastContactThreshold: 200_000_000,
    MaxTrailingLogs: 250,
    MinQuorum: 0,
    ServerStabilizationTime: 10_000_000_000,
    EnableRedundancyZones: false,
    DisableUpgradeMigration: false,
    EnableCustomUpgrades: false,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/** Nomad's default scheduler configuration, served until an operator writes one. */
export function defaultSchedulerConfig(): SchedulerConfiguration {
  return {
    SchedulerAlgorithm: 'binpack',
    MemoryOversubscriptionEnabled: false,
    RejectJobRegistration: false,
    PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}
