// The plan queue: plans from scheduling workers wait here, highest priority first, for the
// leader's single plan applier. Bounded: a full queue refuses the plan (the worker nacks).
import type { Plan, PlanResult } from '../structs/plan.js';
import { NomadError } from '../structs/errors.js';
import { type Clock, systemClock } from '../structs/clock.js';
import { Heap } from './heap.js';

export interface PendingPlan {
  plan: Plan;
  enqueuedAtMs: number;
  resolve: (r: PlanResult) => void;
  reject: (e: Error) => void;
  seq: number;
}

export class PlanQueue {
  private enabled = false;
  private seq = 0;
  private readonly heap = new Heap<PendingPlan>((a, b) => (a.plan.Priority !== b.plan.Priority ? a.plan.Priority > b.plan.Priority : a.seq < b.seq));
  private waiter: ((p: PendingPlan | null) => void) | null = null;

  constructor(
    private readonly maxPending = 10_000,
    private readonly clock: Clock = systemClock,
  ) {}

  setEnabled(on: boolean): void {
    if (this.enabled === on) return;
    this.enabled = on;
    if (!on) {
      for (const p of this.heap.values()) p.reject(new NomadError('no_leader', 'plan queue is disabled: this server stopped being leader'));
      this.heap.clear();
      this.waiter?.(null);
      this.waiter = null;
    }
  }

  get size(): number {
    return this.heap.size;
  }

  enqueue(plan: Plan): Promise<PlanResult> {
    if (!this.enabled) return Promise.reject(new NomadError('no_leader', 'plan queue is disabled: this server is not the leader'));
    if (this.heap.size >= this.maxPending) return Promise.reject(new NomadError('unavailable', `plan queue is full (${this.maxPending} plans)`));
    return new Promise((resolve, reject) => {
      const p: PendingPlan = { plan, enqueuedAtMs: this.clock.nowMs(), resolve, reject, seq: this.seq++ };
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(p);
      } else {
        this.heap.push(p);
      }
    });
  }

  /** The next plan, waiting up to timeoutMs; null on timeout or when disabled. One consumer only. */
  dequeue(timeoutMs: number): Promise<PendingPlan | null> {
    const p = this.heap.pop();
    if (p) return Promise.resolve(p);
    if (!this.enabled) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (got) => {
        this.clock.clearTimeout(timer);
        resolve(got);
      };
    });
  }
}
