// Allocation names `job.group[index]` and the index bookkeeping the reconciler uses to reuse
// free indexes and to stop the highest ones first.
import type { Allocation } from '../structs/alloc.js';

export function allocName(jobId: string, group: string, index: number): string {
  return `${jobId}.${group}[${index}]`;
}

/** The index in `job.group[7]`, or -1 when the name has none. */
export function allocIndex(name: string): number {
  if (!name.endsWith(']')) return -1;
  const open = name.lastIndexOf('[');
  if (open < 0) return -1;
  const n = Number(name.slice(open + 1, -1));
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/** Which indexes of a group are taken; sized to the group count and grows when needed. */
export class AllocNameIndex {
  private used: Uint8Array;

  constructor(
    private readonly jobId: string,
    private readonly group: string,
    private readonly count: number,
    taken: Iterable<Allocation>,
  ) {
    this.used = new Uint8Array(Math.max(count, 1));
    for (const a of taken) this.set(allocIndex(a.Name));
  }

  isSet(index: number): boolean {
    return index >= 0 && index < this.used.length && this.used[index] === 1;
  }

  set(index: number): void {
    if (index < 0) return;
    if (index >= this.used.length) {
      const grown = new Uint8Array(Math.max(index + 1, this.used.length * 2));
      grown.set(this.used);
      this.used = grown;
    }
    this.used[index] = 1;
  }

  unset(index: number): void {
    if (index >= 0 && index < this.used.length) this.used[index] = 0;
  }

  /** The n highest taken indexes, as names. */
  highest(n: number): Set<string> {
    const out = new Set<string>();
    for (let i = this.used.length - 1; i >= 0 && out.size < n; i--) {
      if (this.used[i] === 1) out.add(allocName(this.jobId, this.group, i));
    }
    return out;
  }

  /** The next n names: free indexes below count first, then (duplicates) from 0 upwards. */
  next(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count && out.length < n; i++) {
      if (this.used[i] === 1) continue;
      this.set(i);
      out.push(allocName(this.jobId, this.group, i));
    }
    for (let i = 0; out.length < n; i++) {
      this.set(i);
      out.push(allocName(this.jobId, this.group, i));
    }
    return out;
  }

  /**
   * Names for canaries: first those of allocations about to be destructively updated (so that the
   * canary later takes the place of one of them), then free indexes, then any.
   */
  nextCanaries(n: number, existingCanaries: Allocation[], destructive: Allocation[]): string[] {
    const out: string[] = [];
    const taken = new Set(existingCanaries.map((a) => a.Name));
    for (const a of sortByName(destructive)) {
      if (out.length >= n) break;
      if (taken.has(a.Name)) continue;
      taken.add(a.Name);
      out.push(a.Name);
    }
    for (let i = 0; i < this.count && out.length < n; i++) {
      const name = allocName(this.jobId, this.group, i);
      if (this.used[i] === 1 || taken.has(name)) continue;
      this.set(i);
      taken.add(name);
      out.push(name);
    }
    for (let i = this.count; out.length < n; i++) {
      const name = allocName(this.jobId, this.group, i);
      if (taken.has(name)) continue;
      this.set(i);
      taken.add(name);
      out.push(name);
    }
    return out;
  }
}

/** Orders allocations by name index, then ID, so that choices are stable. */
export function sortByName(allocs: Iterable<Allocation>): Allocation[] {
  return [...allocs].sort((a, b) => allocIndex(a.Name) - allocIndex(b.Name) || (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}
