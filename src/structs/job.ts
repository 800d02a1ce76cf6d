// The job specification in the JSON shape of Nomad's HTTP API (PascalCase fields).
// Durations are integer nanoseconds, sizes carry their unit in the field name (MemoryMB).

import type { ScalingPolicy as GroupScalingPolicy } from './scaling.js';

export type JobType = 'service' | 'batch' | 'system' | 'sysbatch';

export interface Constraint {
  LTarget: string;
  RTarget: string;
  Operand: string;
}

export interface Affinity {
  LTarget: string;
  RTarget: string;
  Operand: string;
  Weight: number;
}

export interface SpreadTarget {
  Value: string;
  Percent: number;
}

export interface Spread {
  Attribute: string;
  Weight: number;
  SpreadTarget: SpreadTarget[] | null;
}

export interface Port {
  Label: string;
  Value: number;
  To: number;
  HostNetwork: string;
}

export interface DNSConfig {
  Servers: string[] | null;
  Searches: string[] | null;
  Options: string[] | null;
}

export interface NetworkResource {
  Mode: string;
  Device: string;
  CIDR: string;
  IP: string;
  MBits: number;
  DNS: DNSConfig | null;
  ReservedPorts: Port[] | null;
  DynamicPorts: Port[] | null;
}

export interface RequestedDevice {
  Name: string;
  Count: number;
  Constraints: Constraint[] | null;
  Affinities: Affinity[] | null;
}

export interface Resources {
  CPU: number;
  Cores: number;
  MemoryMB: number;
  MemoryMaxMB: number;
  DiskMB: number;
  IOPS: number;
  Networks: NetworkResource[] | null;
  Devices: RequestedDevice[] | null;
}

export interface RestartPolicy {
  Attempts: number;
  Interval: number; // ns
  Delay: number; // ns
  Mode: 'fail' | 'delay' | string;
}

export interface ReschedulePolicy {
  Attempts: number;
  Interval: number; // ns
  Delay: number; // ns
  DelayFunction: 'constant' | 'exponential' | 'fibonacci' | string;
  MaxDelay: number; // ns
  Unlimited: boolean;
}

export interface UpdateStrategy {
  Stagger: number; // ns
  MaxParallel: number;
  HealthCheck: 'checks' | 'task_states' | 'manual' | '' | string;
  MinHealthyTime: number; // ns
  HealthyDeadline: number; // ns
  ProgressDeadline: number; // ns
  AutoRevert: boolean;
  AutoPromote: boolean;
  Canary: number;
}

export interface MigrateStrategy {
  MaxParallel: number;
  HealthCheck: string;
  MinHealthyTime: number; // ns
  HealthyDeadline: number; // ns
}

export interface EphemeralDisk {
  Sticky: boolean;
  SizeMB: number;
  Migrate: boolean;
}

export interface LogConfig {
  MaxFiles: number;
  MaxFileSizeMB: number;
}

export interface TaskArtifact {
  GetterSource: string;
  GetterOptions: Record<string, string> | null;
  GetterHeaders: Record<string, string> | null;
  GetterMode: string;
  RelativeDest: string;
}

export interface Template {
  SourcePath: string;
  DestPath: string;
  EmbeddedTmpl: string;
  ChangeMode: string;
  ChangeSignal: string;
  Splay: number; // ns
  Perms: string;
  LeftDelim: string;
  RightDelim: string;
  Envvars: boolean;
  VaultGrace: number; // ns
}

export interface ServiceCheck {
  Name: string;
  Type: string;
  Command: string;
  Args: string[] | null;
  Path: string;
  Protocol: string;
  PortLabel: string;
  Interval: number; // ns
  Timeout: number; // ns
  InitialStatus: string;
  [extra: string]: unknown;
}

export interface Service {
  Name: string;
  TaskName: string;
  PortLabel: string;
  AddressMode: string;
  Tags: string[] | null;
  CanaryTags: string[] | null;
  Checks: ServiceCheck[] | null;
  Meta: Record<string, string> | null;
  [extra: string]: unknown;
}

export interface TaskLifecycle {
  Hook: 'prestart' | 'poststart' | 'poststop' | string;
  Sidecar: boolean;
}

export interface VolumeMount {
  Volume: string;
  Destination: string;
  ReadOnly: boolean;
  PropagationMode: string;
}

export interface VolumeRequest {
  Name: string;
  Type: string;
  Source: string;
  ReadOnly: boolean;
  [extra: string]: unknown;
}

export interface Vault {
  Policies: string[] | null;
  Namespace: string;
  Env: boolean;
  ChangeMode: string;
  ChangeSignal: string;
}

export interface DispatchPayloadConfig {
  File: string;
}

/** A scaling block as a job file gives it (a task's vertical policies keep this shape). */
export interface ScalingPolicy {
  ID?: string;
  Type?: string;
  Min: number | null;
  Max: number;
  Enabled: boolean;
  Policy: Record<string, unknown> | null;
  [extra: string]: unknown;
}

export interface Task {
  Name: string;
  Driver: string;
  User: string;
  Config: Record<string, unknown> | null;
  Env: Record<string, string> | null;
  Services: Service[] | null;
  Vault: Vault | null;
  Templates: Template[] | null;
  Constraints: Constraint[] | null;
  Affinities: Affinity[] | null;
  Resources: Resources;
  RestartPolicy: RestartPolicy | null;
  DispatchPayload: DispatchPayloadConfig | null;
  Lifecycle: TaskLifecycle | null;
  Meta: Record<string, string> | null;
  KillTimeout: number; // ns
  LogConfig: LogConfig | null;
  Artifacts: TaskArtifact[] | null;
  Leader: boolean;
  ShutdownDelay: number; // ns
  VolumeMounts: VolumeMount[] | null;
  ScalingPolicies: ScalingPolicy[] | null;
  KillSignal: string;
  Kind: string;
  CSIPluginConfig: unknown | null;
}

export interface TaskGroup {
  Name: string;
  Count: number;
  Update: UpdateStrategy | null;
  Migrate: MigrateStrategy | null;
  Constraints: Constraint[] | null;
  /** The group's horizontal scaling policy, as the servers store it (ID, target and indexes included). */
  Scaling: GroupScalingPolicy | null;
  RestartPolicy: RestartPolicy | null;
  Tasks: Task[];
  EphemeralDisk: EphemeralDisk | null;
  Meta: Record<string, string> | null;
  ReschedulePolicy: ReschedulePolicy | null;
  Affinities: Affinity[] | null;
  Spreads: Spread[] | null;
  Networks: NetworkResource[] | null;
  Consul: { Namespace: string } | null;
  Services: Service[] | null;
  Volumes: Record<string, VolumeRequest> | null;
  ShutdownDelay: number | null; // ns
  StopAfterClientDisconnect: number | null; // ns
}

export interface PeriodicConfig {
  Enabled: boolean;
  Spec: string;
  SpecType: string;
  ProhibitOverlap: boolean;
  TimeZone: string;
}

export interface ParameterizedJobConfig {
  Payload: string;
  MetaRequired: string[] | null;
  MetaOptional: string[] | null;
}

export interface Job {
  Stop: boolean;
  Region: string;
  Namespace: string;
  ID: string;
  ParentID: string;
  Name: string;
  Type: JobType | string;
  Priority: number;
  AllAtOnce: boolean;
  Datacenters: string[];
  Constraints: Constraint[] | null;
  Affinities: Affinity[] | null;
  Spreads: Spread[] | null;
  TaskGroups: TaskGroup[];
  Update: UpdateStrategy;
  /** Job-level reschedule/migrate blocks, as submitted: canonicalization merges them into the groups. */
  Reschedule?: ReschedulePolicy | null;
  Migrate?: MigrateStrategy | null;
  Multiregion: unknown | null;
  Periodic: PeriodicConfig | null;
  ParameterizedJob: ParameterizedJobConfig | null;
  Dispatched: boolean;
  /** Set on a dispatched child when its dispatch named an idempotency token. */
  DispatchIdempotencyToken?: string;
  Payload: string | null;
  Meta: Record<string, string> | null;
  ConsulToken: string;
  ConsulNamespace: string;
  VaultToken: string;
  VaultNamespace: string;
  NomadTokenID: string;
  Status: 'pending' | 'running' | 'dead' | string;
  StatusDescription: string;
  Stable: boolean;
  Version: number;
  SubmitTime: number; // ns since epoch
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
}

/** A job as the user wrote it: every field optional, before canonicalization fills defaults. */
export type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | null }
    : T;
export type JobInput = DeepPartial<Job>;

/** The row of GET /v1/jobs. */
export interface JobListStub {
  ID: string;
  ParentID: string;
  Name: string;
  Namespace: string;
  Datacenters: string[];
  Multiregion: unknown | null;
  Type: string;
  Priority: number;
  Periodic: boolean;
  ParameterizedJob: boolean;
  Stop: boolean;
  Status: string;
  StatusDescription: string;
  JobSummary: import('./summary.js').JobSummary | null;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  SubmitTime: number;
}
