// A task's volume_mount blocks resolved against its group's volume requests and this node's
// host volumes: what the driver mounts where, and whether read-only.
import type { Node } from '../structs/node.js';
import type { Task, TaskGroup } from '../structs/job.js';
import type { DriverCapabilities, VolumeMountSpec } from '../drivers/driver.js';

export class VolumeMountError extends Error {}

export function resolveVolumeMounts(group: TaskGroup, task: Task, hostVolumes: Node['HostVolumes'], driver: { name: string; capabilities: DriverCapabilities }): VolumeMountSpec[] {
  const out: VolumeMountSpec[] = [];
  for (const m of task.VolumeMounts ?? []) {
    const req = group.Volumes?.[m.Volume];
    if (!req) throw new VolumeMountError(`volume_mount refers to volume "${m.Volume}", which the group does not request`);
    if (req.Type !== 'host') throw new VolumeMountError(`volume "${m.Volume}" is of type "${req.Type}": only host volumes can be mounted here`);
    const offered = hostVolumes?.[req.Source];
    if (!offered) throw new VolumeMountError(`host volume "${req.Source}" is not configured on this node`);
    const readOnly = req.ReadOnly || m.ReadOnly || offered.ReadOnly;
    if (driver.capabilities.fsIsolation === 'none' && readOnly) {
      // Without isolation the task sees the host as it is: read-only cannot be enforced, so it is not pretended.
      throw new VolumeMountError(`${driver.name} cannot mount volume "${m.Volume}" read-only: its tasks run without file system isolation`);
    }
    out.push({ volume: m.Volume, hostPath: offered.Path, destination: m.Destination, readOnly });
  }
  return out;
}
