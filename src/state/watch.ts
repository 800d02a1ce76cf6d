// Watchers for blocking queries: woken by commits that change the keys they watch (no polling),
// and always bounded by their own timeout.
//
// A commit does not wake key watchers itself: it queues them, and the queue is drained a bounded
// number per turn of the event loop. The writer's own continuation (answering the write) runs
// first, and I/O (other requests, health checks) gets its turn between batches, however many
// watchers one write concerns. Waiters for an index (a worker that needs the state to reach its
// eval's index) are internal and cheap, and are woken at once.
import type { ChangedKeys, WatchKey, WatchKind } from './watch-keys.js';

/** Longest wait a caller may ask for (Nomad caps blocking queries at 10 minutes). */
export const MAX_WAIT_MS = 10 * 60 * 1000;

/**
 * Key watchers woken per turn of the event loop. A woken HTTP read only queues itself for the
 * HTTP layer's budgeted work queue, so a wake-up is cheap; the bound keeps one turn short all the same.
 */
export const DEFAULT_WAKES_PER_TURN = 64;

export interface WatchersOptions {
  wakesPerTurn?: number;
  /** Runs fn on a later turn of the event loop (the store passes its clock's defer). */
  schedule?: (fn: () => void) => void;
}

interface KeyWaiter {
  readonly keys: readonly WatchKey[];
  readonly wake: () => void;
  queued: boolean;
  removed: boolean;
}

interface IndexWaiter {
  index: number;
  wake: () => void;
}

export class Watchers {
  private readonly byKey = new Map<WatchKind, Map<string, Set<KeyWaiter>>>();
  private readonly byIndex = new Set<IndexWaiter>();
  private readonly wakeQueue: KeyWaiter[] = [];
  private wakeHead = 0;
  private drainScheduled = false;
  private keyWaiters = 0;
  private readonly wakesPerTurn: number;
  private readonly schedule: (fn: () => void) => void;

  constructor(opts: WatchersOptions = {}) {
    this.wakesPerTurn = Math.max(1, opts.wakesPerTurn ?? DEFAULT_WAKES_PER_TURN);
    this.schedule = opts.schedule ?? ((fn) => void setImmediate(fn));
  }

  /** Registers a waiter on keys; returns the function that unregisters it. */
  addKeyWaiter(keys: readonly WatchKey[], wake: () => void): () => void {
    const w: KeyWaiter = { keys, wake, queued: false, removed: false };
    for (const k of keys) {
      let ids = this.byKey.get(k.kind);
      if (ids === undefined) {
        ids = new Map();
        this.byKey.set(k.kind, ids);
      }
      let set = ids.get(k.id);
      if (set === undefined) {
        set = new Set();
        ids.set(k.id, set);
      }
      set.add(w);
    }
    this.keyWaiters++;
    return () => {
      if (w.removed) return;
      w.removed = true;
      this.keyWaiters--;
      for (const k of w.keys) {
        const ids = this.byKey.get(k.kind);
        const set = ids?.get(k.id);
        if (set === undefined) continue;
        set.delete(w);
        if (set.size === 0) ids!.delete(k.id);
      }
    };
  }

  addIndexWaiter(index: number, wake: () => void): () => void {
    const w: IndexWaiter = { index, wake };
    this.byIndex.add(w);
    return () => {
      this.byIndex.delete(w);
    };
  }

  /** Queues the waiters of the changed keys and wakes those waiting for an index now reached. */
  notify(changed: ChangedKeys, latestIndex: number): void {
    for (const [kind, ids] of changed) {
      const waiting = this.byKey.get(kind);
      if (waiting === undefined || waiting.size === 0) continue;
      for (const id of ids) {
        const set = waiting.get(id);
        if (set !== undefined) for (const w of set) this.enqueue(w);
      }
    }
    this.wakeIndexWaiters(latestIndex);
  }

  /** Queues every waiter (after a restore replaced the whole state). */
  notifyAll(latestIndex: number): void {
    for (const ids of this.byKey.values()) for (const set of ids.values()) for (const w of set) this.enqueue(w);
    this.wakeIndexWaiters(latestIndex);
  }

  /** How many waiters are registered (for metrics and tests). */
  count(): number {
    return this.keyWaiters + this.byIndex.size;
  }

  /** How many waiters watch one key. */
  countOn(key: WatchKey): number {
    return this.byKey.get(key.kind)?.get(key.id)?.size ?? 0;
  }

  /** Waiters queued to be woken and not yet woken. */
  queuedCount(): number {
    return this.wakeQueue.length - this.wakeHead;
  }

  private wakeIndexWaiters(latestIndex: number): void {
    if (this.byIndex.size === 0) return;
    for (const w of [...this.byIndex]) if (latestIndex >= w.index) w.wake();
  }

  private enqueue(w: KeyWaiter): void {
    if (w.queued || w.removed) return;
    w.queued = true;
    this.wakeQueue.push(w);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      this.schedule(() => this.drain());
    }
  }

  private drain(): void {
    this.drainScheduled = false;
    const end = Math.min(this.wakeQueue.length, this.wakeHead + this.wakesPerTurn);
    for (; this.wakeHead < end; this.wakeHead++) {
      const w = this.wakeQueue[this.wakeHead]!;
      w.queued = false;
      if (!w.removed) w.wake();
    }
    if (this.wakeHead >= this.wakeQueue.length) {
      this.wakeQueue.length = 0;
      this.wakeHead = 0;
    } else if (!this.drainScheduled) {
      this.drainScheduled = true;
      this.schedule(() => this.drain());
    }
  }
}
