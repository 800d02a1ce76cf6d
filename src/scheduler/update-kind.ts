// Whether a job change can be applied to a running allocation in place or needs a new one.
// In place: count, meta, update/restart/reschedule/migrate policies, kill timeout, log config,
// services, CPU and memory (when they still fit on the node). Everything that changes what runs or
// where it may run forces a new allocation: task drivers and config, env, user, artifacts,
// templates, vault, networks and ports, constraints, disk, volumes, tasks added or removed.
import type { Job, NetworkResource, Task, TaskGroup } from '../structs/job.js';
import { deepEqual } from './deep-equal.js';

function portKey(nets: NetworkResource[] | null | undefined): unknown {
  // Ports the allocation was given are its own; compare what was asked for.
  return (nets ?? []).map((n) => ({
    Mode: n.Mode,
    MBits: n.MBits,
    DNS: n.DNS,
    Reserved: (n.ReservedPorts ?? []).map((p) => [p.Label, p.Value, p.To, p.HostNetwork]),
    Dynamic: (n.DynamicPorts ?? []).map((p) => [p.Label, p.To, p.HostNetwork]),
  }));
}

function taskChanged(a: Task, b: Task): boolean {
  return (
    a.Driver !== b.Driver ||
    a.User !== b.User ||
    !deepEqual(a.Config, b.Config) ||
    !deepEqual(a.Env, b.Env) ||
    !deepEqual(a.Artifacts, b.Artifacts) ||
    !deepEqual(a.Templates, b.Templates) ||
    !deepEqual(a.Vault, b.Vault) ||
    !deepEqual(a.VolumeMounts, b.VolumeMounts) ||
    !deepEqual(a.Lifecycle, b.Lifecycle) ||
    !deepEqual(a.CSIPluginConfig, b.CSIPluginConfig) ||
    !deepEqual(a.DispatchPayload, b.DispatchPayload) ||
    !deepEqual(a.Constraints, b.Constraints) ||
    !deepEqual(portKey(a.Resources?.Networks), portKey(b.Resources?.Networks)) ||
    (a.Resources?.Cores ?? 0) !== (b.Resources?.Cores ?? 0) ||
    !deepEqual(a.Resources?.Devices, b.Resources?.Devices)
  );
}

/** True when moving an allocation of `oldJob` to `newJob` for this group needs a new allocation. */
export function groupNeedsDestructiveUpdate(oldJob: Job, newJob: Job, group: string): boolean {
  const a = oldJob.TaskGroups.find((g) => g.Name === group);
  const b = newJob.TaskGroups.find((g) => g.Name === group);
  if (!a || !b) return true;
  if (!deepEqual(oldJob.Constraints, newJob.Constraints)) return true;
  return groupChanged(a, b);
}

function groupChanged(a: TaskGroup, b: TaskGroup): boolean {
  if (a.Tasks.length !== b.Tasks.length) return true;
  if (!deepEqual(a.Constraints, b.Constraints)) return true;
  if (!deepEqual(a.EphemeralDisk, b.EphemeralDisk)) return true;
  if (!deepEqual(portKey(a.Networks), portKey(b.Networks))) return true;
  if (!deepEqual(a.Volumes, b.Volumes)) return true;
  if (!deepEqual(a.Consul, b.Consul)) return true;
  for (const at of a.Tasks) {
    const bt = b.Tasks.find((t) => t.Name === at.Name);
    if (!bt || taskChanged(at, bt)) return true;
  }
  return false;
}
