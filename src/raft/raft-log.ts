// The core's view of the log: entries after the compaction point, all in
// memory (bounded by the snapshot threshold plus the trailing logs kept), with
// a mark of how far they are durable.
import { invariant } from './invariant.js';
import type { Entry } from './types.js';

export class RaftLog {
  /** Index and term of the entry just before the first one held (the compaction point). */
  private offsetIndex: number;
  private offsetTerm: number;
  private entries: Entry[];
  /** Entries at or below this index are durable on this node. */
  private stable: number;
  /**
   * Entries at or below this index were handed out to be made durable (at least `stable`): a
   * driver that writes while it goes on with the next batches is not handed them again.
   */
  private handedToWrite: number;

  constructor(offsetIndex: number, offsetTerm: number, durableEntries: readonly Entry[]) {
    this.offsetIndex = offsetIndex;
    this.offsetTerm = offsetTerm;
    this.entries = [];
    let expected = offsetIndex + 1;
    for (const e of durableEntries) {
      invariant(e.index === expected, () => `log entries not contiguous: expected ${expected}, got ${e.index}`);
      expected++;
      this.entries.push(e);
    }
    this.stable = this.lastIndex();
    this.handedToWrite = this.stable;
  }

  get compactedIndex(): number {
    return this.offsetIndex;
  }

  get compactedTerm(): number {
    return this.offsetTerm;
  }

  get stableIndex(): number {
    return this.stable;
  }

  /** True while some entry was neither made durable nor handed out to be. */
  hasUnhandedEntries(): boolean {
    return Math.max(this.stable, this.handedToWrite) < this.lastIndex();
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.entries.length;
  }

  lastTerm(): number {
    const last = this.entries[this.entries.length - 1];
    return last ? last.term : this.offsetTerm;
  }

  /** The term at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.offsetIndex) return this.offsetTerm;
    if (index < this.offsetIndex || index > this.lastIndex()) return undefined;
    return (this.entries[index - this.offsetIndex - 1] as Entry).term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.offsetIndex) return undefined;
    return this.entries[index - this.offsetIndex - 1];
  }

  /** Entries in [lo, hi], at most maxCount of them and maxBytes of payload (always at least one). */
  slice(lo: number, hi: number, maxCount = Number.MAX_SAFE_INTEGER, maxBytes = Number.MAX_SAFE_INTEGER): Entry[] {
    invariant(lo > this.offsetIndex, () => `slice from ${lo} reaches compacted index ${this.offsetIndex}`);
    const end = Math.min(hi, this.lastIndex(), lo + maxCount - 1);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= end; i++) {
      const e = this.entries[i - this.offsetIndex - 1] as Entry;
      bytes += (e.data ? e.data.length : 0) + 16;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Appends after the last entry (leader path). */
  append(entry: Entry): void {
    invariant(entry.index === this.lastIndex() + 1, () => `append at ${entry.index} after last ${this.lastIndex()}`);
    invariant(entry.term >= this.lastTerm(), () => `append term ${entry.term} below last term ${this.lastTerm()}`);
    this.entries.push(entry);
  }

  /** Replaces everything from entries[0].index on (follower path after a conflict). */
  truncateAndAppend(newEntries: readonly Entry[]): void {
    if (newEntries.length === 0) return;
    const first = (newEntries[0] as Entry).index;
    invariant(first > this.offsetIndex && first <= this.lastIndex() + 1, () => `truncateAndAppend at ${first} outside (${this.offsetIndex}, ${this.lastIndex() + 1}]`);
    this.entries.length = first - this.offsetIndex - 1;
    if (this.stable >= first) this.stable = first - 1;
    if (this.handedToWrite >= first) this.handedToWrite = first - 1;
    let expected = first;
    for (const e of newEntries) {
      invariant(e.index === expected, 'appended entries not contiguous');
      expected++;
      this.entries.push(e);
    }
  }

  /** The entries to make durable that were not handed out before (they are from now on). */
  takeEntriesToWrite(): Entry[] {
    const from = Math.max(this.stable, this.handedToWrite);
    const out = this.entries.slice(from - this.offsetIndex);
    this.handedToWrite = this.lastIndex();
    return out;
  }

  /** Marks durable the longest prefix of `written` that is still in the log unchanged. */
  stableTo(written: readonly Entry[]): void {
    for (let i = written.length - 1; i >= 0; i--) {
      const e = written[i] as Entry;
      if (this.term(e.index) === e.term) {
        if (e.index > this.stable) this.stable = e.index;
        return;
      }
    }
  }

  /** Drops entries up to and including `index` (they are covered by a snapshot). */
  compact(index: number): void {
    if (index <= this.offsetIndex) return;
    invariant(index <= this.stable, () => `compact to ${index} beyond durable ${this.stable}`);
    const term = this.term(index) as number;
    this.entries = this.entries.slice(index - this.offsetIndex);
    this.offsetIndex = index;
    this.offsetTerm = term;
  }

  /** Discards the whole log in favour of a snapshot ending at (index, term). */
  restore(index: number, term: number): void {
    this.entries = [];
    this.offsetIndex = index;
    this.offsetTerm = term;
    this.stable = index;
    this.handedToWrite = index;
  }

  /** Largest index <= `index` whose term is <= `term` (for fast backtracking). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.offsetIndex) {
      const t = this.term(i) as number;
      if (t <= term) return i;
      i--;
    }
    return this.offsetIndex;
  }

  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }
}
