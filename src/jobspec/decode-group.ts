// group blocks: a set of tasks placed together, with their count, networking, volumes and
// the policies for restarting, rescheduling and updating them.

import type { Affinity, Constraint, NetworkResource, ScalingPolicy, Service, Spread, Task, TaskGroup, Vault, VolumeRequest, DeepPartial } from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';
import { decodeNetwork } from './decode-network.js';
import { decodeAffinity, decodeConstraint, decodeSpread } from './decode-placement.js';
import { decodeEphemeralDisk, decodeMigrate, decodeReschedule, decodeRestart, decodeUpdate } from './decode-policies.js';
import { decodeService } from './decode-service.js';
import { decodeTask, decodeVault } from './decode-task.js';

export type GroupInput = DeepPartial<TaskGroup>;

export function decodeGroup(name: string, r: BlockReader): GroupInput {
  const tasks = r.labeledBlocks('task', (taskName, t) => decodeTask(t, taskName)) as Task[] | undefined;
  // A group's vault block applies to each of its tasks that has none of its own.
  const vault = r.block('vault', decodeVault) as Vault | undefined;
  if (vault) for (const t of tasks ?? []) if (!t.Vault) t.Vault = vault;
  return defined({
    Name: name,
    Count: r.int('count'),
    Constraints: r.blocks('constraint', decodeConstraint) as Constraint[] | undefined,
    Affinities: r.blocks('affinity', decodeAffinity) as Affinity[] | undefined,
    Spreads: r.blocks('spread', decodeSpread) as Spread[] | undefined,
    Tasks: tasks,
    RestartPolicy: r.block('restart', decodeRestart),
    ReschedulePolicy: r.block('reschedule', decodeReschedule),
    Update: r.block('update', decodeUpdate),
    Migrate: r.block('migrate', decodeMigrate),
    EphemeralDisk: r.block('ephemeral_disk', decodeEphemeralDisk),
    Networks: r.blocks('network', decodeNetwork) as NetworkResource[] | undefined,
    Services: r.blocks('service', decodeService) as Service[] | undefined,
    Volumes: decodeVolumes(r),
    Scaling: r.block('scaling', decodeGroupScaling) as ScalingPolicy | undefined,
    Consul: r.block('consul', (c) => defined({ Namespace: c.string('namespace') })),
    Meta: r.stringMap('meta'),
    ShutdownDelay: r.duration('shutdown_delay'),
    StopAfterClientDisconnect: r.duration('stop_after_client_disconnect'),
  });
}

function decodeVolumes(r: BlockReader): Record<string, VolumeRequest> | undefined {
  const list = r.labeledBlocks('volume', (label, v) =>
    defined({
      Name: label,
      Type: v.string('type'),
      Source: v.string('source'),
      ReadOnly: v.bool('read_only'),
      AccessMode: v.string('access_mode'),
      AttachmentMode: v.string('attachment_mode'),
      PerAlloc: v.bool('per_alloc'),
      MountOptions: v.block('mount_options', (m) => defined({ FSType: m.string('fs_type'), MountFlags: m.stringList('mount_flags') })),
    }),
  );
  if (!list) return undefined;
  return Object.fromEntries(list.map((v) => [v.Name, v as VolumeRequest]));
}

function decodeGroupScaling(r: BlockReader): DeepPartial<ScalingPolicy> {
  return defined({
    Min: r.int('min'),
    Max: r.int('max'),
    Enabled: r.bool('enabled'),
    Policy: r.plainMap('policy'),
  });
}
