// What the service/batch and system/sysbatch schedulers share: the bounded loop of plan attempts
// around their own `attempt`, and recording how the evaluation ended (complete, failed after too
// many attempts with a blocked eval to retry, or blocked again when it was a blocked eval).
import type { AllocMetric } from '../structs/alloc.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Plan } from '../structs/plan.js';
import type { StateReader } from '../state/reader.js';
import type { Planner, Scheduler, SchedulerOptions } from './planner.js';
import { KNOWN_TRIGGERS, blockedEval, withStatus } from './evals.js';
import type { Feasibility } from './feasibility.js';
import { defaultIdGenerator, defaultMonotonicMs, nowNsFrom } from './options.js';

/** Attempts that make progress reset the count; this bounds the whole loop regardless. */
const MAX_TOTAL_ATTEMPTS_FACTOR = 10;

export interface AttemptOutcome {
  done: boolean;
  progress: boolean;
}

export abstract class PlanningScheduler implements Scheduler {
  protected state: StateReader;
  protected readonly generateId: () => string;
  /** Where durations are measured (AllocationTime). */
  protected readonly monotonicMs: () => number;
  protected failedTGAllocs: Record<string, AllocMetric> | null = null;
  protected queuedAllocs: Record<string, number> = {};
  protected blocked: Evaluation | null = null;
  protected feasibility: Feasibility | null = null;
  /** Recorded with the evaluation: the deployment it made or continued (service jobs). */
  protected deploymentId = '';
  /** Recorded with the evaluation: the follow-up it created (rolling system updates). */
  protected nextEval: Evaluation | null = null;
  /** The last plan built, for `job plan` style callers and tests. */
  lastPlan: Plan | null = null;

  constructor(
    state: StateReader,
    protected readonly planner: Planner,
    protected readonly options: SchedulerOptions,
  ) {
    this.state = state;
    this.generateId = options.generateId ?? defaultIdGenerator;
    this.monotonicMs = options.monotonicMs ?? defaultMonotonicMs;
  }

  /** One plan: computed on the current state and submitted; done when nothing is left to retry. */
  protected abstract attempt(ev: Evaluation, nowNs: number): Promise<AttemptOutcome>;

  /** Attempts without progress allowed before the evaluation fails. */
  protected abstract defaultMaxAttempts(): number;

  async process(ev: Evaluation): Promise<void> {
    const nowNs = nowNsFrom(this.options);
    if (!KNOWN_TRIGGERS.has(ev.TriggeredBy)) {
      await this.setStatus(ev, 'failed', `scheduler cannot handle '${ev.TriggeredBy}' evaluation reason`, nowNs);
      return;
    }
    const limit = this.options.maxPlanAttempts ?? this.defaultMaxAttempts();
    let attempts = 0;
    let total = 0;
    for (;;) {
      const outcome = await this.attempt(ev, nowNs);
      if (outcome.done) break;
      total++;
      attempts = outcome.progress ? 0 : attempts + 1;
      if (attempts >= limit || total >= limit * MAX_TOTAL_ATTEMPTS_FACTOR) {
        this.options.logger?.warn('scheduler: maximum plan attempts reached', { eval_id: ev.ID, attempts: total });
        if (!this.blocked) {
          this.blocked = blockedEval(ev, this.generateId(), nowNs, this.feasibility?.classEligibility() ?? null, this.feasibility?.escaped() ?? false, null, true);
          await this.planner.createEval(this.blocked);
        }
        await this.setStatus(ev, 'failed', `maximum attempts reached (${limit})`, nowNs);
        return;
      }
    }
    if (ev.Status === 'blocked' && this.failedTGAllocs) {
      await this.planner.reblockEval({
        ...ev,
        ClassEligibility: this.feasibility?.classEligibility() ?? null,
        EscapedComputedClass: this.feasibility?.escaped() ?? false,
        FailedTGAllocs: this.failedTGAllocs,
        QueuedAllocations: this.queuedAllocs,
        ModifyTime: nowNs,
      });
      return;
    }
    await this.setStatus(ev, 'complete', '', nowNs);
  }

  private async setStatus(ev: Evaluation, status: Evaluation['Status'], description: string, nowNs: number): Promise<void> {
    await this.planner.updateEval(
      withStatus(ev, {
        status,
        description,
        nextEval: this.nextEval,
        blocked: this.blocked,
        failedTGAllocs: this.failedTGAllocs,
        queuedAllocs: this.queuedAllocs,
        deploymentId: this.deploymentId,
        snapshotIndex: this.state.latestIndex(),
        nowNs,
      }),
    );
  }
}
