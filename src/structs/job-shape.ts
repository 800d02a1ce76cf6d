// The JSON shape of a job as Nomad's API takes it, field by field, with the Go type each field
// has in Nomad's API structs: enough to check the types of a request or JSON job file, name the
// field at fault and say what it should be as Nomad's decoder does. Fields not listed here pass
// through as they are (the API ignores what it does not know, and so do we).

/** Go's integer kinds that job fields use; `duration` is time.Duration (nanoseconds). */
export type IntKind = 'int' | 'int8' | 'uint8' | 'int64' | 'uint64' | 'duration';

export type FieldType =
  | 'string'
  | 'bool'
  /** interface{}: anything. */
  | 'any'
  /** []byte: a base64 string. */
  | 'bytes'
  | IntKind
  | { list: FieldType; ptr?: boolean }
  | { map: FieldType; ptr?: boolean }
  | StructType;
export type Shape = { [field: string]: FieldType };
/** A Go struct of the API: its fields and its name. */
export type StructType = { object: Shape; name: string };

/**
 * Whether a number is a value of a Go integer kind: whole and in range. Past 2^53 a JavaScript
 * number is rounded, but a time stamp (SubmitTime) of a job read back from the API is that large
 * and must be taken again as it is.
 */
export function fitsIntKind(kind: IntKind, v: number): boolean {
  if (!Number.isInteger(v)) return false;
  switch (kind) {
    case 'int8':
      return v >= -128 && v <= 127;
    case 'uint8':
      return v >= 0 && v <= 255;
    case 'uint64':
      return v >= 0 && v < 2 ** 64;
    default:
      return v >= -(2 ** 63) && v < 2 ** 63;
  }
}

export function isIntKind(t: FieldType): t is IntKind {
  return t === 'int' || t === 'int8' || t === 'uint8' || t === 'int64' || t === 'uint64' || t === 'duration';
}

/** The Go spelling of a field's type, as Go's decoder names it in its errors. */
export function goTypeName(t: FieldType): string {
  if (typeof t === 'string') {
    if (t === 'any') return 'interface {}';
    if (t === 'bytes') return '[]uint8';
    if (t === 'duration') return 'time.Duration';
    return t;
  }
  if ('list' in t) return `[]${t.ptr ? '*' : ''}${goTypeName(t.list)}`;
  if ('map' in t) return `map[string]${t.ptr ? '*' : ''}${goTypeName(t.map)}`;
  return `api.${t.name}`;
}

const list = (t: FieldType, ptr = true): FieldType => ({ list: t, ptr });
const map = (t: FieldType, ptr = false): FieldType => ({ map: t, ptr });
const obj = (name: string, s: Shape): StructType => ({ object: s, name });

const strings = list('string', false);
const stringMap = map('string');

const constraint = obj('Constraint', { LTarget: 'string', RTarget: 'string', Operand: 'string' });
const affinity = obj('Affinity', { LTarget: 'string', RTarget: 'string', Operand: 'string', Weight: 'int8' });
const spread = obj('Spread', { Attribute: 'string', Weight: 'int8', SpreadTarget: list(obj('SpreadTarget', { Value: 'string', Percent: 'uint8' })) });
const port = obj('Port', { Label: 'string', Value: 'int', To: 'int', HostNetwork: 'string' });
const network = obj('NetworkResource', {
  Mode: 'string',
  Device: 'string',
  CIDR: 'string',
  IP: 'string',
  MBits: 'int',
  DNS: obj('DNSConfig', { Servers: strings, Searches: strings, Options: strings }),
  ReservedPorts: list(port, false),
  DynamicPorts: list(port, false),
});
const resources = obj('Resources', {
  CPU: 'int',
  Cores: 'int',
  MemoryMB: 'int',
  MemoryMaxMB: 'int',
  DiskMB: 'int',
  IOPS: 'int',
  Networks: list(network),
  Devices: list(obj('RequestedDevice', { Name: 'string', Count: 'uint64', Constraints: list(constraint), Affinities: list(affinity) })),
});
const restart = obj('RestartPolicy', { Attempts: 'int', Interval: 'duration', Delay: 'duration', Mode: 'string' });
const reschedule = obj('ReschedulePolicy', { Attempts: 'int', Interval: 'duration', Delay: 'duration', DelayFunction: 'string', MaxDelay: 'duration', Unlimited: 'bool' });
const update = obj('UpdateStrategy', {
  Stagger: 'duration',
  MaxParallel: 'int',
  HealthCheck: 'string',
  MinHealthyTime: 'duration',
  HealthyDeadline: 'duration',
  ProgressDeadline: 'duration',
  AutoRevert: 'bool',
  AutoPromote: 'bool',
  Canary: 'int',
});
const migrate = obj('MigrateStrategy', { MaxParallel: 'int', HealthCheck: 'string', MinHealthyTime: 'duration', HealthyDeadline: 'duration' });
const check = obj('ServiceCheck', {
  Name: 'string',
  Type: 'string',
  Command: 'string',
  Args: strings,
  Path: 'string',
  Protocol: 'string',
  PortLabel: 'string',
  Expose: 'bool',
  AddressMode: 'string',
  Interval: 'duration',
  Timeout: 'duration',
  InitialStatus: 'string',
  TLSSkipVerify: 'bool',
  Method: 'string',
  Header: map(strings),
  TaskName: 'string',
  SuccessBeforePassing: 'int',
  FailuresBeforeCritical: 'int',
});
const service = obj('Service', {
  Name: 'string',
  TaskName: 'string',
  PortLabel: 'string',
  AddressMode: 'string',
  EnableTagOverride: 'bool',
  Tags: strings,
  CanaryTags: strings,
  Checks: list(check, false),
  Meta: stringMap,
  CanaryMeta: stringMap,
  Connect: 'any',
});
const vault = obj('Vault', { Policies: strings, Namespace: 'string', Env: 'bool', ChangeMode: 'string', ChangeSignal: 'string' });
const task = obj('Task', {
  Name: 'string',
  Driver: 'string',
  User: 'string',
  Config: map('any'),
  Env: stringMap,
  Services: list(service),
  Vault: vault,
  Templates: list(
    obj('Template', {
      SourcePath: 'string',
      DestPath: 'string',
      EmbeddedTmpl: 'string',
      ChangeMode: 'string',
      ChangeSignal: 'string',
      Splay: 'duration',
      Perms: 'string',
      LeftDelim: 'string',
      RightDelim: 'string',
      Envvars: 'bool',
      VaultGrace: 'duration',
    }),
  ),
  Constraints: list(constraint),
  Affinities: list(affinity),
  Resources: resources,
  RestartPolicy: restart,
  DispatchPayload: obj('DispatchPayloadConfig', { File: 'string' }),
  Lifecycle: obj('TaskLifecycle', { Hook: 'string', Sidecar: 'bool' }),
  Meta: stringMap,
  KillTimeout: 'duration',
  LogConfig: obj('LogConfig', { MaxFiles: 'int', MaxFileSizeMB: 'int' }),
  Artifacts: list(obj('TaskArtifact', { GetterSource: 'string', GetterOptions: stringMap, GetterHeaders: stringMap, GetterMode: 'string', RelativeDest: 'string' })),
  Leader: 'bool',
  ShutdownDelay: 'duration',
  VolumeMounts: list(obj('VolumeMount', { Volume: 'string', Destination: 'string', ReadOnly: 'bool', PropagationMode: 'string' })),
  ScalingPolicies: list('any'),
  KillSignal: 'string',
  Kind: 'string',
  CSIPluginConfig: obj('TaskCSIPluginConfig', { ID: 'string', Type: 'string', MountDir: 'string' }),
});
const group = obj('TaskGroup', {
  Name: 'string',
  Count: 'int',
  Update: update,
  Migrate: migrate,
  Constraints: list(constraint),
  Scaling: obj('ScalingPolicy', {
    ID: 'string',
    Namespace: 'string',
    Type: 'string',
    Target: map('string'),
    Min: 'int64',
    Max: 'int64',
    Enabled: 'bool',
    Policy: map('any'),
    CreateIndex: 'uint64',
    ModifyIndex: 'uint64',
  }),
  RestartPolicy: restart,
  Tasks: list(task),
  EphemeralDisk: obj('EphemeralDisk', { Sticky: 'bool', SizeMB: 'int', Migrate: 'bool' }),
  Meta: stringMap,
  ReschedulePolicy: reschedule,
  Affinities: list(affinity),
  Spreads: list(spread),
  Networks: list(network),
  Consul: obj('Consul', { Namespace: 'string' }),
  Services: list(service),
  Volumes: map(
    obj('VolumeRequest', { Name: 'string', Type: 'string', Source: 'string', ReadOnly: 'bool', AccessMode: 'string', AttachmentMode: 'string', PerAlloc: 'bool' }),
    true,
  ),
  ShutdownDelay: 'duration',
  StopAfterClientDisconnect: 'duration',
});

export const JOB_SHAPE: Shape = {
  Stop: 'bool',
  Region: 'string',
  Namespace: 'string',
  ID: 'string',
  ParentID: 'string',
  Name: 'string',
  Type: 'string',
  Priority: 'int',
  AllAtOnce: 'bool',
  Datacenters: strings,
  Constraints: list(constraint),
  Affinities: list(affinity),
  Spreads: list(spread),
  TaskGroups: list(group),
  Update: update,
  Reschedule: reschedule,
  Migrate: migrate,
  Multiregion: 'any',
  Periodic: obj('PeriodicConfig', { Enabled: 'bool', Spec: 'string', SpecType: 'string', ProhibitOverlap: 'bool', TimeZone: 'string' }),
  ParameterizedJob: obj('ParameterizedJobConfig', { Payload: 'string', MetaRequired: strings, MetaOptional: strings }),
  Dispatched: 'bool',
  Payload: 'bytes',
  Meta: stringMap,
  ConsulToken: 'string',
  ConsulNamespace: 'string',
  VaultToken: 'string',
  VaultNamespace: 'string',
  NomadTokenID: 'string',
  Status: 'string',
  StatusDescription: 'string',
  Stable: 'bool',
  Version: 'uint64',
  SubmitTime: 'int64',
  CreateIndex: 'uint64',
  ModifyIndex: 'uint64',
  JobModifyIndex: 'uint64',
};

export const JOB_TYPE: StructType = obj('Job', JOB_SHAPE);

/** The bodies of the job write endpoints: the job and the options beside it. */
export const JOB_REGISTER_REQUEST: StructType = obj('JobRegisterRequest', {
  Job: JOB_TYPE,
  EnforceIndex: 'bool',
  JobModifyIndex: 'uint64',
  PolicyOverride: 'bool',
  PreserveCounts: 'bool',
});
export const JOB_PLAN_REQUEST: StructType = obj('JobPlanRequest', { Job: JOB_TYPE, Diff: 'bool', PolicyOverride: 'bool' });
export const JOB_VALIDATE_REQUEST: StructType = obj('JobValidateRequest', { Job: JOB_TYPE });
