// The leader's plan applier: takes plans from the plan queue one at a time, checks each against
// the latest state and commits what fits through the log. While one plan's commit is in flight
// the next plan is already checked; if the two touch a common node, the check is redone once the
// commit has been applied, so no plan is ever judged against state that misses an earlier plan.
import { BackgroundLoop } from './background-loop.js';
import type { ApplyResult } from './consensus.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateStoreView } from '../state/reader.js';
import { NomadError } from '../structs/errors.js';
import type { Clock } from '../structs/clock.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import type { Logger } from './logger.js';
import type { PlanQueue, PendingPlan } from './plan-queue.js';
import { evaluatePlan, type PlanEvaluation } from './plan-evaluate.js';

export interface PlanApplierDeps {
  queue: PlanQueue;
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  /** The broker's token for an eval in flight; a plan with another token is stale and refused. */
  outstandingToken?: (evalId: string) => string | null;
  logger: Logger;
  clock: Clock;
  /** plan.evaluate, plan.apply, plan.wait_for_index timings and plan.node_rejected counts. */
  metrics?: Metrics;
}

export interface PlanApplierStats {
  applied: number;
  partial: number;
  rejectedStale: number;
}

export class PlanApplier extends BackgroundLoop {
  readonly stats: PlanApplierStats = { applied: 0, partial: 0, rejectedStale: 0 };
  private readonly metrics: Metrics;

  constructor(private readonly deps: PlanApplierDeps) {
    super();
    this.metrics = deps.metrics ?? noMetrics;
  }

  protected async run(): Promise<void> {
    let prev: Promise<Set<string>> | null = null;
    while (this.running) {
      const pending = await this.deps.queue.dequeue(250);
      if (!pending) continue;
      const tokenError = this.checkToken(pending);
      if (tokenError) {
        this.stats.rejectedStale++;
        pending.reject(tokenError);
        continue;
      }
      let ev: PlanEvaluation;
      const m = this.metrics;
      try {
        ev = this.evaluate(pending);
        if (prev) {
          const waitStart = m.now();
          const prevNodes = await prev;
          m.measureSince('nomad.plan.wait_for_index', waitStart);
          prev = null;
          if (intersects(ev.touchedNodes, prevNodes) || Object.keys(ev.rejections).length > 0) ev = this.evaluate(pending);
        }
      } catch (e) {
        pending.reject(e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      if (Object.keys(ev.rejections).length > 0) {
        this.stats.partial++;
        for (const nodeId of Object.keys(ev.rejections)) m.incrCounter('nomad.plan.node_rejected', 1, { node_id: nodeId });
        this.deps.logger.debug('plan partly refused', { eval_id: pending.plan.EvalID, rejections: ev.rejections });
      }
      if (!ev.entry) {
        ev.result.AllocIndex = this.deps.store.snapshot().latestIndex();
        pending.resolve(ev.result);
        continue;
      }
      prev = this.commit(pending, ev);
    }
    if (prev) await prev;
  }

  private evaluate(pending: PendingPlan): PlanEvaluation {
    const start = this.metrics.now();
    const ev = evaluatePlan(this.deps.store.snapshot(), pending.plan, this.deps.clock.nowNs());
    this.metrics.measureSince('nomad.plan.evaluate', start);
    return ev;
  }

  /** Commits one checked plan; resolves with the nodes it touched once applied (or failed). */
  private async commit(pending: PendingPlan, ev: PlanEvaluation): Promise<Set<string>> {
    const start = this.metrics.now();
    try {
      const res = await this.deps.apply(ev.entry!);
      this.metrics.measureSince('nomad.plan.apply', start);
      if (res.result instanceof Error) throw res.result;
      ev.result.AllocIndex = res.index;
      this.stats.applied++;
      pending.resolve(ev.result);
    } catch (e) {
      this.deps.logger.error('plan apply failed', { eval_id: pending.plan.EvalID, error: String(e) });
      pending.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return ev.touchedNodes;
  }

  private checkToken(p: PendingPlan): Error | null {
    const lookup = this.deps.outstandingToken;
    if (!lookup || !p.plan.EvalToken) return null;
    const token = lookup(p.plan.EvalID);
    if (token === p.plan.EvalToken) return null;
    return new NomadError('bad_request', `evaluation token does not match for evaluation ${p.plan.EvalID}`);
  }
}

function intersects(a: Set<string>, b: Set<string>): boolean {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (big.has(x)) return true;
  return false;
}
