// The leader's view of one follower's replication, in the style of etcd's
// progress tracker: probe (one append in flight until answered), replicate
// (pipelined appends up to a bound), snapshot (waiting for an install).
import { invariant } from './invariant.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Bounded window of in-flight appends, each recorded by its last index. */
export class Inflights {
  private readonly lastIndexes: number[] = [];

  constructor(readonly capacity: number) {
    invariant(capacity > 0, 'inflight capacity must be positive');
  }

  add(lastIndex: number): void {
    invariant(!this.full(), 'inflight window overflow');
    this.lastIndexes.push(lastIndex);
  }

  freeLE(index: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && (this.lastIndexes[n] as number) <= index) n++;
    if (n > 0) this.lastIndexes.splice(0, n);
  }

  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is out and unanswered. */
  probeSent = false;
  pendingSnapshotIndex = 0;
  snapshotElapsedTicks = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Highest heartbeat round acknowledged (ReadIndex). */
  ackedSeq = 0;
  readonly inflights: Inflights;

  constructor(nextIndex: number, maxInflight: number) {
    this.next = nextIndex;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshotIndex + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshotIndex = 0;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.pendingSnapshotIndex = 0;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = 'snapshot';
    this.pendingSnapshotIndex = snapshotIndex;
    this.snapshotElapsedTicks = 0;
    this.inflights.reset();
  }

  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      this.probeSent = false;
      updated = true;
    }
    if (this.next < index + 1) this.next = index + 1;
    return updated;
  }

  /** Handles a rejection; false when it is stale (answers an older append). */
  maybeDecrTo(rejectedIndex: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejectedIndex <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejectedIndex) return false;
    this.next = Math.max(Math.min(rejectedIndex, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
