// The state store: the cluster state in persistent (structurally shared) sorted maps. A snapshot
// is O(1) and stays consistent while writes go on; writes happen in transactions that either
// commit whole or leave the store untouched; blocking queries wait on watch keys (tables, objects,
// an owner's objects) and wake only for commits that change one of them.
import { type Clock, systemClock } from '../structs/clock.js';
import { NomadError } from '../structs/errors.js';
import type { StateReader, StateStoreView, TableName, WaitCancel } from './reader.js';
import { StoreSnapshot } from './store-reader.js';
import { WriteTxn } from './store-txn.js';
import { emptyTables, TABLE_NAMES, type Tables } from './tables.js';
import { KeyIndexes } from './key-indexes.js';
import { MAX_WAIT_MS, Watchers, type WatchersOptions } from './watch.js';
import { tableKeys, type WatchKey } from './watch-keys.js';

export interface StateStoreOptions {
  /** Deep-freeze every stored object (tests, debug): a reader that mutates one then throws. */
  freezeObjects?: boolean;
  /** How blocked readers are woken after a commit (batch size, scheduling). */
  watchers?: WatchersOptions;
  /** Watch keys whose last change is remembered, per kind. */
  keysPerKind?: number;
  /** Times the bounds of blocking waits (a simulation passes its own). */
  clock?: Clock;
}

function clampWaitMs(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return 0;
  return Math.min(timeoutMs, MAX_WAIT_MS);
}

export class StateStore implements StateStoreView {
  private tables: Tables = emptyTables();
  private readonly watchers: Watchers;
  private readonly keyIndexes: KeyIndexes;
  private readonly freezeObjects: boolean;
  private writing = false;
  private commits = 0;
  private readonly clock: Clock;

  constructor(options: StateStoreOptions = {}) {
    this.freezeObjects = options.freezeObjects ?? false;
    this.clock = options.clock ?? systemClock;
    // Woken readers run on the clock's next turn, so a simulation orders them like its timers.
    this.watchers = new Watchers({ schedule: (fn) => this.clock.defer(fn), ...options.watchers });
    this.keyIndexes = new KeyIndexes(options.keysPerKind);
  }

  snapshot(): StoreSnapshot {
    return new StoreSnapshot(this.tables);
  }

  latestIndex(): number {
    return this.tables.latestIndex;
  }

  tableIndex(table: TableName): number {
    return table === 'index' ? this.tables.latestIndex : this.tables.tableIndexes[table];
  }

  /** The index at which a watch key last changed (an upper bound for keys no longer remembered). */
  keyIndex(key: WatchKey): number {
    return key.kind === 'table' ? this.tableIndex(key.id as TableName) : this.keyIndexes.get(key.kind, key.id);
  }

  /** Commits and restores so far: anything derived from the state stays valid while this stays the same. */
  commitCount(): number {
    return this.commits;
  }

  /**
   * Runs fn in one write transaction at index. When fn throws, nothing it wrote is kept and the
   * error propagates; otherwise every touched table's index becomes `index` and watchers wake.
   */
  write<T>(index: number, fn: (txn: WriteTxn) => T): T {
    if (this.writing) throw new NomadError('internal', 'state store: nested write transaction');
    if (!Number.isSafeInteger(index) || index <= 0) {
      throw new NomadError('internal', `state store: write index must be a positive integer, got ${index}`);
    }
    if (index < this.tables.latestIndex) {
      throw new NomadError('internal', `state store: write at index ${index} is older than the latest index ${this.tables.latestIndex}`);
    }
    this.writing = true;
    let txn: WriteTxn;
    let result: T;
    try {
      txn = new WriteTxn(this.tables, index, this.freezeObjects);
      result = fn(txn);
    } finally {
      this.writing = false;
    }
    if (txn.touched.size > 0) {
      this.tables = txn.result(true);
      this.commits++;
      const changed = txn.changedKeys();
      this.keyIndexes.record(changed, index);
      this.watchers.notify(changed, this.tables.latestIndex);
    }
    return result;
  }

  /** Replaces the whole state (snapshot restore) and wakes every watcher. */
  replace(tables: Tables): void {
    this.tables = tables;
    this.commits++;
    this.keyIndexes.reset(tables.latestIndex);
    this.watchers.notifyAll(tables.latestIndex);
  }

  /** The current tables (for the FSM's snapshot encoding). */
  currentTables(): Tables {
    return this.tables;
  }

  get freezing(): boolean {
    return this.freezeObjects;
  }

  waitForChange(tables: TableName[], minIndex: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    return this.waitForKeys(tableKeys(tables), minIndex, timeoutMs, signal);
  }

  /** The highest index among the keys' last changes. */
  keysIndex(keys: readonly WatchKey[]): number {
    let idx = 0;
    for (const k of keys) idx = Math.max(idx, this.keyIndex(k));
    return idx;
  }

  waitForKeys(keys: readonly WatchKey[], minIndex: number, timeoutMs: number, signal?: WaitCancel): Promise<number> {
    for (const k of keys) {
      if (k.kind === 'table' && !TABLE_NAMES.includes(k.id as TableName)) {
        return Promise.reject(new NomadError('internal', `state store: unknown table "${k.id}"`));
      }
    }
    const changed = (): boolean => this.keysIndex(keys) > minIndex;
    if (changed() || signal?.aborted === true) return Promise.resolve(this.tables.latestIndex);
    return new Promise<number>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        unregister();
        signal?.removeEventListener('abort', finish);
        resolve(this.tables.latestIndex);
      };
      // Woken by a commit on one of the keys; the check keeps a restore to an older state from
      // ending the wait early.
      const unregister = this.watchers.addKeyWaiter(keys, () => {
        if (changed()) finish();
      });
      const timer = this.clock.setTimeout(finish, clampWaitMs(timeoutMs));
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  snapshotMinIndex(index: number, timeoutMs: number): Promise<StateReader> {
    if (this.tables.latestIndex >= index) return Promise.resolve(this.snapshot());
    const boundMs = clampWaitMs(timeoutMs);
    return new Promise<StateReader>((resolve, reject) => {
      const unregister = this.watchers.addIndexWaiter(index, () => {
        this.clock.clearTimeout(timer);
        unregister();
        resolve(this.snapshot());
      });
      const timer = this.clock.setTimeout(() => {
        unregister();
        reject(
          new NomadError(
            'unavailable',
            `timed out after ${boundMs}ms waiting for state index ${index} (latest ${this.tables.latestIndex})`,
          ),
        );
      }, boundMs);
    });
  }

  /** Registered blocking waiters (for metrics and tests). */
  waiterCount(): number {
    return this.watchers.count();
  }

  /** Blocking waiters on one key (for tests). */
  waiterCountOn(key: WatchKey): number {
    return this.watchers.countOn(key);
  }
}
