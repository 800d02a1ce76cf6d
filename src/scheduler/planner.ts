// What a scheduler needs from its surroundings. The server's worker implements it against the
// plan queue; `job plan` implements it with a planner that records the plan and commits nothing.
import type { Evaluation } from '../structs/evaluation.js';
import type { Plan, PlanResult } from '../structs/plan.js';
import type { StateReader } from '../state/reader.js';

export interface Planner {
  /**
   * Submits a plan to the leader. The result tells what was committed; when only part of it was
   * (another plan took the room first), `newState` is a snapshot at least as new as
   * `result.RefreshIndex` for the scheduler to retry against.
   */
  submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }>;
  /** Writes the evaluation's new status (complete, failed, ...) through the log. */
  updateEval(ev: Evaluation): Promise<void>;
  /** Creates a follow-up evaluation (blocked eval for queued allocations, delayed reschedule, ...). */
  createEval(ev: Evaluation): Promise<void>;
  /** Puts a blocked evaluation back into the blocked set with fresh class eligibility. */
  reblockEval(ev: Evaluation): Promise<void>;
}

export interface Scheduler {
  /** Processes one evaluation to completion: plans, submits, retries on partial commits, updates the eval. */
  process(ev: Evaluation): Promise<void>;
}

export interface SchedulerOptions {
  /** Record annotations (DesiredTGUpdates) in the plan, for `job plan`. */
  annotatePlan?: boolean;
  /** Bound on plan submissions for one evaluation before giving up with a max-plan-attempts follow-up. */
  maxPlanAttempts?: number;
  /** Wall clock in ms since the epoch, injected so that tests and simulations are deterministic. */
  nowMs?: () => number;
  /** Monotonic ms that measured durations (a placement's AllocationTime) are taken on; performance.now by default. */
  monotonicMs?: () => number;
  logger?: { debug(msg: string, fields?: object): void; warn(msg: string, fields?: object): void };
  /** Makes IDs for allocations, deployments and evaluations; injected so that runs can be replayed (default: random UUIDs). */
  generateId?: () => string;
}

export type SchedulerFactory = (state: StateReader, planner: Planner, options: SchedulerOptions) => Scheduler;
