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
