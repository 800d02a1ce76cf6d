// The diff of one task group: its own fields (Count, Meta[..], ...), its blocks as objects, and
// every task, unchanged ones included, because the plan output lists each task of a group.
import type { TaskGroup, VolumeRequest } from './job.js';
import type { ObjectDiff, TaskGroupDiff } from './diff-types.js';
import { valueFlat } from './diff-flatten.js';
import { hasChange, keyedDiffs, memberType, objectDiff, orNull, ownFieldDiffs, pairByName, sortObjects } from './diff-fields.js';
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
  const fields = ownFieldDiffs(o, n, { skip: GROUP_SKIP, maps: GROUP_MAPS });
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
  const tasks = pairByName(o?.Tasks, n?.Tasks).map(([ot, nt]) => taskDiff(ot, nt, restart, contextual));
  return {
    Type: memberType(o !== null, n !== null, hasChange(fields, objects) || hasChange([], tasks)),
    Name: (n ?? o)?.Name ?? '',
    Fields: orNull(fields),
    Objects: orNull(sortObjects(objects)),
    Tasks: orNull(tasks),
    Updates: null,
  };
}
