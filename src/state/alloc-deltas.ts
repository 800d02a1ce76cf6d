// The placements of one plan are alike: a job of 1,000 gives 1,000 allocations that differ in
// their ID, name, node and placement metrics, and share the job, group, evaluation, resources,
// statuses and times. A plan's log entry carries each allocation after the first as only the
// fields that differ from the one before it. The entry is encoded once, but decoded, replicated,
// written to disk and held in the in-memory log on every server: at half the bytes and a
// third of the values, all of that costs as much less. Expanded allocations share the unchanged
// nested objects of the one before, as the state store would share them anyway.
import type { Allocation } from '../structs/alloc.js';
import type { PlanApplyEntry } from './log-entries.js';

type Fields = Record<string, unknown>;

/**
 * The allocations as a delta list: the first whole, each next one as its fields that differ
 * (strictly: same keys in the same order, null is not undefined) from the one before. Null when
 * the list is not worth it or not possible (fewer than two, or allocations of different keys).
 */
export function encodeAllocDeltas(allocs: readonly Allocation[]): Array<Partial<Allocation>> | null {
  if (allocs.length < 2) return null;
  const out: Array<Partial<Allocation>> = [allocs[0]!];
  // Every allocation checked has the first one's keys, so the one before always has this many.
  const prevKeys = countKeys(allocs[0] as unknown as Fields);
  for (let i = 1; i < allocs.length; i++) {
    const a = allocs[i] as unknown as Fields;
    const prev = allocs[i - 1] as unknown as Fields;
    const delta: Fields = {};
    let keys = 0;
    for (const k in a) {
      keys++;
      // A key the previous allocation lacks cannot be told apart from one it has in common.
      if (!(k in prev)) return null;
      const v = a[k];
      if (!sameValue(v, prev[k])) delta[k] = v;
    }
    // One the previous allocation has and this one lacks would be inherited on expansion.
    if (keys !== prevKeys) return null;
    out.push(delta as Partial<Allocation>);
  }
  return out;
}

/** The entry's placements and in-place updates, whole (expanded once per entry object). */
export function planAllocsUpdated(entry: PlanApplyEntry): Allocation[] {
  if (!entry.AllocsDelta) return entry.AllocsUpdated as Allocation[];
  let whole = expanded.get(entry);
  if (whole === undefined) {
    whole = expandAllocDeltas(entry.AllocsUpdated);
    expanded.set(entry, whole);
  }
  return whole;
}

/** Both the FSM and the leader's bookkeeping read the placements of one applied entry. */
const expanded = new WeakMap<PlanApplyEntry, Allocation[]>();

export function expandAllocDeltas(list: ReadonlyArray<Partial<Allocation>>): Allocation[] {
  const out: Allocation[] = [];
  let prev: Fields | null = null;
  for (const d of list as ReadonlyArray<Fields>) {
    if (prev === null) {
      prev = d;
      out.push(d as unknown as Allocation);
      continue;
    }
    // In the previous allocation's key order, so that every expanded allocation has one shape.
    const a: Fields = {};
    for (const k in prev) a[k] = k in d ? d[k] : prev[k];
    for (const k in d) if (!(k in a)) a[k] = d[k];
    out.push(a as unknown as Allocation);
    prev = a;
  }
  return out;
}

function countKeys(o: Fields): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** Equal as encoded: the same keys in the same order, the same values, null and undefined apart. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !sameValue((a as Fields)[k], (b as Fields)[k])) return false;
  }
  return true;
}
