// The diff of one task group: its own fields (Count, Meta[..], ...), its blocks as objects, and
// every task, unchanged ones included, because the plan output lists each task of a group.
import type { TaskGroup, VolumeRequest } from './job.js';
import type { ObjectDiff, TaskGroupDiff } from './diff-types.js';
import { primitiveFlat, valueFlat } from './diff-flatten.js';
import { fieldDiffs, hasChange, keyedDiffs, objectDiff, orNull, sortObjects } from './diff-fields.js';
import {
  affinityDiffs,
  constraintDiffs,
  networkDiffs,
  otherObjectDiffs,
  plainObjectDiff,
  serviceDiffs,
  spreadDiffs,
} from './diff-blocks.js';
import { taskDiff } from './diff-task.js';

const GROUP_MAPS = ['Meta'];
const GROUP_SKIP = new Set(['Name']);
const PLAIN_BLOCKS = ['Update', 'Migrate', 'RestartPolicy', 'ReschedulePolicy', 'EphemeralDisk'] as const;
const GROUP_HANDLED = new Set<string>([
  'Name', 'Tasks', 'Meta', 'Constraints', 'Affinities', 'Spreads', 'Networks', 'Services', 'Volumes', ...PLAIN_BLOCKS,
]);

function volumeDiffs(old: Record<string, VolumeRequest> | null | undefined, next: Record<string, VolumeRequest> | null | undefined, contextual: boolean): ObjectDiff[] {
  const entries = (m: Record<string, VolumeRequest> | null | undefined) => Object.entries(m ?? {});
  return keyedDiffs(entries(old), entries(next), ([name]) => name, (o, n) => objectDiff('Volume', valueFlat(o?.[1], 'struct'), valueFlat(n?.[1], 'struct'), contextual));
}

export function taskGroupDiff(o: TaskGroup | null, n: TaskGroup | null, contextual: boolean): TaskGroupDiff {
  // As for tasks and the job, the group's own fields list only what changed.
  const fields = fieldDiffs(primitiveFlat(o, { skip: GROUP_SKIP, maps: GROUP_MAPS }), primitiveFlat(n, { skip: GROUP_SKIP, maps: GROUP_MAPS }), false);
  const objects: ObjectDiff[] = [];
  for (const name of PLAIN_BLOCKS) {
    const d = plainObjectDiff(name, o?.[name], n?.[name], contextual);
    if (d) objects.push(d);
  }
  objects.push(
    ...constraintDiffs(o?.Constraints, n?.Constraints, contextual),
    ...affinityDiffs(o?.Affinities, n?.Affinities, contextual),
    ...spreadDiffs(o?.Spreads, n?.Spreads, contextual),
    ...networkDiffs(o?.Networks, n?.Networks, contextual),
    ...serviceDiffs(o?.Services, n?.Services, contextual),
    ...volumeDiffs(o?.Volumes, n?.Volumes, contextual),
    ...otherObjectDiffs(o, n, GROUP_HANDLED, contextual),
  );
  const restart = { old: o?.RestartPolicy ?? null, next: n?.RestartPolicy ?? null };
  const oldTasks = new Map((o?.Tasks ?? []).map((t) => [t.Name, t]));
  const newTasks = new Map((n?.Tasks ?? []).map((t) => [t.Name, t]));
  const names = [...new Set([...oldTasks.keys(), ...newTasks.keys()])].sort();
  const tasks = names.map((name) => taskDiff(oldTasks.get(name) ?? null, newTasks.get(name) ?? null, restart, contextual));
  const type = !o ? 'Added' : !n ? 'Deleted' : hasChange(fields, objects) || hasChange([], tasks) ? 'Edited' : 'None';
  return {
    Type: type,
    Name: (n ?? o)?.Name ?? '',
    Fields: orNull(fields),
    Objects: orNull(sortObjects(objects)),
    Tasks: orNull(tasks),
    Updates: null,
  };
}
