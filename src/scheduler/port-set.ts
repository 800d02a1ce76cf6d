// The ports in use on a node, as an immutable sorted Int32Array. Node usage is shared between
// evaluations (the node table's sums) and copied into an eval's record when a placement changes
// it: with an immutable set, "copy" is sharing a pointer and a change builds one small array,
// where a mutable Set had to be copied whole (a hash table of hundreds of bytes) before the
// first change. Lookups are binary searches; nodes hold tens of ports, not thousands.

export type PortSet = Int32Array;

/** Index of the first element >= p. */
function lowerBound(set: PortSet, p: number): number {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (set[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function portSetHas(set: PortSet | null, p: number): boolean {
  if (set === null) return false;
  const i = lowerBound(set, p);
  return i < set.length && set[i] === p;
}

export function portSetSize(set: PortSet | null): number {
  return set === null ? 0 : set.length;
}

/**
 * The set with `ports` (any order, duplicates allowed) added: the same set when none is new,
 * null from null and no ports. `set` is never changed.
 */
export function portSetWithAll(set: PortSet | null, ports: readonly number[]): PortSet | null {
  if (ports.length === 0) return set;
  if (ports.length === 1) return portSetWith(set, ports[0]!);
  // The new ports, sorted and without duplicates or ports already in the set: an allocation
  // brings one or two, so an insertion sort into a small array is the cheap way.
  const fresh: number[] = [];
  for (const p of ports) {
    if (portSetHas(set, p)) continue;
    let i = fresh.length;
    while (i > 0 && fresh[i - 1]! > p) i--;
    if (i > 0 && fresh[i - 1] === p) continue;
    fresh.splice(i, 0, p);
  }
  if (fresh.length === 0) return set;
  const old = set ?? EMPTY;
  const out = new Int32Array(old.length + fresh.length);
  // Merge two sorted runs.
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < old.length && j < fresh.length) out[k++] = old[i]! < fresh[j]! ? old[i++]! : fresh[j++]!;
  while (i < old.length) out[k++] = old[i++]!;
  while (j < fresh.length) out[k++] = fresh[j++]!;
  return out;
}

const EMPTY: PortSet = new Int32Array(0);

/** The set with one port added (the same set when it is in it already). */
function portSetWith(set: PortSet | null, p: number): PortSet {
  if (set === null) return Int32Array.of(p);
  const i = lowerBound(set, p);
  if (i < set.length && set[i] === p) return set;
  // Plain loops: subarray views would be two more objects per port added.
  const n = set.length;
  const out = new Int32Array(n + 1);
  for (let k = 0; k < i; k++) out[k] = set[k]!;
  out[i] = p;
  for (let k = i; k < n; k++) out[k + 1] = set[k]!;
  return out;
}

/** The set with `ports` removed (the same set when none was in it); null when it ends empty. */
export function portSetWithoutAll(set: PortSet | null, ports: readonly number[]): PortSet | null {
  if (set === null || ports.length === 0) return set;
  if (!ports.some((p) => portSetHas(set, p))) return set;
  const kept = set.filter((p) => !ports.includes(p));
  return kept.length === 0 ? null : kept;
}
