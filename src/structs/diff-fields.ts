// The building blocks of a job diff: field comparisons, objects built from them, and the three
// ways a list of blocks is matched between versions (as a set, by a key, or as one string set).
import type { DiffType, FieldDiff, ObjectDiff } from './diff-types.js';
import { primitiveFlat, stableKey, type Flat, type PrimitiveOptions } from './diff-flatten.js';

const TYPE_RANK: Record<DiffType, number> = { Edited: 0, Added: 1, Deleted: 2, None: 3 };

/**
 * One field. An empty string counts as "not set", so "" -> "x" is an addition, as in Nomad.
 * Unchanged fields exist only in a contextual diff, to frame the changes around them; a field
 * unset on both sides frames nothing and is left out.
 */
export function fieldDiff(name: string, old: string, next: string, contextual: boolean): FieldDiff | null {
  if (old === next) return contextual && old !== '' ? { Type: 'None', Name: name, Old: old, New: next, Annotations: null } : null;
  const type: DiffType = old === '' ? 'Added' : next === '' ? 'Deleted' : 'Edited';
  return { Type: type, Name: name, Old: old, New: next, Annotations: null };
}

// Fields sharing a name are members of one string set: those read best in value order.
function compareFields(a: FieldDiff, b: FieldDiff): number {
  if (a.Name !== b.Name) return a.Name < b.Name ? -1 : 1;
  const x = a.New || a.Old;
  const y = b.New || b.Old;
  if (x !== y) return x < y ? -1 : 1;
  return TYPE_RANK[a.Type] - TYPE_RANK[b.Type];
}

/** The fields of two flat maps, sorted by name; either side may be absent. */
export function fieldDiffs(old: Flat | null, next: Flat | null, contextual: boolean): FieldDiff[] {
  const names = new Set<string>([...(old?.keys() ?? []), ...(next?.keys() ?? [])]);
  const out: FieldDiff[] = [];
  for (const name of names) {
    const d = fieldDiff(name, old?.get(name) ?? '', next?.get(name) ?? '', contextual);
    if (d) out.push(d);
  }
  return out.sort(compareFields);
}

function signature(o: ObjectDiff): string {
  const fields = (o.Fields ?? []).map((f) => `${f.Name}=${f.Old}>${f.New}`).join('|');
  const objects = (o.Objects ?? []).map(signature).join('|');
  return `${fields}#${objects}`;
}

/** Objects by name, then edited before added before deleted, then by content, so output is stable. */
export function sortObjects(objects: ObjectDiff[]): ObjectDiff[] {
  return objects.sort((a, b) => {
    if (a.Name !== b.Name) return a.Name < b.Name ? -1 : 1;
    if (a.Type !== b.Type) return TYPE_RANK[a.Type] - TYPE_RANK[b.Type];
    const x = signature(a);
    const y = signature(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export function orNull<T>(list: T[]): T[] | null {
  return list.length > 0 ? list : null;
}

export function hasChange(fields: readonly FieldDiff[], objects: readonly { Type: DiffType }[]): boolean {
  return fields.some((f) => f.Type !== 'None') || objects.some((o) => o.Type !== 'None');
}

/**
 * The own primitive fields of a job, group or task. They never carry context: only a block
 * that changed is framed by its neighbours, so only the fields that changed are listed.
 */
export function ownFieldDiffs(old: unknown, next: unknown, opts: PrimitiveOptions): FieldDiff[] {
  return fieldDiffs(primitiveFlat(old, opts), primitiveFlat(next, opts), false);
}

/**
 * The members of two lists matched by Name (a job's groups, a group's tasks), in name order.
 * Unchanged members are kept: the plan lists every group and task.
 */
export function pairByName<T extends { Name: string }>(old: readonly T[] | null | undefined, next: readonly T[] | null | undefined): Array<[T | null, T | null]> {
  const o = new Map((old ?? []).map((t) => [t.Name, t]));
  const n = new Map((next ?? []).map((t) => [t.Name, t]));
  const names = [...new Set([...o.keys(), ...n.keys()])].sort();
  return names.map((name) => [o.get(name) ?? null, n.get(name) ?? null]);
}

/** A group's or task's own type: by which side exists, else Edited when anything inside changed. */
export function memberType(hasOld: boolean, hasNext: boolean, changed: boolean): DiffType {
  return !hasOld || !hasNext || changed ? presenceType(hasOld, hasNext) : 'None';
}

/** Added or Deleted by which side exists, Edited when both do. */
export function presenceType(hasOld: boolean, hasNext: boolean): DiffType {
  return !hasOld ? 'Added' : !hasNext ? 'Deleted' : 'Edited';
}

/**
 * A named object from the flat fields of both sides plus already computed child objects. Null
 * when nothing visible changed: an unchanged block is left out even of a contextual diff.
 */
export function objectDiff(name: string, old: Flat | null, next: Flat | null, contextual: boolean, children: ObjectDiff[] = []): ObjectDiff | null {
  if (!old && !next) return null;
  const fields = fieldDiffs(old, next, contextual);
  if (!hasChange(fields, children)) return null;
  return { Type: presenceType(old !== null, next !== null), Name: name, Fields: orNull(fields), Objects: orNull(sortObjects(children)) };
}

/** Diffs one member of a list; either side may be missing. */
export type MemberDiff<T> = (old: T | null, next: T | null) => ObjectDiff | null;

/**
 * Lists whose members have no identity of their own (constraints, artifacts, networks): a
 * changed member is one removed and one added. Duplicates are counted, not collapsed.
 */
export function setDiffs<T>(old: readonly T[] | null | undefined, next: readonly T[] | null | undefined, diffOne: MemberDiff<T>): ObjectDiff[] {
  const oldLeft = countKeys(old ?? []);
  const nextLeft = countKeys(next ?? []);
  const out: ObjectDiff[] = [];
  for (const o of old ?? []) {
    if (takeOne(nextLeft, stableKey(o))) continue;
    const d = diffOne(o, null);
    if (d) out.push(d);
  }
  for (const n of next ?? []) {
    if (takeOne(oldLeft, stableKey(n))) continue;
    const d = diffOne(null, n);
    if (d) out.push(d);
  }
  return out;
}

function countKeys(list: readonly unknown[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of list) out.set(stableKey(v), (out.get(stableKey(v)) ?? 0) + 1);
  return out;
}

/** Uses up one unmatched member with this key, if any is left. */
function takeOne(left: Map<string, number>, key: string): boolean {
  const n = left.get(key) ?? 0;
  if (n === 0) return false;
  left.set(key, n - 1);
  return true;
}

/** Lists whose members are named (services, checks, ports): same name on both sides is an edit. */
export function keyedDiffs<T>(old: readonly T[] | null | undefined, next: readonly T[] | null | undefined, key: (t: T) => string, diffOne: MemberDiff<T>): ObjectDiff[] {
  const olds = new Map<string, T>();
  const nexts = new Map<string, T>();
  for (const o of old ?? []) olds.set(key(o), o);
  for (const n of next ?? []) nexts.set(key(n), n);
  const out: ObjectDiff[] = [];
  for (const k of [...new Set([...olds.keys(), ...nexts.keys()])].sort()) {
    const d = diffOne(olds.get(k) ?? null, nexts.get(k) ?? null);
    if (d) out.push(d);
  }
  return out;
}

/**
 * A list of strings compared as a set (datacenters, tags, policies): one field per member, all
 * carrying the list's name, so the output reads `+ Datacenters: "dc2"`.
 */
export function stringSetDiff(name: string, old: readonly string[] | null | undefined, next: readonly string[] | null | undefined, contextual: boolean): ObjectDiff | null {
  const o = new Set(old ?? []);
  const n = new Set(next ?? []);
  const fields: FieldDiff[] = [];
  for (const v of o) {
    const d = fieldDiff(name, v, n.has(v) ? v : '', contextual);
    if (d) fields.push(d);
  }
  for (const v of n) if (!o.has(v)) fields.push(fieldDiff(name, '', v, contextual)!);
  if (!hasChange(fields, [])) return null;
  return { Type: presenceType(o.size > 0, n.size > 0), Name: name, Fields: orNull(fields.sort(compareFields)), Objects: null };
}
