// Job diffs for `job plan` and `job history -p`, in the JSON shape of Nomad's JobDiff:
// Job -> TaskGroups -> Tasks, each with Fields (primitive values as strings) and Objects
// (nested structures, flattened to dotted field names). A basic version: it compares values,
// not the per-field semantics (keyed sets) a full implementation has.
import type { Job, Task, TaskGroup } from './job.js';

export type DiffType = 'Added' | 'Deleted' | 'Edited' | 'None';

export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations: string[] | null;
}

export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
}

export interface TaskDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Annotations: string[] | null;
}

export interface TaskGroupDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Tasks: TaskDiff[] | null;
  Updates: Record<string, number> | null;
}

export interface JobDiff {
  Type: DiffType;
  ID: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups: TaskGroupDiff[] | null;
}

const JOB_SKIP = new Set([
  'ID', 'TaskGroups', 'Status', 'StatusDescription', 'Version', 'Stable', 'CreateIndex', 'ModifyIndex',
  'JobModifyIndex', 'SubmitTime', 'NomadTokenID', 'VaultToken', 'ConsulToken', 'Update', 'Payload',
]);
const GROUP_SKIP = new Set(['Name', 'Tasks']);
const TASK_SKIP = new Set(['Name']);

type Loose = Record<string, unknown>;

function isPrimitive(v: unknown): v is string | number | boolean | null | undefined {
  return v === null || v === undefined || typeof v !== 'object';
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Flattens an object's primitive leaves to dotted names ("Resources.CPU"); arrays of primitives to "Name[i]". */
function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (isPrimitive(v)) {
    if (prefix) out.set(prefix, fmt(v));
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => flatten(x, `${prefix}[${i}]`, out));
    return;
  }
  for (const [k, x] of Object.entries(v as Loose)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
}

function fieldDiffs(oldMap: Map<string, string> | null, newMap: Map<string, string> | null, contextual: boolean): FieldDiff[] {
  const names = new Set<string>([...(oldMap?.keys() ?? []), ...(newMap?.keys() ?? [])]);
  const out: FieldDiff[] = [];
  for (const name of [...names].sort()) {
    const o = oldMap?.get(name);
    const n = newMap?.get(name);
    let type: DiffType;
    if (o === undefined) type = 'Added';
    else if (n === undefined) type = 'Deleted';
    else if (o !== n) type = 'Edited';
    else type = 'None';
    // Empty values appearing or vanishing are not changes worth showing.
    if (type === 'Added' && n === '' && oldMap) continue;
    if (type === 'Deleted' && o === '' && newMap) continue;
    if (type === 'None' && !contextual) continue;
    out.push({ Type: type, Name: name, Old: o ?? '', New: n ?? '', Annotations: null });
  }
  return out;
}

function rollup(fields: FieldDiff[], objects: ObjectDiff[], whole: DiffType | null): DiffType {
  if (whole) return whole;
  return fields.some((f) => f.Type !== 'None') || objects.some((o) => o.Type !== 'None') ? 'Edited' : 'None';
}

/** Diffs the primitive fields and nested objects of two records (either may be null). */
function diffRecord(
  oldR: Loose | null,
  newR: Loose | null,
  skip: Set<string>,
  contextual: boolean,
): { fields: FieldDiff[]; objects: ObjectDiff[] } {
  const keys = new Set<string>([...Object.keys(oldR ?? {}), ...Object.keys(newR ?? {})]);
  const oldPrims = oldR ? new Map<string, string>() : null;
  const newPrims = newR ? new Map<string, string>() : null;
  const objects: ObjectDiff[] = [];
  for (const k of [...keys].sort()) {
    if (skip.has(k)) continue;
    const o = oldR?.[k];
    const n = newR?.[k];
    if (isPrimitive(o) && isPrimitive(n)) {
      if (oldR && o !== undefined) oldPrims!.set(k, fmt(o));
      if (newR && n !== undefined) newPrims!.set(k, fmt(n));
      continue;
    }
    const om = o === null || o === undefined ? null : new Map<string, string>();
    const nm = n === null || n === undefined ? null : new Map<string, string>();
    if (om) flatten(o, '', om);
    if (nm) flatten(n, '', nm);
    if (om && om.size === 0) continue;
    const type: DiffType = !om && !nm ? 'None' : !om ? 'Added' : !nm ? 'Deleted' : 'None';
    const fields = fieldDiffs(om, nm, contextual);
    const t = type === 'None' ? rollup(fields, [], null) : type;
    if (t === 'None' && !contextual) continue;
    if (!om && nm && nm.size === 0) continue;
    objects.push({ Type: t, Name: k, Fields: fields.length ? fields : null, Objects: null });
  }
  return { fields: fieldDiffs(oldPrims, newPrims, contextual), objects };
}

function taskDiff(o: Task | null, n: Task | null, contextual: boolean): TaskDiff {
  const { fields, objects } = diffRecord(o as unknown as Loose | null, n as unknown as Loose | null, TASK_SKIP, contextual);
  const type = rollup(fields, objects, !o ? 'Added' : !n ? 'Deleted' : null);
  const annotations = type === 'Added' ? ['forces create'] : type === 'Deleted' ? ['forces destroy'] : type === 'Edited' ? [taskUpdateKind(o!, n!)] : null;
  return { Type: type, Name: (n ?? o)!.Name, Fields: fields.length ? fields : null, Objects: objects.length ? objects : null, Annotations: annotations };
}

/** Which changes a task can take in place (services, meta of the scheduler's view) and which need a new allocation. */
function taskUpdateKind(o: Task, n: Task): string {
  const inPlaceOnly = (t: Task): string => JSON.stringify({ ...t, Services: null, Constraints: null, Affinities: null, KillTimeout: 0, LogConfig: null });
  return inPlaceOnly(o) === inPlaceOnly(n) ? 'forces in-place update' : 'forces create/destroy update';
}

function groupDiff(o: TaskGroup | null, n: TaskGroup | null, contextual: boolean): TaskGroupDiff {
  const { fields, objects } = diffRecord(o as unknown as Loose | null, n as unknown as Loose | null, GROUP_SKIP, contextual);
  const names = new Set<string>([...(o?.Tasks ?? []).map((t) => t.Name), ...(n?.Tasks ?? []).map((t) => t.Name)]);
  const tasks: TaskDiff[] = [];
  for (const name of [...names].sort()) {
    const td = taskDiff(o?.Tasks.find((t) => t.Name === name) ?? null, n?.Tasks.find((t) => t.Name === name) ?? null, contextual);
    if (td.Type !== 'None' || contextual) tasks.push(td);
  }
  const type = !o ? 'Added' : !n ? 'Deleted' : fields.some((f) => f.Type !== 'None') || objects.some((x) => x.Type !== 'None') || tasks.some((t) => t.Type !== 'None') ? 'Edited' : 'None';
  return {
    Type: type,
    Name: (n ?? o)!.Name,
    Fields: fields.length ? fields : null,
    Objects: objects.length ? objects : null,
    Tasks: tasks.length ? tasks : null,
    Updates: null,
  };
}

/** The difference between two versions of a job; `contextual` also lists unchanged fields. */
export function diffJobs(oldJob: Job | null, newJob: Job | null, contextual: boolean): JobDiff {
  const { fields, objects } = diffRecord(oldJob as unknown as Loose | null, newJob as unknown as Loose | null, JOB_SKIP, contextual);
  const names = new Set<string>([...(oldJob?.TaskGroups ?? []).map((g) => g.Name), ...(newJob?.TaskGroups ?? []).map((g) => g.Name)]);
  const groups: TaskGroupDiff[] = [];
  for (const name of [...names].sort()) {
    const gd = groupDiff(oldJob?.TaskGroups.find((g) => g.Name === name) ?? null, newJob?.TaskGroups.find((g) => g.Name === name) ?? null, contextual);
    groups.push(gd); // groups are always listed: the plan attaches its per-group Updates to them
  }
  const changed = fields.some((f) => f.Type !== 'None') || objects.some((o) => o.Type !== 'None') || groups.some((g) => g.Type !== 'None');
  const type: DiffType = !oldJob ? 'Added' : !newJob ? 'Deleted' : changed ? 'Edited' : 'None';
  return {
    Type: type,
    ID: (newJob ?? oldJob)?.ID ?? '',
    Fields: fields.length ? fields : null,
    Objects: objects.length ? objects : null,
    TaskGroups: groups.length ? groups : null,
  };
}
