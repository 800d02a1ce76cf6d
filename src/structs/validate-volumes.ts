// Validation of what a task reads from outside its own directory: the group's volume requests,
// the tasks' volume mounts, and where a dispatched payload is written.
import type { Task, TaskGroup } from './job.js';
import type { AddError } from './validate-placement.js';

/** Whether a path relative to the task's local/ directory leads out of the allocation directory. */
export function escapesTaskLocal(file: string): boolean {
  if (file.startsWith('/')) return false; // Nomad joins it below local/ as it is
  const parts = ['task', 'local'];
  for (const seg of file.split('/')) {
    if (seg === '..') {
      if (parts.length === 0) return true;
      parts.pop();
    } else if (seg !== '' && seg !== '.') parts.push(seg);
  }
  return false;
}

export function validateGroupVolumes(tg: TaskGroup, path: string, add: AddError): void {
  for (const [name, v] of Object.entries(tg.Volumes ?? {})) {
    const vpath = `${path}.Volumes[${JSON.stringify(name)}]`;
    if (!v.Source) add(`${vpath}.Source`, `volume ${JSON.stringify(name)} has an empty source`);
    if (v.Type === 'csi') add(`${vpath}.Type`, `volume ${JSON.stringify(name)}: CSI volumes are not supported by this cluster; use a host volume (type = "host")`);
    else if (v.Type !== 'host') add(`${vpath}.Type`, `volume ${JSON.stringify(name)}: unsupported volume type: ${JSON.stringify(v.Type)}`);
    else {
      if (v.AccessMode) add(`${vpath}.AccessMode`, 'host volumes cannot have an access mode');
      if (v.AttachmentMode) add(`${vpath}.AttachmentMode`, 'host volumes cannot have an attachment mode');
      if (v.PerAlloc) add(`${vpath}.PerAlloc`, 'host volumes do not support per_alloc');
      if (v.MountOptions) add(`${vpath}.MountOptions`, 'host volumes cannot have mount options');
    }
  }
}

export function validateTaskVolumeMounts(task: Task, tg: TaskGroup, path: string, add: AddError): void {
  (task.VolumeMounts ?? []).forEach((m, i) => {
    const mpath = `${path}.VolumeMounts[${i}]`;
    if (!m.Volume) add(`${mpath}.Volume`, `Volume Mount (${i}) references an empty volume`);
    else if (!tg.Volumes?.[m.Volume]) add(`${mpath}.Volume`, `Volume Mount (${i}) references undefined volume ${m.Volume}`);
    if (!m.Destination) add(`${mpath}.Destination`, `Volume Mount (${i}) has an empty destination`);
    if (m.PropagationMode && !['private', 'host-to-task', 'bidirectional'].includes(m.PropagationMode)) {
      add(`${mpath}.PropagationMode`, `Volume Mount (${i}) has an invalid propagation mode: ${JSON.stringify(m.PropagationMode)}`);
    }
  });
  if (task.DispatchPayload && escapesTaskLocal(task.DispatchPayload.File)) {
    add(`${path}.DispatchPayload.File`, 'Dispatch Payload validation failed: destination escapes allocation directory');
  }
}
