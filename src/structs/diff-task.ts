// The diff of one task. Its own primitive fields (Driver, User, KillTimeout, Env[..], Meta[..])
// are listed only when they changed; nested blocks become objects, which carry their unchanged
// fields too when the diff is contextual.
import type { Resources, RestartPolicy, Task, TaskArtifact, Template, Vault, VolumeMount } from './job.js';
import type { ObjectDiff, TaskDiff } from './diff-types.js';
import { primitiveFlat, stableKey, valueFlat } from './diff-flatten.js';
import { hasChange, memberType, objectDiff, orNull, ownFieldDiffs, setDiffs, sortObjects, stringSetDiff } from './diff-fields.js';
import {
  affinityDiffs,
  constraintDiffs,
  networkDiffs,
  otherObjectDiffs,
  plainObjectDiff,
  serviceDiffs,
} from './diff-blocks.js';

const TASK_MAPS = ['Env', 'Meta'];
const TASK_SKIP = new Set(['Name']);
const TASK_HANDLED = new Set([
  'Name', 'Env', 'Meta', 'Config', 'Constraints', 'Affinities', 'Resources', 'LogConfig', 'Artifacts',
  'Templates', 'Vault', 'Services', 'VolumeMounts', 'RestartPolicy', 'DispatchPayload', 'Lifecycle',
]);
const ARTIFACT_MAPS = ['GetterOptions', 'GetterHeaders'];

/** The driver's free-form config: every leaf by path, so `args[1]` shows next to `command`. */
function configDiff(old: Task['Config'] | undefined, next: Task['Config'] | undefined, contextual: boolean): ObjectDiff | null {
  return objectDiff('Config', valueFlat(old, 'map'), valueFlat(next, 'map'), contextual);
}

function resourcesDiff(old: Resources | null | undefined, next: Resources | null | undefined, contextual: boolean): ObjectDiff | null {
  const children = [
    ...networkDiffs(old?.Networks, next?.Networks, contextual),
    ...setDiffs(old?.Devices, next?.Devices, (o, n) => objectDiff('Device', valueFlat(o, 'struct'), valueFlat(n, 'struct'), contextual)),
  ];
  return objectDiff('Resources', primitiveFlat(old), primitiveFlat(next), contextual, children);
}

function vaultDiff(old: Vault | null | undefined, next: Vault | null | undefined, contextual: boolean): ObjectDiff | null {
  const policies = stringSetDiff('Policies', old?.Policies, next?.Policies, contextual);
  return objectDiff('Vault', primitiveFlat(old), primitiveFlat(next), contextual, policies ? [policies] : []);
}

function artifactDiffs(old: TaskArtifact[] | null | undefined, next: TaskArtifact[] | null | undefined, contextual: boolean): ObjectDiff[] {
  const flat = (a: TaskArtifact | null) => primitiveFlat(a, { maps: ARTIFACT_MAPS });
  return setDiffs(old, next, (o, n) => objectDiff('Artifact', flat(o), flat(n), contextual));
}

function templateDiffs(old: Template[] | null | undefined, next: Template[] | null | undefined, contextual: boolean): ObjectDiff[] {
  return setDiffs(old, next, (o, n) => plainObjectDiff('Template', o, n, contextual));
}

function volumeMountDiffs(old: VolumeMount[] | null | undefined, next: VolumeMount[] | null | undefined, contextual: boolean): ObjectDiff[] {
  return setDiffs(old, next, (o, n) => plainObjectDiff('VolumeMount', o, n, contextual));
}

/**
 * A task inherits its group's restart policy, so a group-level change would otherwise show twice.
 * The task's own copy is shown only where it overrides the group's on either side.
 */
export interface GroupRestart {
  old: RestartPolicy | null;
  next: RestartPolicy | null;
}

function restartOverrideDiff(o: Task | null, n: Task | null, group: GroupRestart, contextual: boolean): ObjectDiff | null {
  const same = (a: unknown, b: unknown): boolean => stableKey(a) === stableKey(b);
  const overrides = (o !== null && !same(o.RestartPolicy, group.old)) || (n !== null && !same(n.RestartPolicy, group.next));
  return overrides ? plainObjectDiff('RestartPolicy', o?.RestartPolicy, n?.RestartPolicy, contextual) : null;
}

export function taskDiff(o: Task | null, n: Task | null, group: GroupRestart, contextual: boolean): TaskDiff {
  const fields = ownFieldDiffs(o, n, { skip: TASK_SKIP, maps: TASK_MAPS });
  const single = [
    configDiff(o?.Config, n?.Config, contextual),
    resourcesDiff(o?.Resources, n?.Resources, contextual),
    vaultDiff(o?.Vault, n?.Vault, contextual),
    plainObjectDiff('LogConfig', o?.LogConfig, n?.LogConfig, contextual),
    plainObjectDiff('DispatchPayload', o?.DispatchPayload, n?.DispatchPayload, contextual),
    plainObjectDiff('Lifecycle', o?.Lifecycle, n?.Lifecycle, contextual),
    restartOverrideDiff(o, n, group, contextual),
  ];
  const objects: ObjectDiff[] = [
    ...single.filter((d): d is ObjectDiff => d !== null),
    ...constraintDiffs(o?.Constraints, n?.Constraints, contextual),
    ...affinityDiffs(o?.Affinities, n?.Affinities, contextual),
    ...artifactDiffs(o?.Artifacts, n?.Artifacts, contextual),
    ...templateDiffs(o?.Templates, n?.Templates, contextual),
    ...volumeMountDiffs(o?.VolumeMounts, n?.VolumeMounts, contextual),
    ...serviceDiffs(o?.Services, n?.Services, contextual),
    ...otherObjectDiffs(o, n, TASK_HANDLED, contextual),
  ];
  return {
    Type: memberType(o !== null, n !== null, hasChange(fields, objects)),
    Name: (n ?? o)?.Name ?? '',
    Fields: orNull(fields),
    Objects: orNull(sortObjects(objects)),
    Annotations: null,
  };
}
