// A scheduling worker: takes an eval from the broker, waits until the local state has caught up
// with the eval, runs the job type's scheduler on a snapshot and acks (or nacks on error so that
// the broker redelivers, up to its limit).
import type { Evaluation } from '../structs/evaluation.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
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
  /** The worker's timings (nomad.worker.*) and those of the eval and plan calls it makes. */
  metrics?: Metrics;
}

/** The planner a worker hands to the scheduler: plans go to the leader's plan queue. */
export class WorkerPlanner implements Planner {
  constructor(
    private readonly deps: WorkerDeps,
    private readonly token: string,
    /**
     * Index of the state the scheduler decides on (raised when a plan makes it refresh). Evals it
     * creates or blocks again carry it: the blocked set releases a blocked eval at once only when
     * capacity appeared after that state, instead of whenever any capacity ever appeared.
     */
    private snapshotIndex: number,
  ) {}

  private get metrics(): Metrics {
    return this.deps.metrics ?? noMetrics;
  }

  /**
   * Evals the scheduler created that are not written yet. A scheduler that finds no room creates a
   * blocked eval and then updates its own eval's status: the two go in one log entry (one Raft
   * round and one FSM apply on every server instead of two), written atomically, so that no
   * server ever holds the blocked eval without the status naming it, nor the reverse.
   */
  private held: Evaluation[] = [];

  async submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }> {
    // A plan is checked and applied apart from the evals: what was created before it is written first.
    await this.flushCreated();
    const m = this.metrics;
    const start = m.now();
    plan.EvalToken = this.token;
    const result = await this.deps.planQueue.enqueue(plan);
    m.measureSince('nomad.plan.submit', start);
    // Keep the eval ours while the scheduler goes on after a (possibly slow) plan.
    try {
      this.deps.broker.outstandingReset(plan.EvalID, this.token);
    } catch {
      // the eval was nacked by timeout meanwhile; the ack at the end will say so
    }
    let newState: StateReader | null = null;
    if (result.RefreshIndex > 0) {
      const waitStart = m.now();
      newState = await this.deps.store.snapshotMinIndex(result.RefreshIndex, this.deps.stateWaitMs ?? 5_000);
      m.measureSince('nomad.worker.wait_for_index', waitStart);
      this.snapshotIndex = Math.max(this.snapshotIndex, newState.latestIndex());
    }
    m.measureSince('nomad.worker.submit_plan', start);
    return { result, newState };
  }

  async updateEval(ev: Evaluation): Promise<void> {
    const held = this.takeHeld();
    await this.write({ Type: 'EvalUpsert', Evals: [...held, { ...ev, ModifyTime: this.deps.env.clock.nowNs() }] }, held.length > 0 ? ['create', 'update'] : ['update']);
  }

  createEval(ev: Evaluation): Promise<void> {
    this.held.push({ ...ev, SnapshotIndex: this.snapshotIndex });
    return Promise.resolve();
  }

  async reblockEval(ev: Evaluation): Promise<void> {
    const held = this.takeHeld();
    await this.write({ Type: 'EvalUpsert', Evals: [...held, { ...ev, Status: 'blocked', SnapshotIndex: this.snapshotIndex, ModifyTime: this.deps.env.clock.nowNs() }] }, held.length > 0 ? ['create', 'reblock'] : ['reblock']);
  }

  /** Writes the created evals still held (before a plan, or when the scheduler ends without a status update). */
  async flushCreated(): Promise<void> {
    if (this.held.length > 0) await this.write({ Type: 'EvalUpsert', Evals: this.takeHeld() }, ['create']);
  }

  private takeHeld(): Evaluation[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  /** An eval write: Nomad's Eval.<Update|Create|Reblock> endpoints (one or two in one entry) and the worker's calls of them. */
  private async write(entry: LogEntry, kinds: ReadonlyArray<'update' | 'create' | 'reblock'>): Promise<void> {
    const m = this.metrics;
    const start = m.now();
    const res = await this.deps.apply(entry);
    for (const kind of kinds) {
      m.measureSince(`nomad.eval.${kind}`, start);
      m.measureSince(`nomad.worker.${kind}_eval`, start);
    }
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
    const m = this.deps.metrics ?? noMetrics;
    while (this.running) {
      let got: { eval: Evaluation; token: string } | null;
      try {
        const start = m.now();
        got = await broker.dequeue(SCHEDULER_TYPES, this.deps.dequeueTimeoutMs ?? 500);
        m.measureSince('nomad.eval.dequeue', start);
        if (got) m.measureSince('nomad.worker.dequeue_eval', start);
      } catch (e) {
        logger.warn('worker dequeue failed', { worker: this.id, error: String(e) });
        got = null;
      }
      if (!got) continue;
      const { eval: ev, token } = got;
      try {
        await this.process(ev, token);
        const ackStart = m.now();
        broker.ack(ev.ID, token);
        m.measureSince('nomad.eval.ack', ackStart);
        m.measureSince('nomad.worker.send_ack', ackStart);
        this.processed++;
      } catch (e) {
        logger.warn('evaluation processing failed', { worker: this.id, eval_id: ev.ID, error: e instanceof Error ? e.message : String(e) });
        try {
          const nackStart = m.now();
          broker.nack(ev.ID, token);
          m.measureSince('nomad.eval.nack', nackStart);
        } catch {
          // already redelivered after a nack timeout, or the broker was flushed on leadership loss
        }
      }
    }
  }

  private async process(ev: Evaluation, token: string): Promise<void> {
    const m = this.deps.metrics ?? noMetrics;
    const waitStart = m.now();
    const snap = await this.deps.store.snapshotMinIndex(ev.ModifyIndex, this.deps.stateWaitMs ?? 5_000);
    m.measureSince('nomad.worker.wait_for_index', waitStart);
    const newScheduler = await this.deps.newScheduler();
    const planner = new WorkerPlanner(this.deps, token, snap.latestIndex());
    const scheduler = newScheduler(ev.Type, snap, planner, { logger: this.deps.logger, nowMs: () => this.deps.env.clock.nowMs(), monotonicMs: () => this.deps.env.clock.monotonicMs(), generateId: () => this.deps.env.random.uuid() });
    const invokeStart = m.now();
    await scheduler.process(ev);
    await planner.flushCreated();
    m.measureSince(`nomad.worker.invoke_scheduler.${ev.Type}`, invokeStart);
  }
}
