// The eval broker: the leader's queue of evaluations waiting for a scheduling worker.
// Highest priority first, then first-in first-out. Delivery is at least once: a dequeued eval
// must be acked before its nack timeout or it is handed out again, and after `deliveryLimit`
// deliveries it is given up (the server marks it failed). One eval per job is ready or in
// flight at a time; later evals for the same job wait behind it, so two workers never plan the
// same job against each other.
import type { Evaluation } from '../structs/evaluation.js';
import { NomadError } from '../structs/errors.js';
import { type Clock, type Random, type TimerHandle, systemClock, systemRandom } from '../structs/clock.js';
import { Heap } from './heap.js';
import { jobKey } from './eval-factory.js';

export interface EvalBrokerOptions {
  /** How long a worker may hold an eval without acking before it is redelivered. */
  nackTimeoutMs: number;
  /** Deliveries after which an eval is failed instead of redelivered. */
  deliveryLimit: number;
  /** Delay before the first redelivery after a nack, and before the later ones. */
  initialNackDelayMs: number;
  subsequentNackDelayMs: number;
  /** Bound on workers parked in dequeue at once. */
  maxWaitingDequeues: number;
  /** Called once an eval reached the delivery limit; the server writes its failure. */
  onFailed: (ev: Evaluation) => void;
  clock: Clock;
  random: Random;
}

export const defaultEvalBrokerOptions: EvalBrokerOptions = {
  nackTimeoutMs: 60_000,
  deliveryLimit: 3,
  initialNackDelayMs: 1_000,
  subsequentNackDelayMs: 20_000,
  maxWaitingDequeues: 1_024,
  onFailed: () => {},
  clock: systemClock,
  random: systemRandom,
};

interface ReadyItem {
  ev: Evaluation;
  seq: number;
}

interface Unacked {
  ev: Evaluation;
  token: string;
  timer: TimerHandle;
}

interface Waiter {
  types: Set<string>;
  resolve: (r: { eval: Evaluation; token: string } | null) => void;
  timer: TimerHandle;
}

export interface EvalBrokerStats {
  totalReady: number;
  totalUnacked: number;
  /** Evals waiting behind another eval of the same job. */
  totalPending: number;
  /** Evals waiting for their WaitUntil or for a nack delay. */
  totalWaiting: number;
  byScheduler: Record<string, { ready: number; unacked: number }>;
}

const readyLess = (a: ReadyItem, b: ReadyItem): boolean => (a.ev.Priority !== b.ev.Priority ? a.ev.Priority > b.ev.Priority : a.seq < b.seq);

export class EvalBroker {
  private readonly opts: EvalBrokerOptions;
  private enabled = false;
  private seq = 0;
  /** Every eval the broker holds, with its delivery count. */
  private readonly tracked = new Map<string, number>();
  /** The eval that owns each job's slot (ready, in flight or in a nack delay). */
  private readonly jobSlot = new Map<string, string>();
  private readonly pendingByJob = new Map<string, Heap<ReadyItem>>();
  private readonly ready = new Map<string, Heap<ReadyItem>>();
  private readonly unacked = new Map<string, Unacked>();
  private readonly delayed = new Heap<{ ev: Evaluation; atMs: number }>((a, b) => a.atMs < b.atMs);
  private delayTimer: TimerHandle | null = null;
  private readonly nackDelays = new Map<string, TimerHandle>();
  /** Newer versions of evals written while a worker held them: handed out again once acked. */
  private readonly requeue = new Map<string, Evaluation>();
  private waiters: Waiter[] = [];

  constructor(opts: Partial<EvalBrokerOptions> = {}) {
    this.opts = { ...defaultEvalBrokerOptions, ...opts };
  }

  setEnabled(on: boolean): void {
    if (this.enabled === on) return;
    this.enabled = on;
    if (!on) this.flush();
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * Adds an eval; ignored when already held (the same eval may be seen twice after a restore). A
   * newer version of an eval a worker holds (it was blocked again and must run again) waits for
   * that delivery's ack, then goes out again.
   */
  enqueue(ev: Evaluation): void {
    if (!this.enabled) return;
    const held = this.unacked.get(ev.ID);
    if (held && ev.ModifyIndex > held.ev.ModifyIndex) this.requeue.set(ev.ID, ev);
    if (this.tracked.has(ev.ID)) return;
    this.tracked.set(ev.ID, 0);
    const atMs = this.readyAtMs(ev);
    if (atMs > this.opts.clock.nowMs()) {
      this.delayed.push({ ev, atMs });
      this.armDelayTimer();
      return;
    }
    this.admit(ev);
  }

  /**
   * Hands out the best ready eval among the scheduler types asked for, waiting up to timeoutMs.
   * Resolves null on timeout or when the broker is disabled.
   */
  dequeue(types: string[], timeoutMs: number): Promise<{ eval: Evaluation; token: string } | null> {
    if (!this.enabled) return Promise.resolve(null);
    const typeSet = new Set(types);
    const got = this.takeReady(typeSet);
    if (got) return Promise.resolve(got);
    if (this.waiters.length >= this.opts.maxWaitingDequeues) {
      return Promise.reject(new NomadError('unavailable', `eval broker: too many waiting dequeues (limit ${this.opts.maxWaitingDequeues})`));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        types: typeSet,
        resolve,
        timer: this.opts.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(null);
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.push(waiter);
    });
  }

  ack(evalId: string, token: string): void {
    const u = this.checkToken(evalId, token);
    this.opts.clock.clearTimeout(u.timer);
    this.unacked.delete(evalId);
    this.tracked.delete(evalId);
    this.releaseSlot(u.ev);
    const again = this.requeue.get(evalId);
    if (again) {
      this.requeue.delete(evalId);
      this.enqueue(again);
    }
  }

  nack(evalId: string, token: string): void {
    const u = this.checkToken(evalId, token);
    this.opts.clock.clearTimeout(u.timer);
    this.unacked.delete(evalId);
    const newer = this.requeue.get(evalId);
    this.requeue.delete(evalId);
    this.redeliverOrFail(newer ?? u.ev);
  }

  /** Restarts the nack timer of an eval a worker is still busy with (e.g. waiting on a plan). */
  outstandingReset(evalId: string, token: string): void {
    const u = this.checkToken(evalId, token);
    this.opts.clock.clearTimeout(u.timer);
    u.timer = this.nackTimer(evalId, token);
  }

  /** The token of an eval in flight, or null: the plan applier refuses plans of stale tokens. */
  outstandingToken(evalId: string): string | null {
    return this.unacked.get(evalId)?.token ?? null;
  }

  stats(): EvalBrokerStats {
    const byScheduler: EvalBrokerStats['byScheduler'] = {};
    let totalReady = 0;
    for (const [type, heap] of this.ready) {
      totalReady += heap.size;
      byScheduler[type] = { ready: heap.size, unacked: 0 };
    }
    for (const u of this.unacked.values()) {
      const s = (byScheduler[u.ev.Type] ??= { ready: 0, unacked: 0 });
      s.unacked++;
    }
    let totalPending = 0;
    for (const h of this.pendingByJob.values()) totalPending += h.size;
    return {
      totalReady,
      totalUnacked: this.unacked.size,
      totalPending,
      totalWaiting: this.delayed.size + this.nackDelays.size,
      byScheduler,
    };
  }

  private readyAtMs(ev: Evaluation): number {
    if (ev.WaitUntil) {
      const t = Date.parse(ev.WaitUntil);
      if (Number.isFinite(t) && t > 0) return t;
    }
    if (ev.Wait > 0) return this.opts.clock.nowMs() + Math.ceil(ev.Wait / 1e6);
    return 0;
  }

  /** Puts an eval into its scheduler's ready queue, or behind the job's current eval. */
  private admit(ev: Evaluation): void {
    const key = jobKey(ev.Namespace, ev.JobID);
    const owner = this.jobSlot.get(key);
    if (owner !== undefined && owner !== ev.ID) {
      let h = this.pendingByJob.get(key);
      if (!h) this.pendingByJob.set(key, (h = new Heap(readyLess)));
      h.push({ ev, seq: this.seq++ });
      return;
    }
    this.jobSlot.set(key, ev.ID);
    this.pushReady(ev);
  }

  private pushReady(ev: Evaluation): void {
    // Hand straight to a parked worker when one wants this type: no queue round trip.
    const wi = this.waiters.findIndex((w) => w.types.has(ev.Type));
    if (wi >= 0) {
      const w = this.waiters[wi]!;
      this.waiters.splice(wi, 1);
      this.opts.clock.clearTimeout(w.timer);
      const got = this.deliver(ev);
      // The eval is the worker's now, but the worker starts on the loop's next turn: an eval
      // becomes ready while a write is applied, and the scheduler (on this thread) would
      // otherwise run before the write's caller is answered, adding its work to every
      // registration's latency. A flush meanwhile took the eval back: the worker gets nothing.
      this.opts.clock.defer(() => w.resolve(this.unacked.get(ev.ID)?.token === got.token ? got : null));
      return;
    }
    let h = this.ready.get(ev.Type);
    if (!h) this.ready.set(ev.Type, (h = new Heap(readyLess)));
    h.push({ ev, seq: this.seq++ });
  }

  private takeReady(types: Set<string>): { eval: Evaluation; token: string } | null {
    let best: Heap<ReadyItem> | null = null;
    for (const t of types) {
      const h = this.ready.get(t);
      const top = h?.peek();
      if (!top) continue;
      if (!best || readyLess(top, best.peek()!)) best = h!;
    }
    if (!best) return null;
    return this.deliver(best.pop()!.ev);
  }

  private deliver(ev: Evaluation): { eval: Evaluation; token: string } {
    const token = this.opts.random.uuid();
    this.tracked.set(ev.ID, (this.tracked.get(ev.ID) ?? 0) + 1);
    this.unacked.set(ev.ID, { ev, token, timer: this.nackTimer(ev.ID, token) });
    return { eval: ev, token };
  }

  private nackTimer(evalId: string, token: string): TimerHandle {
    const t = this.opts.clock.setTimeout(() => {
      const u = this.unacked.get(evalId);
      if (u && u.token === token) this.nack(evalId, token);
    }, this.opts.nackTimeoutMs);
    return t;
  }

  private redeliverOrFail(ev: Evaluation): void {
    const deliveries = this.tracked.get(ev.ID) ?? 0;
    if (deliveries >= this.opts.deliveryLimit) {
      this.tracked.delete(ev.ID);
      this.releaseSlot(ev);
      this.opts.onFailed(ev);
      return;
    }
    // The eval keeps its job's slot while it waits, so no other eval of the job overtakes it.
    const delayMs = deliveries <= 1 ? this.opts.initialNackDelayMs : this.opts.subsequentNackDelayMs;
    if (delayMs <= 0) {
      this.pushReady(ev);
      return;
    }
    const t = this.opts.clock.setTimeout(() => {
      this.nackDelays.delete(ev.ID);
      if (this.enabled) this.pushReady(ev);
    }, delayMs);
    this.nackDelays.set(ev.ID, t);
  }

  private releaseSlot(ev: Evaluation): void {
    const key = jobKey(ev.Namespace, ev.JobID);
    if (this.jobSlot.get(key) === ev.ID) this.jobSlot.delete(key);
    const h = this.pendingByJob.get(key);
    if (!h) return;
    const next = h.pop();
    if (h.size === 0) this.pendingByJob.delete(key);
    if (next) this.admit(next.ev);
  }

  private checkToken(evalId: string, token: string): Unacked {
    const u = this.unacked.get(evalId);
    if (!u) throw new NomadError('not_found', `Evaluation ID not found: ${evalId}`);
    if (u.token !== token) throw new NomadError('bad_request', `Token does not match for Evaluation ID: ${evalId}`);
    return u;
  }

  private armDelayTimer(): void {
    this.opts.clock.clearTimeout(this.delayTimer);
    const top = this.delayed.peek();
    if (!top) {
      this.delayTimer = null;
      return;
    }
    // The clock caps a delay near 24.8 days; a later WaitUntil is simply re-armed when this fires.
    const waitMs = Math.max(0, top.atMs - this.opts.clock.nowMs());
    this.delayTimer = this.opts.clock.setTimeout(() => this.releaseDelayed(), waitMs);
  }

  private releaseDelayed(): void {
    this.delayTimer = null;
    const now = this.opts.clock.nowMs();
    while (this.delayed.size > 0 && this.delayed.peek()!.atMs <= now) this.admit(this.delayed.pop()!.ev);
    this.armDelayTimer();
  }

  private flush(): void {
    const clock = this.opts.clock;
    for (const u of this.unacked.values()) clock.clearTimeout(u.timer);
    for (const t of this.nackDelays.values()) clock.clearTimeout(t);
    clock.clearTimeout(this.delayTimer);
    this.delayTimer = null;
    for (const w of this.waiters) {
      clock.clearTimeout(w.timer);
      w.resolve(null);
    }
    this.waiters = [];
    this.tracked.clear();
    this.jobSlot.clear();
    this.pendingByJob.clear();
    this.ready.clear();
    this.unacked.clear();
    this.delayed.clear();
    this.nackDelays.clear();
    this.requeue.clear();
  }
}
