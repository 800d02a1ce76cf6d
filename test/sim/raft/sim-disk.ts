// A node's durable state in the simulation: what survives a crash. Writes
// arrive whole or, when the node crashes mid-write, as a prefix of the steps
// the real driver performs in order (snapshot, log reset, hard state, entries).
import type { CoreRestore } from '../../../src/raft/core.js';
import { invariant } from '../../../src/raft/invariant.js';
import type { Entry, HardState, SnapshotMeta } from '../../../src/raft/types.js';
import { chainDigest, entryDigest } from './digest.js';

export interface SimSnapshot {
  readonly meta: SnapshotMeta;
  readonly kv: readonly [string, string][];
  /** Chain digest of the log prefix the snapshot covers. */
  readonly chain: number;
}

export type DurableEntryListener = (index: number, term: number, chain: number) => void;

export class SimDisk {
  hardState: HardState = { term: 0, vote: null };
  /** Newest first; two are kept, as the real store's default retention. */
  private snapshots: SimSnapshot[] = [];
  private entries: Entry[] = [];
  private chains: number[] = [];
  /** Index of entries[0]; the chain value before it is baseChain. */
  private first = 1;
  private baseChain = 0;
  private baseTerm = 0;

  constructor(private readonly onDurable: DurableEntryListener) {}

  lastIndex(): number {
    return this.first + this.entries.length - 1;
  }

  term(index: number): number | undefined {
    if (index === this.first - 1) return this.baseTerm;
    return this.entries[index - this.first]?.term;
  }

  chainAt(index: number): number {
    if (index === this.first - 1) return this.baseChain;
    const c = this.chains[index - this.first];
    invariant(c !== undefined, `no chain digest at ${index}`);
    return c;
  }

  writeEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const from = (entries[0] as Entry).index;
    invariant(from >= this.first && from <= this.lastIndex() + 1, `disk write at ${from} outside [${this.first}, ${this.lastIndex() + 1}]`);
    this.entries.length = from - this.first;
    this.chains.length = from - this.first;
    let chain = this.chainAt(from - 1);
    for (const e of entries) {
      chain = chainDigest(chain, e.index, entryDigest(e));
      this.entries.push(e);
      this.chains.push(chain);
      this.onDurable(e.index, e.term, chain);
    }
  }

  get snapshot(): SimSnapshot | null {
    return this.snapshots[0] ?? null;
  }

  installSnapshot(snap: SimSnapshot): void {
    this.snapshots = [snap, ...this.snapshots.filter((s) => s.meta.index < snap.meta.index)].slice(0, 2);
  }

  discardAbove(index: number): void {
    this.snapshots = this.snapshots.filter((s) => s.meta.index <= index);
  }

  resetLog(snap: SimSnapshot): void {
    this.entries = [];
    this.chains = [];
    this.first = snap.meta.index + 1;
    this.baseChain = snap.chain;
    this.baseTerm = snap.meta.term;
  }

  compact(toIndex: number): void {
    if (toIndex < this.first) return;
    const n = Math.min(toIndex - this.first + 1, this.entries.length);
    this.baseChain = this.chainAt(this.first + n - 1);
    this.baseTerm = this.term(this.first + n - 1) as number;
    this.entries.splice(0, n);
    this.chains.splice(0, n);
    this.first += n;
  }

  /** What a restarting node reads back; keeps the log only where it continues the snapshot. */
  recover(): CoreRestore {
    const snap = this.snapshot;
    if (snap) {
      const idx = snap.meta.index;
      if (this.term(idx) === snap.meta.term) {
        this.compact(idx);
      } else {
        this.resetLog(snap);
      }
    } else {
      invariant(this.first === 1, 'log without a snapshot must start at 1');
    }
    return { hardState: this.hardState, snapshot: snap ? snap.meta : null, entries: this.entries.slice() };
  }
}
