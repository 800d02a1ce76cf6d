// Fills Nomad's defaults into a job as the user wrote it, giving the complete Job the servers
// store. Pure and idempotent: canonicalizing a canonical job changes nothing.
import type {
  Affinity,
  Constraint,
  DNSConfig,
  EphemeralDisk,
  Job,
  JobInput,
  LogConfig,
  MigrateStrategy,
  NetworkResource,
  Port,
  ReschedulePolicy,
  Resources,
  RestartPolicy,
  Service,
  Spread,
  Task,
  TaskArtifact,
  TaskGroup,
  Template,
  UpdateStrategy,
} from './job.js';
import {
  DEFAULT_JOB_PRIORITY,
  DEFAULT_KILL_TIMEOUT_NS,
  DEFAULT_NAMESPACE,
  DEFAULT_REGION,
  DEFAULT_TASK_CPU_MHZ,
  DEFAULT_TASK_MEMORY_MB,
  defaultEphemeralDisk,
  defaultLogConfig,
  defaultMigrateStrategy,
  defaultReschedulePolicy,
  defaultRestartPolicy,
  defaultUpdateStrategy,
  emptyJobUpdate,
} from './defaults.js';
import { canonicalScalingPolicy } from './scaling.js';

type Input<T> = { [K in keyof T]?: unknown } | null | undefined;
type Loose = Record<string, unknown>;

function asObj(v: unknown): Loose | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : null;
}

function str(v: unknown, dflt = ''): string {
  return typeof v === 'string' ? v : dflt;
}

function num(v: unknown, dflt = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

function bool(v: unknown, dflt = false): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

/** A list stays null when absent or empty, as Nomad's JSON shows. */
function list<T>(v: unknown, each: (x: unknown) => T): T[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return v.map(each);
}

function strList(v: unknown): string[] | null {
  return list(v, (x) => String(x));
}

function strMap(v: unknown): Record<string, string> | null {
  const o = asObj(v);
  if (!o || Object.keys(o).length === 0) return null;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) out[k] = typeof val === 'string' ? val : JSON.stringify(val);
  return out;
}

/** Field by field: what the input says wins, the rest comes from the base. */
function overlay<T extends object>(base: T, input: unknown): T {
  const o = asObj(input);
  if (!o) return { ...base };
  const out = { ...base } as Record<string, unknown>;
  for (const key of Object.keys(base)) {
    const v = o[key];
    if (v !== undefined && v !== null && typeof v === typeof (base as Record<string, unknown>)[key]) out[key] = v;
  }
  return out as T;
}

function constraint(v: unknown): Constraint {
  const o = asObj(v) ?? {};
  return { LTarget: str(o.LTarget), RTarget: str(o.RTarget), Operand: str(o.Operand, '=') || '=' };
}

function affinity(v: unknown): Affinity {
  const o = asObj(v) ?? {};
  return { LTarget: str(o.LTarget), RTarget: str(o.RTarget), Operand: str(o.Operand, '=') || '=', Weight: num(o.Weight, 50) };
}

function spread(v: unknown): Spread {
  const o = asObj(v) ?? {};
  return {
    Attribute: str(o.Attribute),
    Weight: num(o.Weight, 50),
    SpreadTarget: list(o.SpreadTarget, (t) => {
      const to = asObj(t) ?? {};
      return { Value: str(to.Value), Percent: num(to.Percent) };
    }),
  };
}

function port(v: unknown): Port {
  const o = asObj(v) ?? {};
  return { Label: str(o.Label), Value: num(o.Value), To: num(o.To), HostNetwork: str(o.HostNetwork, 'default') || 'default' };
}

function dns(v: unknown): DNSConfig | null {
  const o = asObj(v);
  if (!o) return null;
  return { Servers: strList(o.Servers), Searches: strList(o.Searches), Options: strList(o.Options) };
}

function network(v: unknown): NetworkResource {
  const o = asObj(v) ?? {};
  return {
    Mode: str(o.Mode),
    Device: str(o.Device),
    CIDR: str(o.CIDR),
    IP: str(o.IP),
    MBits: num(o.MBits),
    DNS: dns(o.DNS),
    ReservedPorts: list(o.ReservedPorts, port),
    DynamicPorts: list(o.DynamicPorts, port),
  };
}

function resources(v: unknown): Resources {
  const o = asObj(v) ?? {};
  return {
    CPU: num(o.CPU, DEFAULT_TASK_CPU_MHZ),
    Cores: num(o.Cores),
    MemoryMB: num(o.MemoryMB, DEFAULT_TASK_MEMORY_MB),
    MemoryMaxMB: num(o.MemoryMaxMB),
    DiskMB: num(o.DiskMB),
    IOPS: num(o.IOPS),
    Networks: list(o.Networks, network),
    Devices: list(o.Devices, (d) => {
      const od = asObj(d) ?? {};
      return {
        Name: str(od.Name),
        Count: num(od.Count, 1),
        Constraints: list(od.Constraints, constraint),
        Affinities: list(od.Affinities, affinity),
      };
    }),
  };
}

/** A service without a name is named after its job, group (and task), as Nomad names it. */
function service(v: unknown, defaultName: string): Service {
  const o = asObj(v) ?? {};
  return {
    ...o,
    Name: str(o.Name) || defaultName,
    TaskName: str(o.TaskName),
    PortLabel: str(o.PortLabel),
    AddressMode: str(o.AddressMode, 'auto') || 'auto',
    Tags: strList(o.Tags),
    CanaryTags: strList(o.CanaryTags),
    Checks: list(o.Checks, (c) => {
      const oc = asObj(c) ?? {};
      return {
        ...oc,
        Name: str(oc.Name),
        Type: str(oc.Type),
        Command: str(oc.Command),
        Args: strList(oc.Args),
        Path: str(oc.Path),
        Protocol: str(oc.Protocol),
        PortLabel: str(oc.PortLabel),
        Interval: num(oc.Interval),
        Timeout: num(oc.Timeout),
        InitialStatus: str(oc.InitialStatus),
      };
    }),
    Meta: strMap(o.Meta),
  };
}

function template(v: unknown): Template {
  const o = asObj(v) ?? {};
  return {
    SourcePath: str(o.SourcePath),
    DestPath: str(o.DestPath),
    EmbeddedTmpl: str(o.EmbeddedTmpl),
    ChangeMode: str(o.ChangeMode, 'restart') || 'restart',
    ChangeSignal: str(o.ChangeSignal),
    Splay: num(o.Splay, 5_000_000_000),
    Perms: str(o.Perms, '0644') || '0644',
    LeftDelim: str(o.LeftDelim, '{{') || '{{',
    RightDelim: str(o.RightDelim, '}}') || '}}',
    Envvars: bool(o.Envvars),
    VaultGrace: num(o.VaultGrace),
  };
}

function artifact(v: unknown): TaskArtifact {
  const o = asObj(v) ?? {};
  return {
    GetterSource: str(o.GetterSource),
    GetterOptions: strMap(o.GetterOptions),
    GetterHeaders: strMap(o.GetterHeaders),
    GetterMode: str(o.GetterMode, 'any') || 'any',
    RelativeDest: str(o.RelativeDest, 'local/') || 'local/',
  };
}

function restartPolicy(base: RestartPolicy, input: unknown): RestartPolicy {
  return overlay(base, input);
}

function task(v: unknown, groupRestart: RestartPolicy, servicePrefix: string): Task {
  const o = asObj(v) ?? {};
  const lifecycle = asObj(o.Lifecycle);
  const vault = asObj(o.Vault);
  return {
    Name: str(o.Name),
    Driver: str(o.Driver),
    User: str(o.User),
    Config: asObj(o.Config) ?? null,
    Env: strMap(o.Env),
    Services: list(o.Services, (sv) => service(sv, `${servicePrefix}-${str(o.Name)}`)),
    Vault: vault
      ? {
          Policies: strList(vault.Policies),
          Namespace: str(vault.Namespace),
          Env: bool(vault.Env, true),
          ChangeMode: str(vault.ChangeMode, 'restart') || 'restart',
          ChangeSignal: str(vault.ChangeSignal),
        }
      : null,
    Templates: list(o.Templates, template),
    Constraints: list(o.Constraints, constraint),
    Affinities: list(o.Affinities, affinity),
    Resources: resources(o.Resources),
    RestartPolicy: restartPolicy(groupRestart, o.RestartPolicy),
    DispatchPayload: asObj(o.DispatchPayload) ? { File: str(asObj(o.DispatchPayload)!.File) } : null,
    Lifecycle: lifecycle ? { Hook: str(lifecycle.Hook), Sidecar: bool(lifecycle.Sidecar) } : null,
    Meta: strMap(o.Meta),
    KillTimeout: num(o.KillTimeout, DEFAULT_KILL_TIMEOUT_NS),
    LogConfig: overlay<LogConfig>(defaultLogConfig(), o.LogConfig),
    Artifacts: list(o.Artifacts, artifact),
    Leader: bool(o.Leader),
    ShutdownDelay: num(o.ShutdownDelay),
    VolumeMounts: list(o.VolumeMounts, (m) => {
      const om = asObj(m) ?? {};
      return {
        Volume: str(om.Volume),
        Destination: str(om.Destination),
        ReadOnly: bool(om.ReadOnly),
        PropagationMode: str(om.PropagationMode, 'private') || 'private',
      };
    }),
    ScalingPolicies: (Array.isArray(o.ScalingPolicies) && o.ScalingPolicies.length > 0 ? o.ScalingPolicies : null) as Task['ScalingPolicies'],
    KillSignal: str(o.KillSignal),
    Kind: str(o.Kind),
    CSIPluginConfig: o.CSIPluginConfig ?? null,
  };
}

/** Job-level and group-level update blocks merge; the group's fields win. */
function groupUpdate(jobType: string, jobUpdate: Loose | null, groupUpdateInput: Loose | null): UpdateStrategy | null {
  if (jobType !== 'service') return null;
  if (!jobUpdate && !groupUpdateInput) return defaultUpdateStrategy();
  const merged: Loose = { ...(jobUpdate ?? {}) };
  for (const [k, v] of Object.entries(groupUpdateInput ?? {})) if (v !== undefined && v !== null) merged[k] = v;
  return overlay(defaultUpdateStrategy(), merged);
}

function groupMigrate(jobType: string, jobMigrate: Loose | null, input: Loose | null): MigrateStrategy | null {
  if (jobType !== 'service') return null;
  const merged: Loose = { ...(jobMigrate ?? {}) };
  for (const [k, v] of Object.entries(input ?? {})) if (v !== undefined && v !== null) merged[k] = v;
  return overlay(defaultMigrateStrategy(), merged);
}

function groupReschedule(jobType: string, jobResched: Loose | null, input: Loose | null): ReschedulePolicy | null {
  const base = defaultReschedulePolicy(jobType);
  if (!base) return null;
  const merged: Loose = { ...(jobResched ?? {}) };
  for (const [k, v] of Object.entries(input ?? {})) if (v !== undefined && v !== null) merged[k] = v;
  return overlay(base, merged);
}

function taskGroup(v: unknown, job: { ID: string; Name: string; Namespace: string; Type: string; Update: Loose | null; Migrate: Loose | null; Reschedule: Loose | null }): TaskGroup {
  const o = asObj(v) ?? {};
  const servicePrefix = `${job.Name}-${str(o.Name)}`;
  const restart = restartPolicy(defaultRestartPolicy(job.Type), o.RestartPolicy);
  const volumes = asObj(o.Volumes);
  const scaling = asObj(o.Scaling);
  // Without a count, a scaled group starts at its policy's minimum; without a minimum, the
  // policy's minimum is the group's count.
  const count = num(o.Count, scaling ? num(scaling.Min, 1) : 1);
  return {
    Name: str(o.Name),
    Count: count,
    Update: groupUpdate(job.Type, job.Update, asObj(o.Update)),
    Migrate: groupMigrate(job.Type, job.Migrate, asObj(o.Migrate)),
    Constraints: list(o.Constraints, constraint),
    Scaling: scaling ? canonicalScalingPolicy(scaling, count, { namespace: job.Namespace, job: job.ID, group: str(o.Name) }) : null,
    RestartPolicy: restart,
    Tasks: (Array.isArray(o.Tasks) ? o.Tasks : []).map((t) => task(t, restart, servicePrefix)),
    EphemeralDisk: overlay<EphemeralDisk>(defaultEphemeralDisk(), o.EphemeralDisk),
    Meta: strMap(o.Meta),
    ReschedulePolicy: groupReschedule(job.Type, job.Reschedule, asObj(o.ReschedulePolicy)),
    Affinities: list(o.Affinities, affinity),
    Spreads: list(o.Spreads, spread),
    Networks: list(o.Networks, network),
    Consul: { Namespace: str(asObj(o.Consul)?.Namespace) },
    Services: list(o.Services, (sv) => service(sv, servicePrefix)),
    Volumes: volumes && Object.keys(volumes).length > 0 ? (volumes as TaskGroup['Volumes']) : null,
    ShutdownDelay: typeof o.ShutdownDelay === 'number' ? o.ShutdownDelay : null,
    StopAfterClientDisconnect: typeof o.StopAfterClientDisconnect === 'number' ? o.StopAfterClientDisconnect : null,
  };
}

/** The job-level update keeps Stagger and MaxParallel only; the rest lives in the groups. */
function jobLevelUpdate(jobType: string, input: Loose | null): UpdateStrategy {
  const out = emptyJobUpdate();
  if (input) {
    out.Stagger = num(input.Stagger, 30_000_000_000);
    out.MaxParallel = num(input.MaxParallel, 1);
  } else if (jobType === 'service') {
    const d = defaultUpdateStrategy();
    out.Stagger = d.Stagger;
    out.MaxParallel = d.MaxParallel;
  }
  return out;
}

export function canonicalizeJob(input: JobInput | Input<Job>): Job {
  const o = (asObj(input) ?? {}) as Loose;
  const type = str(o.Type, 'service') || 'service';
  const id = str(o.ID);
  const update = asObj(o.Update);
  const namespace = str(o.Namespace, DEFAULT_NAMESPACE) || DEFAULT_NAMESPACE;
  const ctx = { ID: id, Name: str(o.Name) || id, Namespace: namespace, Type: type, Update: update, Migrate: asObj(o.Migrate), Reschedule: asObj(o.Reschedule) };
  const periodic = asObj(o.Periodic);
  const param = asObj(o.ParameterizedJob);
  return {
    Stop: bool(o.Stop),
    Region: str(o.Region, DEFAULT_REGION) || DEFAULT_REGION,
    Namespace: namespace,
    ID: id,
    ParentID: str(o.ParentID),
    Name: str(o.Name) || id,
    Type: type,
    Priority: num(o.Priority, DEFAULT_JOB_PRIORITY),
    AllAtOnce: bool(o.AllAtOnce),
    Datacenters: Array.isArray(o.Datacenters) ? o.Datacenters.map((d) => String(d)) : [],
    Constraints: list(o.Constraints, constraint),
    Affinities: list(o.Affinities, affinity),
    Spreads: list(o.Spreads, spread),
    TaskGroups: (Array.isArray(o.TaskGroups) ? o.TaskGroups : []).map((g) => taskGroup(g, ctx)),
    Update: jobLevelUpdate(type, update),
    Multiregion: o.Multiregion ?? null,
    Periodic: periodic
      ? {
          Enabled: bool(periodic.Enabled, true),
          Spec: str(periodic.Spec),
          SpecType: str(periodic.SpecType, 'cron') || 'cron',
          ProhibitOverlap: bool(periodic.ProhibitOverlap),
          TimeZone: str(periodic.TimeZone, 'UTC') || 'UTC',
        }
      : null,
    ParameterizedJob: param
      ? { Payload: str(param.Payload, 'optional') || 'optional', MetaRequired: strList(param.MetaRequired), MetaOptional: strList(param.MetaOptional) }
      : null,
    Dispatched: bool(o.Dispatched),
    Payload: typeof o.Payload === 'string' ? o.Payload : null,
    Meta: strMap(o.Meta),
    ConsulToken: str(o.ConsulToken),
    ConsulNamespace: str(o.ConsulNamespace),
    VaultToken: str(o.VaultToken),
    VaultNamespace: str(o.VaultNamespace),
    NomadTokenID: str(o.NomadTokenID),
    Status: str(o.Status),
    StatusDescription: str(o.StatusDescription),
    Stable: bool(o.Stable),
    Version: num(o.Version),
    SubmitTime: num(o.SubmitTime),
    CreateIndex: num(o.CreateIndex),
    ModifyIndex: num(o.ModifyIndex),
    JobModifyIndex: num(o.JobModifyIndex),
  };
}
