// In-memory stores for dev mode, tests and benchmarks of the protocol alone.
import { concatBytes } from '../bytes.js';
import { invariant } from '../invariant.js';
import type { Entry, HardState, SnapshotMeta } from '../types.js';
import type { LogStore, OpenedSnapshot, SnapshotSink, SnapshotStore, StableStore } from './types.js';

export class MemLogStore implements LogStore {
  private entries: Entry[] = [];
  private first = 1;

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.first + this.entries.length - 1;
  }

  async storeEntries(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const from = (entries[0] as Entry).index;
    if (this.entries.length === 0 && from !== this.first) {
      this.first = from;
    }
    invariant(from >= this.first && from <= this.lastIndex() + 1, `store at ${from} outside [${this.first}, ${this.lastIndex() + 1}]`);
    this.entries.length = from - this.first;
    for (const e of entries) this.entries.push(e);
  }

  async readRange(lo: number, hi: number): Promise<Entry[]> {
    invariant(lo >= this.first && hi <= this.lastIndex(), `read [${lo}, ${hi}] outside [${this.first}, ${this.lastIndex()}]`);
    return this.entries.slice(lo - this.first, hi - this.first + 1);
  }

  async compactPrefix(index: number): Promise<void> {
    const n = Math.min(index - this.first + 1, this.entries.length);
    if (n <= 0) return;
    this.entries.splice(0, n);
    this.first += n;
  }

  async reset(index: number): Promise<void> {
    this.entries = [];
    this.first = index + 1;
  }

  async close(): Promise<void> {}
}

export class MemStableStore implements StableStore {
  private state: HardState = { term: 0, vote: null };

  async load(): Promise<HardState> {
    return this.state;
  }

  async save(state: HardState): Promise<void> {
    this.state = state.restore ? { term: state.term, vote: state.vote, restore: state.restore } : { term: state.term, vote: state.vote };
  }

  async close(): Promise<void> {}
}

/** A sink that gathers a snapshot's chunks in memory and hands over the whole on commit. */
export function bufferingSink(meta: SnapshotMeta, keep: (data: Uint8Array) => Promise<void>): SnapshotSink {
  const chunks: Uint8Array[] = [];
  let done = false;
  return {
    write: async (chunk) => {
      invariant(!done, 'write to a finished snapshot');
      chunks.push(chunk.slice());
    },
    commit: async () => {
      invariant(!done, 'snapshot committed twice');
      done = true;
      await keep(concatBytes(chunks));
      return meta;
    },
    cancel: async () => {
      done = true;
    },
  };
}

/** A snapshot held in memory, opened for reading. */
export function openedSnapshot(meta: SnapshotMeta, data: Uint8Array): OpenedSnapshot {
  return {
    meta,
    sizeBytes: data.length,
    chunks: async function* () {
      yield data;
    },
    readAll: async () => data,
  };
}

interface MemSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export class MemSnapshotStore implements SnapshotStore {
  private snapshots: MemSnapshot[] = [];

  constructor(private readonly retain = 2) {
    invariant(retain >= 1, 'retain at least one snapshot');
  }

  async create(meta: SnapshotMeta): Promise<SnapshotSink> {
    return bufferingSink(meta, async (data) => {
      this.snapshots.push({ meta, data });
      this.snapshots.sort((a, b) => b.meta.index - a.meta.index || b.meta.term - a.meta.term);
      this.snapshots.length = Math.min(this.snapshots.length, this.retain);
    });
  }

  async list(): Promise<SnapshotMeta[]> {
    return this.snapshots.map((s) => s.meta);
  }

  async discardAbove(index: number): Promise<void> {
    this.snapshots = this.snapshots.filter((s) => s.meta.index <= index);
  }

  async openLatest(): Promise<OpenedSnapshot | null> {
    const s = this.snapshots[0];
    return s ? openedSnapshot(s.meta, s.data) : null;
  }

  async close(): Promise<void> {}
}
