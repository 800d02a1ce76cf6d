// An evaluation: a request to the schedulers to reconcile a job with the cluster.
import type { AllocMetric } from './alloc.js';

export type EvalStatus = 'blocked' | 'pending' | 'complete' | 'failed' | 'canceled';

export type EvalTrigger =
  | 'job-register'
  | 'job-deregister'
  | 'periodic-job'
  | 'node-drain'
  | 'node-update'
  | 'alloc-stop'
  | 'scheduled'
  | 'rolling-update'
  | 'deployment-watcher'
  | 'failed-follow-up'
  | 'max-plan-attempts'
  | 'alloc-failure'
  | 'queued-allocs'
  | 'preemption'
  | 'job-scaling';

export interface Evaluation {
  ID: string;
  Namespace: string;
  Priority: number;
  Type: string; // the job type, which picks the scheduler
  TriggeredBy: EvalTrigger | string;
  JobID: string;
  JobModifyIndex: number;
  NodeID: string;
  NodeModifyIndex: number;
  DeploymentID: string;
  Status: EvalStatus;
  StatusDescription: string;
  Wait: number; // ns
  WaitUntil: string | null; // RFC3339
  NextEval: string;
  PreviousEval: string;
  BlockedEval: string;
  FailedTGAllocs: Record<string, AllocMetric> | null;
  ClassEligibility: Record<string, boolean> | null;
  EscapedComputedClass: boolean;
  QuotaLimitReached: string;
  AnnotatePlan: boolean;
  QueuedAllocations: Record<string, number> | null;
  LeaderACL: string;
  SnapshotIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number; // ns
  ModifyTime: number; // ns
}

export function evalTerminal(e: Pick<Evaluation, 'Status'>): boolean {
  return e.Status === 'complete' || e.Status === 'failed' || e.Status === 'canceled';
}

/** What an evaluation cannot be built without; every other field has a blank value. */
export type EvaluationFields = Partial<Evaluation> & Pick<Evaluation, 'ID' | 'Namespace' | 'JobID' | 'Type' | 'TriggeredBy' | 'Priority'>;

/**
 * A pending evaluation with every field present. It reads no clock and makes no ID, so the
 * server (which fixes both before the entry enters the log), the pure scheduler and test
 * fixtures can all build evaluations the same way; times are 0 unless given.
 */
export function newEvaluation(fields: EvaluationFields): Evaluation {
  // ID first, as Nomad's JSON has it; the blanks keep one key order whatever fields are given.
  const { ID, ...rest } = fields;
  return {
    ID,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: 'pending',
    StatusDescription: '',
    Wait: 0,
    WaitUntil: null,
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    FailedTGAllocs: null,
    ClassEligibility: null,
    EscapedComputedClass: false,
    QuotaLimitReached: '',
    AnnotatePlan: false,
    QueuedAllocations: null,
    LeaderACL: '',
    SnapshotIndex: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...rest,
  };
}
