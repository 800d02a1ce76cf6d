// task blocks: what runs, with which driver, resources and files.

import type {
  Affinity,
  Constraint,
  DeepPartial,
  NetworkResource,
  RequestedDevice,
  Resources,
  ScalingPolicy,
  Service,
  Task,
  TaskArtifact,
  Template,
  Vault,
  VolumeMount,
} from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';
import { decodeNetwork } from './decode-network.js';
import { decodeAffinity, decodeConstraint } from './decode-placement.js';
import { decodeRestart } from './decode-policies.js';
import { decodeService } from './decode-service.js';

export type TaskInput = DeepPartial<Task>;

export function decodeTask(r: BlockReader, name: string | undefined, opts: { sidecar?: boolean } = {}): TaskInput {
  const task: TaskInput = defined({
    Name: name ?? r.string('name'),
    Driver: r.string('driver'),
    User: r.string('user'),
    Config: r.rawBlock('config'),
    Env: r.stringMap('env'),
    Meta: r.stringMap('meta'),
    Resources: r.block('resources', decodeResources) as Resources | undefined,
    LogConfig: r.block('logs', (l) => defined({ MaxFiles: l.int('max_files'), MaxFileSizeMB: l.int('max_file_size') })),
    KillTimeout: r.duration('kill_timeout'),
    KillSignal: r.string('kill_signal'),
    ShutdownDelay: r.duration('shutdown_delay'),
  });
  if (opts.sidecar) return task;
  return defined({
    ...task,
    Leader: r.bool('leader'),
    Kind: r.string('kind'),
    Constraints: r.blocks('constraint', decodeConstraint) as Constraint[] | undefined,
    Affinities: r.blocks('affinity', decodeAffinity) as Affinity[] | undefined,
    Services: r.blocks('service', decodeService) as Service[] | undefined,
    RestartPolicy: r.block('restart', decodeRestart),
    Artifacts: r.blocks('artifact', decodeArtifact) as TaskArtifact[] | undefined,
    Templates: r.blocks('template', decodeTemplate) as Template[] | undefined,
    Vault: r.block('vault', decodeVault) as Vault | undefined,
    Lifecycle: r.block('lifecycle', (l) => defined({ Hook: l.string('hook'), Sidecar: l.bool('sidecar') })),
    DispatchPayload: r.block('dispatch_payload', (d) => defined({ File: d.string('file') })),
    VolumeMounts: r.blocks('volume_mount', decodeVolumeMount) as VolumeMount[] | undefined,
    CSIPluginConfig: r.block('csi_plugin', (c) => defined({ ID: c.string('id'), Type: c.string('type'), MountDir: c.string('mount_dir') })),
    ScalingPolicies: decodeTaskScaling(r),
  });
}

function decodeResources(r: BlockReader): DeepPartial<Resources> {
  return defined({
    CPU: r.int('cpu'),
    Cores: r.int('cores'),
    MemoryMB: r.int('memory'),
    MemoryMaxMB: r.int('memory_max'),
    DiskMB: r.int('disk'),
    IOPS: r.int('iops'),
    Networks: r.blocks('network', decodeNetwork) as NetworkResource[] | undefined,
    Devices: r.labeledBlocks('device', (label, d): DeepPartial<RequestedDevice> =>
      defined({
        Name: label,
        Count: d.int('count'),
        Constraints: d.blocks('constraint', decodeConstraint) as Constraint[] | undefined,
        Affinities: d.blocks('affinity', decodeAffinity) as Affinity[] | undefined,
      }),
    ) as RequestedDevice[] | undefined,
  });
}

function decodeArtifact(r: BlockReader): DeepPartial<TaskArtifact> {
  return defined({
    GetterSource: r.string('source'),
    RelativeDest: r.string('destination'),
    GetterMode: r.string('mode'),
    GetterOptions: r.stringMap('options'),
    GetterHeaders: r.stringMap('headers'),
  });
}

function decodeTemplate(r: BlockReader): DeepPartial<Template> {
  return defined({
    SourcePath: r.string('source'),
    DestPath: r.string('destination'),
    EmbeddedTmpl: r.string('data'),
    ChangeMode: r.string('change_mode'),
    ChangeSignal: r.string('change_signal'),
    Splay: r.duration('splay'),
    Perms: r.string('perms'),
    LeftDelim: r.string('left_delimiter'),
    RightDelim: r.string('right_delimiter'),
    Envvars: r.bool('env'),
    VaultGrace: r.duration('vault_grace'),
  });
}

export function decodeVault(r: BlockReader): DeepPartial<Vault> {
  return defined({
    Policies: r.stringList('policies'),
    Namespace: r.string('namespace'),
    Env: r.bool('env'),
    ChangeMode: r.string('change_mode'),
    ChangeSignal: r.string('change_signal'),
  });
}

function decodeVolumeMount(r: BlockReader): DeepPartial<VolumeMount> {
  return defined({
    Volume: r.string('volume'),
    Destination: r.string('destination'),
    ReadOnly: r.bool('read_only'),
    PropagationMode: r.string('propagation_mode'),
  });
}

/** `scaling "cpu"` / `scaling "mem"`: vertical scaling policies; the label names the resource. */
function decodeTaskScaling(r: BlockReader): ScalingPolicy[] | undefined {
  return r.labeledBlocks('scaling', (label, s, block) => {
    const type = label === 'cpu' ? 'vertical_cpu' : label === 'mem' ? 'vertical_mem' : undefined;
    if (!type) {
      s.error(block.labelRanges[0], 'Invalid scaling policy name', `A task's scaling block is named "cpu" or "mem", not "${label}".`);
      s.markUsed('min', 'max', 'enabled', 'policy');
      return undefined;
    }
    return defined({
      Type: type,
      Min: s.int('min'),
      Max: s.int('max'),
      Enabled: s.bool('enabled'),
      Policy: s.plainMap('policy'),
    }) as ScalingPolicy;
  });
}
