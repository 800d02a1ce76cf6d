// A scheduling worker: takes an eval from the broker, waits until the local state has caught up
// with the eval, runs the job type's scheduler on a snapshot and acks (or nacks on error so that
// the broker redelivers, up to its limit).
import type { Evaluation } from '../structs/evaluation.js';
import type { Plan, PlanResult } from '../structs/plan.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateReader, StateStoreView } from '../state/reader.js';
import type { Planner } from '../scheduler/planner.js';
import { BackgroundLoop } from './background-loop.js';
import type { ApplyResult } from './consensus.js';
import type { EvalBroker } from './eval-broker.js';
import type { PlanQueue } from './plan-queue.js';
import type { Logger } from './logger.js';
import type { NewScheduler } from './lazy-modules.js';
import type { ServerEnv } from './eval-factory.js';

export const SCHEDULER_TYPES = ['service', 'batch', 'system', 'sysbatch'];

export interface WorkerDeps {
  broker: EvalBroker;
  planQueue: PlanQueue;
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  newScheduler: () => Promise<NewScheduler>;
  logger: Logger;
  env: ServerEnv;
  /** Bound on waiting for the state to reach an eval's index. */
  stateWaitMs?: number;
  /** How long one dequeue waits before checking whether the worker should stop. */
  dequeueTimeoutMs?: number;
}

/** The planner a worker hands to the scheduler: plans go to the leader's plan queue. */
export class WorkerPlanner implements Planner {
  constructor(
    private readonly deps: WorkerDeps,
    private readonly token: string,
    /** Index of the state the scheduler is looking at (moves on when a plan refreshes it). */
    private snapshotIndex: number,
  ) {}

  async submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }> {
    plan.EvalToken = this.token;
    const result = await this.deps.planQueue.enqueue(plan);
    // Keep the eval ours while the scheduler goes on after a (possibly slow) plan.
    try {
      this.deps.broker.outstandingReset(plan.EvalID, this.token);
    } catch {
      // the eval was nacked by timeout meanwhile; the ack at the end will say so
    }
    let newState: StateReader | null = null;
    if (result.RefreshIndex > 0) {
      newState = await this.deps.store.snapshotMinIndex(result.RefreshIndex, this.deps.stateWaitMs ?? 5_000);
      this.snapshotIndex = newState.latestIndex();
    }
    return { result, newState };
  }

  async updateEval(ev: Evaluation): Promise<void> {
    await this.write({ Type: 'EvalUpsert', Evals: [{ ...ev, ModifyTime: this.deps.env.clock.nowNs() }] });
  }

  // A blocked eval remembers the state it was computed on: the blocked set then knows whether
  // capacity appeared after it (unblock at once) or whether it waits for the next change.
  async createEval(ev: Evaluation): Promise<void> {
    await this.write({ Type: 'EvalUpsert', Evals: [{ ...ev, SnapshotIndex: this.snapshotIndex }] });
  }

  async reblockEval(ev: Evaluation): Promise<void> {
    await this.write({ Type: 'EvalUpsert', Evals: [{ ...ev, Status: 'blocked', SnapshotIndex: this.snapshotIndex, ModifyTime: this.deps.env.clock.nowNs() }] });
  }

  private async write(entry: LogEntry): Promise<void> {
    const res = await this.deps.apply(entry);
    if (res.result instanceof Error) throw res.result;
  }
}

export class Worker extends BackgroundLoop {
  processed = 0;

  constructor(
    readonly id: number,
    private readonly deps: WorkerDeps,
  ) {
    super();
  }

  protected async run(): Promise<void> {
    const { broker, logger } = this.deps;
    while (this.running) {
      let got: { eval: Evaluation; token: string } | null;
      try {
        got = await broker.dequeue(SCHEDULER_TYPES, this.deps.dequeueTimeoutMs ?? 500);
      } catch (e) {
        logger.warn('worker dequeue failed', { worker: this.id, error: String(e) });
        got = null;
      }
      if (!got) continue;
      const { eval: ev, token } = got;
      try {
        await this.process(ev, token);
        broker.ack(ev.ID, token);
        this.processed++;
      } catch (e) {
        logger.warn('evaluation processing failed', { worker: this.id, eval_id: ev.ID, error: e instanceof Error ? e.message : String(e) });
        try {
          broker.nack(ev.ID, token);
        } catch {
          // already redelivered after a nack timeout, or the broker was flushed on leadership loss
        }
      }
    }
  }

  private async process(ev: Evaluation, token: string): Promise<void> {
    const snap = await this.deps.store.snapshotMinIndex(ev.ModifyIndex, this.deps.stateWaitMs ?? 5_000);
    const newScheduler = await this.deps.newScheduler();
    const planner = new WorkerPlanner(this.deps, token, snap.latestIndex());
    const scheduler = newScheduler(ev.Type, snap, planner, { logger: this.deps.logger, nowMs: () => this.deps.env.clock.nowMs(), generateId: () => this.deps.env.random.uuid() });
    await scheduler.process(ev);
  }
}
