// The index at which each watch key last changed, so that a blocking query answers only when
// something it reads changed after the index the caller already has. Kept beside the latest
// state only (not in snapshots) and bounded: a key forgotten to make room, or one never written
// since a restore, reports the floor, an index at or above its last change. The floor errs on
// the side of answering (a caller may get an unchanged answer), never on the side of holding a
// changed one.
import { WATCH_KINDS, type ChangedKeys, type WatchKind } from './watch-keys.js';

/** Keys remembered per kind in each of the two generations kept. */
export const DEFAULT_KEYS_PER_KIND = 16_384;

/**
 * Two generations of keys: a full current generation becomes the previous one and the previous
 * one is forgotten, its highest index becoming the floor. Every write is a plain Map set (a
 * least-recently-changed order would cost a delete per write and an eviction that walks the
 * map's holes, microseconds per key in a plan of thousands of evaluations or allocations).
 */
class KindIndexes {
  private current = new Map<string, number>();
  private currentMax = 0;
  private previous = new Map<string, number>();
  private previousMax = 0;
  /** At or above the last change of every key in neither generation. */
  floor = 0;

  constructor(private readonly maxKeys: number) {}

  get(id: string): number {
    return this.current.get(id) ?? this.previous.get(id) ?? this.floor;
  }

  record(id: string, index: number): void {
    this.current.set(id, index);
    if (index > this.currentMax) this.currentMax = index;
    if (this.current.size >= this.maxKeys) {
      if (this.previousMax > this.floor) this.floor = this.previousMax;
      this.previous = this.current;
      this.previousMax = this.currentMax;
      this.current = new Map();
      this.currentMax = 0;
    }
  }

  reset(floor: number): void {
    this.current = new Map();
    this.previous = new Map();
    this.currentMax = 0;
    this.previousMax = 0;
    this.floor = floor;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

export class KeyIndexes {
  private readonly kinds: ReadonlyMap<WatchKind, KindIndexes>;

  constructor(maxKeysPerKind = DEFAULT_KEYS_PER_KIND) {
    // Every kind exists from the start, so that a reset's floor covers kinds not yet written.
    this.kinds = new Map(WATCH_KINDS.map((kind) => [kind, new KindIndexes(maxKeysPerKind)]));
  }

  /** The index at which the key last changed (or the floor of its kind). */
  get(kind: WatchKind, id: string): number {
    return this.kinds.get(kind)!.get(id);
  }

  /** Notes the keys a write at `index` changed. */
  record(changed: ChangedKeys, index: number): void {
    for (const [kind, ids] of changed) {
      const k = this.kinds.get(kind)!;
      for (const id of ids) k.record(id, index);
    }
  }

  /** After the whole state was replaced: every key may have changed up to `latestIndex`. */
  reset(latestIndex: number): void {
    for (const k of this.kinds.values()) k.reset(latestIndex);
  }

  /** Remembered keys (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const k of this.kinds.values()) n += k.size;
    return n;
  }
}
