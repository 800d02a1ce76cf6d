// Evaluations the schedulers write: the finished eval, blocked evals for what could not be
// placed, and follow-ups.
import type { AllocMetric } from '../structs/alloc.js';
import type { Evaluation } from '../structs/evaluation.js';

export const BLOCKED_EVAL_FAILED_PLACEMENTS = 'created to place remaining allocations';
export const BLOCKED_EVAL_MAX_PLAN = 'created due to placement conflicts';

export const KNOWN_TRIGGERS = new Set([
  'job-register',
  'job-deregister',
  'periodic-job',
  'node-drain',
  'node-update',
  'alloc-stop',
  'scheduled',
  'rolling-update',
  'deployment-watcher',
  'failed-follow-up',
  'max-plan-attempts',
  'alloc-failure',
  'queued-allocs',
  'preemption',
  'job-scaling',
]);

/**
 * A new evaluation that follows `ev`: the same job and priority, its own bookkeeping blank,
 * linked back to `ev`; `fields` say why it exists.
 */
export function followingEval(ev: Evaluation, id: string, nowNs: number, fields: Partial<Evaluation>): Evaluation {
  return {
    ...ev,
    ID: id,
    Status: 'pending',
    StatusDescription: '',
    PreviousEval: ev.ID,
    NextEval: '',
    BlockedEval: '',
    Wait: 0,
    WaitUntil: null,
    ClassEligibility: null,
    EscapedComputedClass: false,
    FailedTGAllocs: null,
    QueuedAllocations: null,
    AnnotatePlan: false,
    SnapshotIndex: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: nowNs,
    ModifyTime: nowNs,
    ...fields,
  };
}

export function blockedEval(
  ev: Evaluation,
  id: string,
  nowNs: number,
  classEligibility: Record<string, boolean> | null,
  escaped: boolean,
  failed: Record<string, AllocMetric> | null,
  planFailure: boolean,
): Evaluation {
  return followingEval(ev, id, nowNs, {
    TriggeredBy: planFailure ? 'max-plan-attempts' : 'queued-allocs',
    Status: 'blocked',
    StatusDescription: planFailure ? BLOCKED_EVAL_MAX_PLAN : BLOCKED_EVAL_FAILED_PLACEMENTS,
    DeploymentID: '',
    ClassEligibility: classEligibility,
    EscapedComputedClass: escaped,
    FailedTGAllocs: failed,
  });
}

export interface StatusFields {
  status: Evaluation['Status'];
  description: string;
  nextEval: Evaluation | null;
  blocked: Evaluation | null;
  failedTGAllocs: Record<string, AllocMetric> | null;
  queuedAllocs: Record<string, number> | null;
  deploymentId: string;
  snapshotIndex: number;
  nowNs: number;
}

export function withStatus(ev: Evaluation, f: StatusFields): Evaluation {
  return {
    ...ev,
    Status: f.status,
    StatusDescription: f.description,
    NextEval: f.nextEval ? f.nextEval.ID : ev.NextEval,
    BlockedEval: f.blocked ? f.blocked.ID : ev.BlockedEval,
    FailedTGAllocs: f.failedTGAllocs,
    QueuedAllocations: f.queuedAllocs,
    DeploymentID: f.deploymentId || ev.DeploymentID,
    SnapshotIndex: f.snapshotIndex,
    ModifyTime: f.nowNs,
  };
}
