// Watchers for blocking queries: woken by commits on the tables they watch (no polling), and
// always bounded by their own timeout.
import type { TableName } from './reader.js';

/** Longest wait a caller may ask for (Nomad caps blocking queries at 10 minutes). */
export const MAX_WAIT_MS = 10 * 60 * 1000;

interface TableWaiter {
  tables: readonly TableName[];
  wake: () => void;
}

interface IndexWaiter {
  index: number;
  wake: () => void;
}

export class Watchers {
  private readonly byTable = new Map<TableName, Set<TableWaiter>>();
  private readonly byIndex = new Set<IndexWaiter>();

  /** Registers a waiter on tables; returns the function that unregisters it. */
  addTableWaiter(tables: readonly TableName[], wake: () => void): () => void {
    const w: TableWaiter = { tables, wake };
    for (const t of tables) {
      let set = this.byTable.get(t);
      if (set === undefined) {
        set = new Set();
        this.byTable.set(t, set);
      }
      set.add(w);
    }
    return () => {
      for (const t of w.tables) this.byTable.get(t)?.delete(w);
    };
  }

  addIndexWaiter(index: number, wake: () => void): () => void {
    const w: IndexWaiter = { index, wake };
    this.byIndex.add(w);
    return () => {
      this.byIndex.delete(w);
    };
  }

  /** Wakes the waiters of the changed tables and those waiting for an index now reached. */
  notify(changed: Iterable<TableName>, latestIndex: number): void {
    const toWake = new Set<TableWaiter>();
    for (const t of changed) for (const w of this.byTable.get(t) ?? []) toWake.add(w);
    const everyTable = this.byTable.get('index');
    if (everyTable !== undefined) for (const w of everyTable) toWake.add(w);
    for (const w of toWake) w.wake();
    for (const w of [...this.byIndex]) if (latestIndex >= w.index) w.wake();
  }

  /** Wakes every waiter (after a restore replaced the whole state). */
  notifyAll(latestIndex: number): void {
    const all = new Set<TableWaiter>();
    for (const set of this.byTable.values()) for (const w of set) all.add(w);
    for (const w of all) w.wake();
    for (const w of [...this.byIndex]) if (latestIndex >= w.index) w.wake();
  }

  /** How many waiters are registered (for metrics and tests). */
  count(): number {
    const all = new Set<TableWaiter>();
    for (const set of this.byTable.values()) for (const w of set) all.add(w);
    return all.size + this.byIndex.size;
  }
}
