// A server's disk in the simulation: the Raft log, stable store and snapshots. What a mounted
// store shows is what the process wrote; what survives a crash is what was synced: each write
// becomes durable only when its promise resolves, after a simulated fsync delay. A crash keeps
// the durable state plus, as a real disk may, a prefix of the writes still in flight (a torn
// log write keeps a prefix of its entries), and loses the rest.
import { invariant } from '../../../src/raft/invariant.js';
import type { SeededRng } from '../../../src/raft/rng.js';
import type { RaftStores } from '../../../src/raft/stores.js';
import { bufferingSink, openedSnapshot } from '../../../src/raft/storage/memory.js';
import type { LogStore, OpenedSnapshot, SnapshotSink, SnapshotStore, StableStore } from '../../../src/raft/storage/types.js';
import type { Entry, HardState, SnapshotMeta } from '../../../src/raft/types.js';
import type { HostLife } from './sim-loop.js';

interface LogImage {
  first: number;
  entries: Entry[];
}

interface SnapshotImage {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

interface DiskImage {
  log: LogImage;
  hardState: HardState;
  /** Newest first. */
  snapshots: SnapshotImage[];
}

export interface DiskLatency {
  minFsyncMs: number;
  maxFsyncMs: number;
  /**
   * A broken disk (for checking the checkers): a write reports itself synced at once though it
   * becomes durable only after the delay, so a crash loses writes the server was told were safe.
   */
  liesAboutSync?: boolean;
}

const SNAPSHOTS_RETAINED = 2;

function cloneImage(d: DiskImage): DiskImage {
  return { log: { first: d.log.first, entries: d.log.entries.slice() }, hardState: { ...d.hardState }, snapshots: d.snapshots.slice() };
}

/** A write in flight: how it changes an image, and (for log appends) how to keep only part of it. */
interface PendingWrite {
  apply(image: DiskImage): void;
  /** A torn version keeping a prefix (log appends); absent when the write is atomic. */
  torn?(rng: SeededRng): ((image: DiskImage) => void) | null;
}

/** The durable contents of one server's disk, across its lives. */
export class SimDisk {
  private durable: DiskImage = { log: { first: 1, entries: [] }, hardState: { term: 0, vote: null }, snapshots: [] };
  private mounted: DiskMount | null = null;
  syncedWrites = 0;
  lostWrites = 0;

  constructor(
    readonly name: string,
    private readonly rng: SeededRng,
    private readonly latency: DiskLatency,
  ) {}

  /** Opens the stores for a new life of the server (after a start or a crash). */
  mount(life: HostLife): RaftStores {
    invariant(this.mounted === null || !this.mounted.life.isAlive, `${this.name}: disk mounted twice`);
    this.mounted = new DiskMount(this, life, cloneImage(this.durable));
    return this.mounted.stores();
  }

  /** The process died: writes not yet synced are lost, except a prefix the disk happened to keep. */
  crash(): void {
    const m = this.mounted;
    if (!m) return;
    this.mounted = null;
    const pending = m.takePending();
    const kept = pending.length === 0 ? 0 : this.rng.nextInt(pending.length + 1);
    for (let i = 0; i < kept; i++) pending[i]!.apply(this.durable);
    const next = pending[kept];
    const torn = next?.torn?.(this.rng);
    if (torn) torn(this.durable);
    this.lostWrites += pending.length - kept;
  }

  /** A write reached the platter (called in order by the mount). */
  sync(w: PendingWrite): void {
    w.apply(this.durable);
    this.syncedWrites++;
  }

  get liesAboutSync(): boolean {
    return this.latency.liesAboutSync === true;
  }

  fsyncDelayMs(): number {
    const { minFsyncMs, maxFsyncMs } = this.latency;
    return minFsyncMs + this.rng.nextInt(Math.max(1, maxFsyncMs - minFsyncMs + 1));
  }

  /** The durable log's last index (for checks). */
  durableLastIndex(): number {
    return this.durable.log.first + this.durable.log.entries.length - 1;
  }
}

/** The stores one life of a server sees: reads show every write made, durability comes later. */
class DiskMount {
  private pending: Array<{ w: PendingWrite; resolve: () => void }> = [];

  constructor(
    private readonly disk: SimDisk,
    readonly life: HostLife,
    private readonly image: DiskImage,
  ) {}

  takePending(): PendingWrite[] {
    const p = this.pending.map((e) => e.w);
    this.pending = [];
    return p;
  }

  /** Applies a write to what this life sees and resolves once the disk has synced it. */
  write(w: PendingWrite): Promise<void> {
    if (!this.life.isAlive) return new Promise<void>(() => {});
    w.apply(this.image);
    return new Promise<void>((resolve) => {
      const entry = { w, resolve };
      this.pending.push(entry);
      if (this.disk.liesAboutSync) resolve();
      this.life.after(this.disk.fsyncDelayMs(), () => {
        // Writes sync in the order they were made: an fsync flushes everything before it.
        const at = this.pending.indexOf(entry);
        if (at < 0) return;
        const flushed = this.pending.splice(0, at + 1);
        for (const f of flushed) this.disk.sync(f.w);
        for (const f of flushed) f.resolve();
      });
    });
  }

  stores(): RaftStores {
    return { logStore: new SimLogStore(this, this.image), stableStore: new SimStableStore(this, this.image), snapshotStore: new SimSnapshotStore(this, this.image) };
  }
}

function lastOf(log: LogImage): number {
  return log.first + log.entries.length - 1;
}

function appendTo(log: LogImage, entries: readonly Entry[]): void {
  const from = entries[0]!.index;
  if (log.entries.length === 0 && from !== log.first) log.first = from;
  invariant(from >= log.first && from <= lastOf(log) + 1, `log write at ${from} outside [${log.first}, ${lastOf(log) + 1}]`);
  log.entries.length = from - log.first;
  for (const e of entries) log.entries.push(e);
}

class SimLogStore implements LogStore {
  constructor(
    private readonly mount: DiskMount,
    private readonly image: DiskImage,
  ) {}

  firstIndex(): number {
    return this.image.log.first;
  }

  lastIndex(): number {
    return lastOf(this.image.log);
  }

  storeEntries(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const copy = entries.slice();
    return this.mount.write({
      apply: (img) => appendTo(img.log, copy),
      torn: (rng) => {
        const keep = rng.nextInt(copy.length);
        return keep === 0 ? null : (img) => appendTo(img.log, copy.slice(0, keep));
      },
    });
  }

  async readRange(lo: number, hi: number): Promise<Entry[]> {
    const log = this.image.log;
    invariant(lo >= log.first && hi <= lastOf(log), `read [${lo}, ${hi}] outside [${log.first}, ${lastOf(log)}]`);
    return log.entries.slice(lo - log.first, hi - log.first + 1);
  }

  compactPrefix(index: number): Promise<void> {
    return this.mount.write({
      apply: (img) => {
        const n = Math.min(index - img.log.first + 1, img.log.entries.length);
        if (n <= 0) return;
        img.log.entries.splice(0, n);
        img.log.first += n;
      },
    });
  }

  reset(index: number): Promise<void> {
    return this.mount.write({
      apply: (img) => {
        img.log = { first: index + 1, entries: [] };
      },
    });
  }

  async close(): Promise<void> {}
}

class SimStableStore implements StableStore {
  constructor(
    private readonly mount: DiskMount,
    private readonly image: DiskImage,
  ) {}

  async load(): Promise<HardState> {
    return { ...this.image.hardState };
  }

  save(state: HardState): Promise<void> {
    const hs: HardState = state.restore ? { term: state.term, vote: state.vote, restore: state.restore } : { term: state.term, vote: state.vote };
    return this.mount.write({
      apply: (img) => {
        img.hardState = hs;
      },
    });
  }

  async close(): Promise<void> {}
}

class SimSnapshotStore implements SnapshotStore {
  constructor(
    private readonly mount: DiskMount,
    private readonly image: DiskImage,
  ) {}

  async create(meta: SnapshotMeta): Promise<SnapshotSink> {
    // Written to a temporary name and renamed once synced: a snapshot appears whole or not at all.
    return bufferingSink(meta, (data) =>
      this.mount.write({
        apply: (img) => {
          img.snapshots = [{ meta, data }, ...img.snapshots].sort((a, b) => b.meta.index - a.meta.index || b.meta.term - a.meta.term).slice(0, SNAPSHOTS_RETAINED);
        },
      }),
    );
  }

  async list(): Promise<SnapshotMeta[]> {
    return this.image.snapshots.map((s) => s.meta);
  }

  discardAbove(index: number): Promise<void> {
    return this.mount.write({
      apply: (img) => {
        img.snapshots = img.snapshots.filter((s) => s.meta.index <= index);
      },
    });
  }

  async openLatest(): Promise<OpenedSnapshot | null> {
    const s = this.image.snapshots[0];
    return s ? openedSnapshot(s.meta, s.data) : null;
  }

  async close(): Promise<void> {}
}

