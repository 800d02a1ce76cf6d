// An allocation: a task group placed on a node, in the JSON shape of Nomad's API.
import type { Job, NetworkResource, Resources } from './job.js';

export type AllocDesiredStatus = 'run' | 'stop' | 'evict';
export type AllocClientStatus = 'pending' | 'running' | 'complete' | 'failed' | 'lost' | 'unknown';
export type TaskStateName = 'pending' | 'running' | 'dead';

export interface TaskEvent {
  Type: string;
  Time: number; // ns since epoch
  Message: string;
  DisplayMessage: string;
  Details: Record<string, string>;
  FailsTask: boolean;
  RestartReason: string;
  SetupError: string;
  DriverError: string;
  ExitCode: number;
  Signal: number;
  KillTimeout: number; // ns
  KillError: string;
  KillReason: string;
  StartDelay: number; // ns
  DownloadError: string;
  ValidationError: string;
  DiskLimit: number;
  FailedSibling: string;
  VaultError: string;
  TaskSignalReason: string;
  TaskSignal: string;
  DriverMessage: string;
  GenericSource: string;
}

export interface TaskState {
  State: TaskStateName;
  Failed: boolean;
  Restarts: number;
  LastRestart: string | null; // RFC3339
  StartedAt: string | null; // RFC3339
  FinishedAt: string | null; // RFC3339
  Events: TaskEvent[] | null;
  TaskHandle: unknown | null;
}

export interface AllocatedPortMapping {
  Label: string;
  Value: number;
  To: number;
  HostIP: string;
}

export interface AllocatedTaskResources {
  Cpu: { CpuShares: number; ReservedCores: number[] | null };
  Memory: { MemoryMB: number; MemoryMaxMB: number };
  Networks: NetworkResource[] | null;
  Devices: unknown[] | null;
}

export interface AllocatedSharedResources {
  Networks: NetworkResource[] | null;
  DiskMB: number;
  Ports: AllocatedPortMapping[] | null;
}

export interface AllocatedResources {
  Tasks: Record<string, AllocatedTaskResources>;
  TaskLifecycles: Record<string, { Hook: string; Sidecar: boolean } | null>;
  Shared: AllocatedSharedResources;
}

export interface NodeScoreMeta {
  NodeID: string;
  Scores: Record<string, number>;
  NormScore: number;
}

export interface AllocMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesAvailable: Record<string, number> | null;
  ClassFiltered: Record<string, number> | null;
  ConstraintFiltered: Record<string, number> | null;
  NodesExhausted: number;
  ClassExhausted: Record<string, number> | null;
  DimensionExhausted: Record<string, number> | null;
  QuotaExhausted: string[] | null;
  ResourcesExhausted: Record<string, Resources> | null;
  Scores: Record<string, number> | null;
  ScoreMetaData: NodeScoreMeta[] | null;
  AllocationTime: number; // ns
  CoalescedFailures: number;
}

export interface DesiredTransition {
  Migrate: boolean | null;
  Reschedule: boolean | null;
  ForceReschedule: boolean | null;
}

export interface AllocDeploymentStatus {
  Healthy: boolean | null;
  Timestamp: string; // RFC3339
  Canary: boolean;
  ModifyIndex: number;
}

export interface RescheduleEvent {
  RescheduleTime: number; // ns
  PrevAllocID: string;
  PrevNodeID: string;
  Delay: number; // ns
}

export interface Allocation {
  ID: string;
  Namespace: string;
  EvalID: string;
  Name: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  Job: Job | null;
  TaskGroup: string;
  Resources: Resources | null;
  SharedResources: Resources | null;
  TaskResources: Record<string, Resources> | null;
  AllocatedResources: AllocatedResources | null;
  Metrics: AllocMetric | null;
  DesiredStatus: AllocDesiredStatus;
  DesiredDescription: string;
  DesiredTransition: DesiredTransition;
  ClientStatus: AllocClientStatus;
  ClientDescription: string;
  TaskStates: Record<string, TaskState> | null;
  PreviousAllocation: string;
  NextAllocation: string;
  DeploymentID: string;
  DeploymentStatus: AllocDeploymentStatus | null;
  RescheduleTracker: { Events: RescheduleEvent[] | null } | null;
  NetworkStatus: { InterfaceName: string; Address: string; DNS: unknown | null } | null;
  FollowupEvalID: string;
  PreemptedAllocations: string[] | null;
  PreemptedByAllocation: string;
  CreateIndex: number;
  ModifyIndex: number;
  AllocModifyIndex: number;
  CreateTime: number; // ns since epoch
  ModifyTime: number; // ns since epoch
}

/** The row of GET /v1/allocations and /v1/job/:id/allocations. */
export interface AllocListStub {
  ID: string;
  EvalID: string;
  Name: string;
  Namespace: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  JobType: string;
  JobVersion: number;
  TaskGroup: string;
  AllocatedResources: AllocatedResources | null;
  DesiredStatus: AllocDesiredStatus;
  DesiredDescription: string;
  ClientStatus: AllocClientStatus;
  ClientDescription: string;
  DesiredTransition: DesiredTransition;
  TaskStates: Record<string, TaskState> | null;
  DeploymentStatus: AllocDeploymentStatus | null;
  FollowupEvalID: string;
  RescheduleTracker: Allocation['RescheduleTracker'];
  PreemptedAllocations: string[] | null;
  PreemptedByAllocation: string;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
}

/** No transition asked for; shared and frozen, as most allocations carry it. */
export const NO_DESIRED_TRANSITION: DesiredTransition = Object.freeze({ Migrate: null, Reschedule: null, ForceReschedule: null });

export type AllocationFields = Partial<Allocation> &
  Pick<Allocation, 'ID' | 'Namespace' | 'EvalID' | 'Name' | 'NodeID' | 'NodeName' | 'JobID' | 'Job' | 'TaskGroup'>;

/**
 * A new allocation, desired to run and pending on its client, with every field present in
 * Nomad's field order (so the JSON reads the same however it was built); absent fields are
 * blank. One object literal of a fixed shape: the schedulers build one per placement, and
 * spreading a blank template and then the fields took the slow generic copy every time.
 * No ID or clock is read here.
 */
export function newAllocation(f: AllocationFields): Allocation {
  return {
    ID: f.ID,
    Namespace: f.Namespace,
    EvalID: f.EvalID,
    Name: f.Name,
    NodeID: f.NodeID,
    NodeName: f.NodeName,
    JobID: f.JobID,
    Job: f.Job,
    TaskGroup: f.TaskGroup,
    Resources: f.Resources ?? null,
    SharedResources: f.SharedResources ?? null,
    TaskResources: f.TaskResources ?? null,
    AllocatedResources: f.AllocatedResources ?? null,
    Metrics: f.Metrics ?? null,
    DesiredStatus: f.DesiredStatus ?? 'run',
    DesiredDescription: f.DesiredDescription ?? '',
    DesiredTransition: f.DesiredTransition ?? NO_DESIRED_TRANSITION,
    ClientStatus: f.ClientStatus ?? 'pending',
    ClientDescription: f.ClientDescription ?? '',
    TaskStates: f.TaskStates ?? null,
    PreviousAllocation: f.PreviousAllocation ?? '',
    NextAllocation: f.NextAllocation ?? '',
    DeploymentID: f.DeploymentID ?? '',
    DeploymentStatus: f.DeploymentStatus ?? null,
    RescheduleTracker: f.RescheduleTracker ?? null,
    NetworkStatus: f.NetworkStatus ?? null,
    FollowupEvalID: f.FollowupEvalID ?? '',
    PreemptedAllocations: f.PreemptedAllocations ?? null,
    PreemptedByAllocation: f.PreemptedByAllocation ?? '',
    CreateIndex: f.CreateIndex ?? 0,
    ModifyIndex: f.ModifyIndex ?? 0,
    AllocModifyIndex: f.AllocModifyIndex ?? 0,
    CreateTime: f.CreateTime ?? 0,
    ModifyTime: f.ModifyTime ?? 0,
  };
}

export function allocTerminal(a: Pick<Allocation, 'DesiredStatus' | 'ClientStatus'>): boolean {
  return a.DesiredStatus !== 'run' || clientTerminal(a.ClientStatus);
}

export function clientTerminal(s: AllocClientStatus): boolean {
  return s === 'complete' || s === 'failed' || s === 'lost';
}
