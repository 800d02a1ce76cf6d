// Shapes that exist only on the wire (request/response envelopes), in Nomad's JSON form.
// The data model itself lives in src/structs.
import type { AllocMetric, Evaluation, Job, JobInput } from '../structs/index.js';
import type { Deployment } from '../structs/deployment.js';

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

export interface JobDeregisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Index?: number;
}

export type DiffType = 'None' | 'Added' | 'Deleted' | 'Edited';

export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations: string[] | null;
}

export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
}

export interface TaskDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Annotations: string[] | null;
}

export interface TaskGroupDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Tasks: TaskDiff[] | null;
  Updates: Record<string, number> | null;
}

export interface JobDiff {
  Type: DiffType;
  ID: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups: TaskGroupDiff[] | null;
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

export interface AgentMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: string;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

export interface ServerMembers {
  ServerName: string;
  ServerRegion: string;
  ServerDC: string;
  Members: AgentMember[] | null;
}

export interface AgentSelf {
  config: Record<string, unknown> & { Version?: { Version: string; Revision: string; VersionPrerelease?: string; VersionMetadata?: string }; Region?: string; Datacenter?: string };
  member: AgentMember;
  stats: Record<string, Record<string, string>>;
}

export interface AgentHealth {
  client?: { ok: boolean; message: string };
  server?: { ok: boolean; message: string };
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

export interface RaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

export interface RaftConfiguration {
  Servers: RaftServer[];
  Index: number;
}

export interface AllocStopResponse {
  EvalID: string;
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
