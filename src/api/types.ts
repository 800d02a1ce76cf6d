// Shapes that exist only on the wire (request/response envelopes), in Nomad's JSON form.
// The data model itself lives in src/structs.
import type { AllocMetric, Evaluation, Job, JobInput } from '../structs/index.js';
import type { Deployment } from '../structs/deployment.js';
import type { JobDiff } from '../structs/diff-types.js';
import type { AgentMember, AgentMembers } from '../structs/agent-member.js';

// The diff and agent shapes are the data model's own; the client re-exports them so that its
// users find every answer type in one place.
export type { DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff } from '../structs/diff-types.js';
export type { AgentHealth, AgentHealthPart, AgentMember } from '../structs/agent-member.js';

export interface JobRegisterRequest {
  Job: JobInput;
  EnforceIndex?: boolean;
  JobModifyIndex?: number;
  PolicyOverride?: boolean;
  PreserveCounts?: boolean;
}

export interface JobRegisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index?: number;
}

export interface PeriodicForceResponse {
  EvalID: string;
  EvalCreateIndex: number;
  Index?: number;
}

export interface JobDispatchResponse {
  DispatchedJobID: string;
  EvalID: string;
  EvalCreateIndex: number;
  JobCreateIndex: number;
  Index?: number;
}

export interface JobDeregisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Index?: number;
}

export interface JobPlanResponse {
  JobModifyIndex: number;
  CreatedEvals: Evaluation[] | null;
  Diff: JobDiff | null;
  Annotations: { DesiredTGUpdates: Record<string, Record<string, number>> | null } | null;
  FailedTGAllocs: Record<string, AllocMetric> | null;
  NextPeriodicLaunch: string | null;
  Warnings: string;
  Index?: number;
}

export interface JobValidateResponse {
  DriverConfigValidated: boolean;
  ValidationErrors: string[] | null;
  Error: string;
  Warnings: string;
}

export interface JobVersionsResponse {
  Versions: Job[];
  Diffs: JobDiff[] | null;
}

export interface JobStabilityResponse {
  Index: number;
}

/** /v1/agent/members as the client reads it: Nomad may send the member list as null. */
export interface ServerMembers extends Omit<AgentMembers, 'Members'> {
  Members: AgentMember[] | null;
}

export interface AgentSelf {
  config: Record<string, unknown> & { Version?: { Version: string; Revision: string; VersionPrerelease?: string; VersionMetadata?: string }; Region?: string; Datacenter?: string };
  member: AgentMember;
  stats: Record<string, Record<string, string>>;
}

export interface JoinResponse {
  num_joined: number;
  error: string;
}

export interface HostCpuStats {
  CPU: string;
  User: number;
  System: number;
  Idle: number;
  Total: number;
}

export interface HostDiskStats {
  Device: string;
  Mountpoint: string;
  Size: number;
  Used: number;
  Available: number;
  UsedPercent: number;
  InodesUsedPercent: number;
}

export interface HostStats {
  Memory: { Total: number; Available: number; Used: number; Free: number } | null;
  CPU: HostCpuStats[] | null;
  DiskStats: HostDiskStats[] | null;
  AllocDirStats: HostDiskStats | null;
  DeviceStats: unknown[] | null;
  Uptime: number; // seconds
  Timestamp: number; // ns
  CPUTicksConsumed: number;
}

export type { OperatorHealthReply, RaftConfiguration, RaftServer, ServerHealth } from '../structs/operator.js';

/** Nomad's JSON form: durations as Go duration strings ("200ms", "10s"). */
export interface AutopilotConfiguration {
  CleanupDeadServers: boolean;
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
  EnableRedundancyZones: boolean;
  DisableUpgradeMigration: boolean;
  EnableCustomUpgrades: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}


export interface AllocStopResponse {
  EvalID: string;
  Index: number;
}

/** The answer to PUT /v1/node/:id/drain. */
export interface NodeDrainUpdateResponse {
  EvalIDs: string[] | null;
  EvalCreateIndex: number;
  NodeModifyIndex: number;
  Index: number;
}

export interface DeploymentUpdateResponse {
  EvalID: string;
  EvalCreateIndex: number;
  DeploymentModifyIndex: number;
  RevertedJobVersion?: number | null;
  Index: number;
}

export type { Deployment };
