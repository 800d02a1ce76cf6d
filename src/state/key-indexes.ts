// The index at which each watch key last changed, so that a blocking query answers only when
// something it reads changed after the index the caller already has. Kept beside the latest
// state only (not in snapshots) and bounded: a key forgotten to make room, or one never written
// since a restore, reports the floor, an index at or above its last change. The floor errs on
// the side of answering (a caller may get an unchanged answer), never on the side of holding a
// changed one.
import { WATCH_KINDS, type ChangedKeys, type WatchKind } from './watch-keys.js';

/** Keys remembered per kind; beyond it the least recently changed are forgotten. */
export const DEFAULT_KEYS_PER_KIND = 16_384;

class KindIndexes {
  /** ID -> index of the last change, least recently changed first. */
  private readonly byId = new Map<string, number>();
  /** At or above the last change of every key not in byId. */
  floor = 0;

  constructor(private readonly maxKeys: number) {}

  get(id: string): number {
    return this.byId.get(id) ?? this.floor;
  }

  record(id: string, index: number): void {
    // Deleted first so that the map's order stays by last change: the oldest go first.
    this.byId.delete(id);
    this.byId.set(id, index);
    if (this.byId.size > this.maxKeys) {
      const [oldestId, oldestIndex] = this.byId.entries().next().value as [string, number];
      this.byId.delete(oldestId);
      if (oldestIndex > this.floor) this.floor = oldestIndex;
    }
  }

  reset(floor: number): void {
    this.byId.clear();
    this.floor = floor;
  }

  get size(): number {
    return this.byId.size;
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
