// The state store: the cluster state in persistent (structurally shared) sorted maps. A snapshot
// is O(1) and stays consistent while writes go on; writes happen in transactions that either
// commit whole or leave the store untouched; blocking queries wait on per-table watchers.
import { type Clock, systemClock } from '../structs/clock.js';
import { NomadError } from '../structs/errors.js';
import type { StateReader, StateStoreView, TableName } from './reader.js';
import { StoreSnapshot } from './store-reader.js';
import { WriteTxn } from './store-txn.js';
import { emptyTables, TABLE_NAMES, type Tables } from './tables.js';
import { MAX_WAIT_MS, Watchers } from './watch.js';

export interface StateStoreOptions {
  /** Deep-freeze every stored object (tests, debug): a reader that mutates one then throws. */
  freezeObjects?: boolean;
  /** Times the bounds of blocking waits (a simulation passes its own). */
  clock?: Clock;
}

function clampWaitMs(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return 0;
  return Math.min(timeoutMs, MAX_WAIT_MS);
}

export class StateStore implements StateStoreView {
  private tables: Tables = emptyTables();
  private readonly watchers = new Watchers();
  private readonly freezeObjects: boolean;
  private writing = false;
  private readonly clock: Clock;

  constructor(options: StateStoreOptions = {}) {
    this.freezeObjects = options.freezeObjects ?? false;
    this.clock = options.clock ?? systemClock;
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
      this.watchers.notify(txn.touched, this.tables.latestIndex);
    }
    return result;
  }

  /** Replaces the whole state (snapshot restore) and wakes every watcher. */
  replace(tables: Tables): void {
    this.tables = tables;
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
    for (const t of tables) {
      if (!TABLE_NAMES.includes(t)) return Promise.reject(new NomadError('internal', `state store: unknown table "${t}"`));
    }
    const changed = (): boolean => tables.some((t) => this.tableIndex(t) > minIndex);
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
      // Woken by a commit on one of the tables; the check keeps a restore to an older state
      // from ending the wait early.
      const unregister = this.watchers.addTableWaiter(tables, () => {
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
}
