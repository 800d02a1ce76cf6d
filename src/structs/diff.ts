// Job diffs for `job plan` and `job history -p`, in the JSON shape of Nomad's JobDiff:
// Job -> TaskGroups -> Tasks. At each level the struct's own primitive fields are listed only
// when they changed; nested blocks are objects. A contextual diff also lists the unchanged
// fields inside a changed block, which is how the plan output frames a change (`args[0]` shown
// next to the edited `args[1]`). Server-managed fields are never compared.
import type { Job } from './job.js';
import type { JobDiff, ObjectDiff } from './diff-types.js';
import { primitiveFlat } from './diff-flatten.js';
import { hasChange, objectDiff, orNull, ownFieldDiffs, pairByName, sortObjects, stringSetDiff } from './diff-fields.js';
import { affinityDiffs, constraintDiffs, otherObjectDiffs, plainObjectDiff, spreadDiffs } from './diff-blocks.js';
import { taskGroupDiff } from './diff-group.js';

export type { DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff } from './diff-types.js';

// Set by the servers, secret, or copied into every group by canonicalization (Update,
// Reschedule, Migrate), so a change there is shown once, where it takes effect.
const JOB_SKIP = new Set([
  'ID', 'Status', 'StatusDescription', 'Version', 'Stable', 'SubmitTime', 'CreateIndex', 'ModifyIndex',
  'JobModifyIndex', 'NomadTokenID', 'VaultToken', 'ConsulToken', 'Payload', 'Update', 'Reschedule', 'Migrate',
]);
const JOB_MAPS = ['Meta'];
const JOB_HANDLED = new Set([...JOB_SKIP, 'TaskGroups', 'Meta', 'Datacenters', 'Constraints', 'Affinities', 'Spreads', 'Periodic', 'ParameterizedJob']);

function parameterizedDiff(o: Job['ParameterizedJob'] | undefined, n: Job['ParameterizedJob'] | undefined, contextual: boolean): ObjectDiff | null {
  const children: ObjectDiff[] = [];
  for (const name of ['MetaRequired', 'MetaOptional'] as const) {
    const d = stringSetDiff(name, o?.[name], n?.[name], contextual);
    if (d) children.push(d);
  }
  return objectDiff('ParameterizedJob', primitiveFlat(o), primitiveFlat(n), contextual, children);
}

/**
 * The difference between two versions of a job. `old` null is a job not yet registered (all
 * Added), `next` null one being removed (all Deleted). `contextual` adds the unchanged fields
 * of each changed block.
 */
export function diffJobs(old: Job | null, next: Job | null, contextual: boolean): JobDiff {
  const fields = ownFieldDiffs(old, next, { skip: JOB_SKIP, maps: JOB_MAPS });
  const single = [
    stringSetDiff('Datacenters', old?.Datacenters, next?.Datacenters, contextual),
    plainObjectDiff('Periodic', old?.Periodic, next?.Periodic, contextual),
    parameterizedDiff(old?.ParameterizedJob, next?.ParameterizedJob, contextual),
  ];
  const objects: ObjectDiff[] = [
    ...single.filter((d): d is ObjectDiff => d !== null),
    ...constraintDiffs(old?.Constraints, next?.Constraints, contextual),
    ...affinityDiffs(old?.Affinities, next?.Affinities, contextual),
    ...spreadDiffs(old?.Spreads, next?.Spreads, contextual),
    ...otherObjectDiffs(old, next, JOB_HANDLED, contextual),
  ];
  // Unchanged groups stay in the list: the plan reports each group's updates on it.
  const groups = pairByName(old?.TaskGroups, next?.TaskGroups).map(([og, ng]) => taskGroupDiff(og, ng, contextual));
  let type: JobDiff['Type'] = 'None';
  if (old === null && next !== null) type = 'Added';
  else if (next === null && old !== null) type = 'Deleted';
  else if (hasChange(fields, objects) || hasChange([], groups)) type = 'Edited';
  return {
    Type: type,
    ID: (next ?? old)?.ID ?? '',
    Fields: orNull(fields),
    Objects: orNull(sortObjects(objects)),
    TaskGroups: orNull(groups),
  };
}
