// The labels of a task's metrics (nomad.client.allocs.*), in Nomad's names; a dispatched or
// periodic child job also names its parent.
import type { Allocation } from '../structs/alloc.js';
import { childJobLabels } from '../structs/metrics.js';

export function allocTaskLabels(alloc: Allocation, task: string): Record<string, string> {
  return { job: alloc.JobID, task_group: alloc.TaskGroup, alloc_id: alloc.ID, task, namespace: alloc.Namespace, ...childJobLabels(alloc.JobID) };
}
