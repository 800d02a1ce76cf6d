// Annotations that turn a job diff into a `job plan` report: the scheduler's per-group update
// counts under Nomad's names, the direction of a count change, and for each changed task
// whether it can be updated in place or needs new allocations.
import type { FieldDiff, JobDiff, TaskDiff, TaskGroupDiff } from '../structs/diff.js';
import type { DesiredUpdates, PlanAnnotations } from '../structs/plan.js';
import type { Job } from '../structs/job.js';
import { groupNeedsDestructiveUpdate } from '../scheduler/update-kind.js';

export const FORCES_CREATE = 'forces create';
export const FORCES_DESTROY = 'forces destroy';
export const FORCES_IN_PLACE = 'forces in-place update';
export const FORCES_DESTRUCTIVE = 'forces create/destroy update';

// Preemptions are left out: the plan reports preempted allocations on their own.
const UPDATE_NAMES: ReadonlyArray<readonly [keyof DesiredUpdates, string]> = [
  ['Ignore', 'ignore'],
  ['Place', 'create'],
  ['Migrate', 'migrate'],
  ['Stop', 'destroy'],
  ['Canary', 'canary'],
  ['InPlaceUpdate', 'in-place update'],
  ['DestructiveUpdate', 'create/destroy update'],
];

// Without the jobs at hand, a task change is judged from the diff alone: these are the only
// changes a running task takes without a new allocation.
const IN_PLACE_FIELDS = new Set(['KillTimeout']);
const IN_PLACE_OBJECTS = new Set(['LogConfig', 'Service', 'Constraint']);

/** The two versions the diff was made from; with them, task changes follow the scheduler's rules. */
export interface PlanJobs {
  old: Job | null;
  next: Job | null;
}

/**
 * Annotates a plan's diff in place. Count and task annotations are made even without scheduler
 * annotations (a periodic job's plan has none); update counts need them.
 */
export function annotateDiff(diff: JobDiff, annotations: PlanAnnotations | null, jobs?: PlanJobs): void {
  for (const group of diff.TaskGroups ?? []) {
    const desired = annotations?.DesiredTGUpdates[group.Name];
    if (desired) group.Updates = updateCounts(desired);
    annotateCount(group);
    for (const task of group.Tasks ?? []) annotateTask(task, group, jobs);
  }
}

/** The non-zero counts, keyed as the CLI prints them ("2 create, 1 in-place update"). */
export function updateCounts(desired: DesiredUpdates): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, name] of UPDATE_NAMES) if ((desired[field] ?? 0) > 0) out[name] = desired[field];
  return out;
}

function annotate(target: FieldDiff | TaskDiff, note: string): void {
  if (!target.Annotations?.includes(note)) target.Annotations = [...(target.Annotations ?? []), note];
}

function countOf(value: string): number {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : 0;
}

function annotateCount(group: TaskGroupDiff): void {
  const count = group.Fields?.find((f) => f.Name === 'Count');
  if (!count) return;
  const old = countOf(count.Old);
  const next = countOf(count.New);
  if (next > old) annotate(count, FORCES_CREATE);
  else if (next < old) annotate(count, FORCES_DESTROY);
}

function annotateTask(task: TaskDiff, group: TaskGroupDiff, jobs: PlanJobs | undefined): void {
  if (task.Type === 'None') return;
  // A whole group appearing or going away creates or destroys its tasks with it.
  if (group.Type === 'Added' || group.Type === 'Deleted') {
    if (task.Type === 'Added') return annotate(task, FORCES_CREATE);
    if (task.Type === 'Deleted') return annotate(task, FORCES_DESTROY);
  }
  const destructive = (jobs && schedulerSaysDestructive(jobs, group.Name, task.Name)) ?? diffSaysDestructive(task);
  annotate(task, destructive ? FORCES_DESTRUCTIVE : FORCES_IN_PLACE);
}

/**
 * The scheduler's own rule, asked about this task alone: a copy of the old job with only this
 * task replaced by its new version. Null when the task is not on both sides (added to or removed
 * from a running group, which always replaces the group's allocations).
 */
function schedulerSaysDestructive(jobs: PlanJobs, groupName: string, taskName: string): boolean | null {
  const { old, next } = jobs;
  const oldGroup = old?.TaskGroups.find((g) => g.Name === groupName);
  const newTask = next?.TaskGroups.find((g) => g.Name === groupName)?.Tasks.find((t) => t.Name === taskName);
  if (!old || !oldGroup || !newTask || !oldGroup.Tasks.some((t) => t.Name === taskName)) return null;
  const probe: Job = {
    ...old,
    TaskGroups: old.TaskGroups.map((g) => (g === oldGroup ? { ...g, Tasks: g.Tasks.map((t) => (t.Name === taskName ? newTask : t)) } : g)),
  };
  return groupNeedsDestructiveUpdate(old, probe, groupName);
}

function diffSaysDestructive(task: TaskDiff): boolean {
  const fields = (task.Fields ?? []).filter((f) => f.Type !== 'None');
  const objects = (task.Objects ?? []).filter((o) => o.Type !== 'None');
  return fields.some((f) => !IN_PLACE_FIELDS.has(f.Name)) || objects.some((o) => !IN_PLACE_OBJECTS.has(o.Name));
}
