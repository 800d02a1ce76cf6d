// Rumors waiting to be piggybacked on outgoing packets. Each is sent a bounded number of times
// (the caller passes retransmitMult * ceil(log10(n + 1))); a newer rumor about the same member
// replaces the older one, since only the newest state matters.

export interface Broadcast {
  readonly key: string;
  readonly bytes: Uint8Array;
  transmits: number;
  readonly id: number;
  readonly onDone: ((sent: boolean) => void) | undefined;
}

export class BroadcastQueue {
  private readonly byKey = new Map<string, Broadcast>();
  private nextId = 0;
  /** Rumors dropped because the queue was full or because they were replaced before being sent. */
  droppedCount = 0;

  constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be >= 1');
  }

  get size(): number {
    return this.byKey.size;
  }

  /** `onDone(true)` fires once the rumor reached its retransmit limit, `onDone(false)` if dropped. */
  enqueue(key: string, bytes: Uint8Array, onDone?: (sent: boolean) => void): void {
    const old = this.byKey.get(key);
    if (old !== undefined) {
      this.byKey.delete(key);
      old.onDone?.(old.transmits > 0);
      if (old.transmits === 0) this.droppedCount++;
    }
    this.byKey.set(key, { key, bytes, transmits: 0, id: this.nextId++, onDone });
    if (this.byKey.size > this.maxEntries) this.evictOne();
  }

  /**
   * Picks rumors that fit in `limitBytes`, counting `overheadBytes` per rumor, fewest transmits
   * first and newest first among equals (fresh news spreads before old news is repeated).
   */
  take(overheadBytes: number, limitBytes: number, retransmitLimit: number): Uint8Array[] {
    if (this.byKey.size === 0 || limitBytes <= overheadBytes) return [];
    const all = [...this.byKey.values()].sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    const out: Uint8Array[] = [];
    let used = 0;
    for (const b of all) {
      const cost = overheadBytes + b.bytes.length;
      if (used + cost > limitBytes) continue;
      used += cost;
      out.push(b.bytes);
      b.transmits++;
      if (b.transmits >= retransmitLimit) {
        this.byKey.delete(b.key);
        b.onDone?.(true);
      }
      if (limitBytes - used <= overheadBytes) break;
    }
    return out;
  }

  clear(): void {
    for (const b of this.byKey.values()) b.onDone?.(false);
    this.byKey.clear();
  }

  /** Drops the most-repeated (then oldest) rumor: it has had the most chances to spread. */
  private evictOne(): void {
    let victim: Broadcast | undefined;
    for (const b of this.byKey.values()) {
      if (victim === undefined || b.transmits > victim.transmits || (b.transmits === victim.transmits && b.id < victim.id)) victim = b;
    }
    if (victim === undefined) return;
    this.byKey.delete(victim.key);
    this.droppedCount++;
    victim.onDone?.(false);
  }
}

export function retransmitLimit(retransmitMult: number, memberCount: number): number {
  return retransmitMult * Math.max(1, Math.ceil(Math.log10(memberCount + 1)));
}
