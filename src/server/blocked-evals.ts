// Blocked evaluations: evals whose allocations could not all be placed wait here until the
// cluster changes in a way that might let them fit (a node of an eligible class becomes ready,
// or allocations stop and free capacity). One blocked eval per job: a newer one replaces the
// older, which the server cancels.
import type { Evaluation } from '../structs/evaluation.js';
import { jobKey } from './eval-factory.js';

export interface BlockedEvalsOptions {
  /** Sends an unblocked eval to the broker. */
  enqueue: (ev: Evaluation) => void;
  /** Called with an eval made redundant by a newer blocked eval of the same job. */
  onDuplicate: (ev: Evaluation) => void;
  /** Bound on remembered unblock indexes (one per node class). */
  maxClasses?: number;
}

export interface BlockedStats {
  totalBlocked: number;
  totalEscaped: number;
}

export class BlockedEvals {
  private enabled = false;
  /** Evals that know which node classes they are eligible for. */
  private readonly captured = new Map<string, Evaluation>();
  /** Evals whose constraints escaped class computation: any change may help them. */
  private readonly escaped = new Map<string, Evaluation>();
  private readonly byJob = new Map<string, Evaluation>();
  /** Last index at which capacity appeared for each node class ('' for unknown class). */
  private readonly unblockIndexes = new Map<string, number>();
  private readonly maxClasses: number;

  constructor(private readonly opts: BlockedEvalsOptions) {
    this.maxClasses = opts.maxClasses ?? 10_000;
  }

  setEnabled(on: boolean): void {
    if (this.enabled === on) return;
    this.enabled = on;
    if (!on) {
      this.captured.clear();
      this.escaped.clear();
      this.byJob.clear();
      this.unblockIndexes.clear();
    }
  }

  /** Tracks a blocked eval (also used to re-block one the scheduler could still not place). */
  block(ev: Evaluation): void {
    if (!this.enabled) return;
    const key = jobKey(ev.Namespace, ev.JobID);
    const existing = this.byJob.get(key);
    if (existing && existing.ID !== ev.ID) {
      if (existing.CreateIndex > ev.CreateIndex) {
        this.opts.onDuplicate(ev);
        return;
      }
      this.remove(existing);
      this.opts.onDuplicate(existing);
    } else if (existing) {
      this.remove(existing);
    }
    // Capacity may have appeared after the scheduler's snapshot: unblock at once if so.
    if (this.missedUnblock(ev)) {
      this.opts.enqueue(ev);
      return;
    }
    this.byJob.set(key, ev);
    if (isEscaped(ev)) this.escaped.set(ev.ID, ev);
    else this.captured.set(ev.ID, ev);
  }

  /** Capacity appeared on nodes of `computedClass` at `index`: release the evals it may help. */
  unblock(computedClass: string, index: number): void {
    if (!this.enabled) return;
    this.noteUnblock(computedClass, index);
    const released: Evaluation[] = [...this.escaped.values()];
    for (const ev of this.captured.values()) {
      if (ev.ClassEligibility?.[computedClass] !== false) released.push(ev);
    }
    for (const ev of released) {
      this.remove(ev);
      this.opts.enqueue(ev);
    }
  }

  /** Forgets the blocked eval of a job (the job was updated, stopped, or placed fully). */
  untrack(namespace: string, jobId: string): void {
    const ev = this.byJob.get(jobKey(namespace, jobId));
    if (ev) this.remove(ev);
  }

  has(evalId: string): boolean {
    return this.captured.has(evalId) || this.escaped.has(evalId);
  }

  stats(): BlockedStats {
    return { totalBlocked: this.captured.size + this.escaped.size, totalEscaped: this.escaped.size };
  }

  /** The evals blocked now (for the resources they wait for, published as metrics). */
  evals(): Evaluation[] {
    return [...this.captured.values(), ...this.escaped.values()];
  }

  private remove(ev: Evaluation): void {
    this.captured.delete(ev.ID);
    this.escaped.delete(ev.ID);
    const key = jobKey(ev.Namespace, ev.JobID);
    if (this.byJob.get(key)?.ID === ev.ID) this.byJob.delete(key);
  }

  private missedUnblock(ev: Evaluation): boolean {
    for (const [cls, index] of this.unblockIndexes) {
      if (index <= ev.SnapshotIndex) continue;
      if (isEscaped(ev) || ev.ClassEligibility?.[cls] !== false) return true;
    }
    return false;
  }

  private noteUnblock(cls: string, index: number): void {
    this.unblockIndexes.delete(cls); // re-insert so the map's order is oldest-first
    this.unblockIndexes.set(cls, index);
    while (this.unblockIndexes.size > this.maxClasses) {
      const oldest = this.unblockIndexes.keys().next().value as string;
      this.unblockIndexes.delete(oldest);
    }
  }
}

function isEscaped(ev: Evaluation): boolean {
  return ev.EscapedComputedClass || ev.ClassEligibility === null || Object.keys(ev.ClassEligibility).length === 0;
}
