// The JSON shape of a job as Nomad's API takes it, field by field: enough to check the types
// of a JSON job file and name the field at fault. Fields not listed here pass through as
// they are (the API ignores what it does not know, and so do we).

export type FieldType = 'string' | 'int' | 'number' | 'bool' | 'any' | { list: FieldType } | { map: FieldType } | { object: Shape };
export type Shape = { [field: string]: FieldType };

const list = (t: FieldType): FieldType => ({ list: t });
const map = (t: FieldType): FieldType => ({ map: t });
const obj = (s: Shape): FieldType => ({ object: s });

const strings = list('string');
const stringMap = map('string');

const constraint = obj({ LTarget: 'string', RTarget: 'string', Operand: 'string' });
const affinity = obj({ LTarget: 'string', RTarget: 'string', Operand: 'string', Weight: 'int' });
const spread = obj({ Attribute: 'string', Weight: 'int', SpreadTarget: list(obj({ Value: 'string', Percent: 'int' })) });
const port = obj({ Label: 'string', Value: 'int', To: 'int', HostNetwork: 'string' });
const network = obj({
  Mode: 'string',
  Device: 'string',
  CIDR: 'string',
  IP: 'string',
  MBits: 'int',
  DNS: obj({ Servers: strings, Searches: strings, Options: strings }),
  ReservedPorts: list(port),
  DynamicPorts: list(port),
});
const resources = obj({
  CPU: 'int',
  Cores: 'int',
  MemoryMB: 'int',
  MemoryMaxMB: 'int',
  DiskMB: 'int',
  IOPS: 'int',
  Networks: list(network),
  Devices: list(obj({ Name: 'string', Count: 'int', Constraints: list(constraint), Affinities: list(affinity) })),
});
const restart = obj({ Attempts: 'int', Interval: 'int', Delay: 'int', Mode: 'string' });
const reschedule = obj({ Attempts: 'int', Interval: 'int', Delay: 'int', DelayFunction: 'string', MaxDelay: 'int', Unlimited: 'bool' });
const update = obj({
  Stagger: 'int',
  MaxParallel: 'int',
  HealthCheck: 'string',
  MinHealthyTime: 'int',
  HealthyDeadline: 'int',
  ProgressDeadline: 'int',
  AutoRevert: 'bool',
  AutoPromote: 'bool',
  Canary: 'int',
});
const migrate = obj({ MaxParallel: 'int', HealthCheck: 'string', MinHealthyTime: 'int', HealthyDeadline: 'int' });
const check = obj({
  Name: 'string',
  Type: 'string',
  Command: 'string',
  Args: strings,
  Path: 'string',
  Protocol: 'string',
  PortLabel: 'string',
  Expose: 'bool',
  AddressMode: 'string',
  Interval: 'int',
  Timeout: 'int',
  InitialStatus: 'string',
  TLSSkipVerify: 'bool',
  Method: 'string',
  Header: map(strings),
  TaskName: 'string',
  SuccessBeforePassing: 'int',
  FailuresBeforeCritical: 'int',
});
const service = obj({
  Name: 'string',
  TaskName: 'string',
  PortLabel: 'string',
  AddressMode: 'string',
  EnableTagOverride: 'bool',
  Tags: strings,
  CanaryTags: strings,
  Checks: list(check),
  Meta: stringMap,
  CanaryMeta: stringMap,
  Connect: 'any',
});
const vault = obj({ Policies: strings, Namespace: 'string', Env: 'bool', ChangeMode: 'string', ChangeSignal: 'string' });
const task = obj({
  Name: 'string',
  Driver: 'string',
  User: 'string',
  Config: map('any'),
  Env: stringMap,
  Services: list(service),
  Vault: vault,
  Templates: list(
    obj({
      SourcePath: 'string',
      DestPath: 'string',
      EmbeddedTmpl: 'string',
      ChangeMode: 'string',
      ChangeSignal: 'string',
      Splay: 'int',
      Perms: 'string',
      LeftDelim: 'string',
      RightDelim: 'string',
      Envvars: 'bool',
      VaultGrace: 'int',
    }),
  ),
  Constraints: list(constraint),
  Affinities: list(affinity),
  Resources: resources,
  RestartPolicy: restart,
  DispatchPayload: obj({ File: 'string' }),
  Lifecycle: obj({ Hook: 'string', Sidecar: 'bool' }),
  Meta: stringMap,
  KillTimeout: 'int',
  LogConfig: obj({ MaxFiles: 'int', MaxFileSizeMB: 'int' }),
  Artifacts: list(obj({ GetterSource: 'string', GetterOptions: stringMap, GetterHeaders: stringMap, GetterMode: 'string', RelativeDest: 'string' })),
  Leader: 'bool',
  ShutdownDelay: 'int',
  VolumeMounts: list(obj({ Volume: 'string', Destination: 'string', ReadOnly: 'bool', PropagationMode: 'string' })),
  ScalingPolicies: list('any'),
  KillSignal: 'string',
  Kind: 'string',
  CSIPluginConfig: obj({ ID: 'string', Type: 'string', MountDir: 'string' }),
});
const group = obj({
  Name: 'string',
  Count: 'int',
  Update: update,
  Migrate: migrate,
  Constraints: list(constraint),
  Scaling: obj({ Min: 'int', Max: 'int', Enabled: 'bool', Policy: map('any') }),
  RestartPolicy: restart,
  Tasks: list(task),
  EphemeralDisk: obj({ Sticky: 'bool', SizeMB: 'int', Migrate: 'bool' }),
  Meta: stringMap,
  ReschedulePolicy: reschedule,
  Affinities: list(affinity),
  Spreads: list(spread),
  Networks: list(network),
  Consul: obj({ Namespace: 'string' }),
  Services: list(service),
  Volumes: map(obj({ Name: 'string', Type: 'string', Source: 'string', ReadOnly: 'bool', AccessMode: 'string', AttachmentMode: 'string', PerAlloc: 'bool' })),
  ShutdownDelay: 'int',
  StopAfterClientDisconnect: 'int',
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
  Periodic: obj({ Enabled: 'bool', Spec: 'string', SpecType: 'string', ProhibitOverlap: 'bool', TimeZone: 'string' }),
  ParameterizedJob: obj({ Payload: 'string', MetaRequired: strings, MetaOptional: strings }),
  Dispatched: 'bool',
  Payload: 'any',
  Meta: stringMap,
  ConsulToken: 'string',
  ConsulNamespace: 'string',
  VaultToken: 'string',
  VaultNamespace: 'string',
  NomadTokenID: 'string',
  Status: 'string',
  StatusDescription: 'string',
  Stable: 'bool',
  Version: 'int',
  SubmitTime: 'int',
  CreateIndex: 'int',
  ModifyIndex: 'int',
  JobModifyIndex: 'int',
};
