// A plan: what a scheduler wants to change, submitted to the leader's plan applier.
import type { Allocation } from './alloc.js';
import type { Deployment } from './deployment.js';
import type { Job } from './job.js';

export interface DesiredUpdates {
  Ignore: number;
  Place: number;
  Migrate: number;
  Stop: number;
  InPlaceUpdate: number;
  DestructiveUpdate: number;
  Canary: number;
  Preemptions: number;
}

export interface PlanAnnotations {
  DesiredTGUpdates: Record<string, DesiredUpdates>;
  PreemptedAllocs: unknown[] | null;
}

export interface DeploymentStatusUpdate {
  DeploymentID: string;
  Status: string;
  StatusDescription: string;
}

export interface Plan {
  EvalID: string;
  EvalToken: string;
  Priority: number;
  AllAtOnce: boolean;
  Job: Job | null;
  /** Allocations to stop or evict, by node: the scheduler sets DesiredStatus/DesiredDescription. */
  NodeUpdate: Record<string, Allocation[]>;
  /** New or updated allocations, by node. */
  NodeAllocation: Record<string, Allocation[]>;
  NodePreemptions: Record<string, Allocation[]>;
  Annotations: PlanAnnotations | null;
  Deployment: Deployment | null;
  DeploymentUpdates: DeploymentStatusUpdate[] | null;
  SnapshotIndex: number;
}

export interface PlanResult {
  NodeUpdate: Record<string, Allocation[]>;
  NodeAllocation: Record<string, Allocation[]>;
  NodePreemptions: Record<string, Allocation[]>;
  Deployment: Deployment | null;
  DeploymentUpdates: DeploymentStatusUpdate[] | null;
  /** Nodes whose part of the plan was refused because it no longer fits. */
  RejectedNodes: string[];
  /** When the plan was only partly committed, the index the scheduler must refresh to. */
  RefreshIndex: number;
  AllocIndex: number;
}

export function emptyPlan(evalId: string, priority: number, job: Job | null): Plan {
  return {
    EvalID: evalId,
    EvalToken: '',
    Priority: priority,
    AllAtOnce: job?.AllAtOnce ?? false,
    Job: job,
    NodeUpdate: {},
    NodeAllocation: {},
    NodePreemptions: {},
    Annotations: null,
    Deployment: null,
    DeploymentUpdates: null,
    SnapshotIndex: 0,
  };
}

export function planIsNoOp(p: Plan): boolean {
  return (
    Object.keys(p.NodeUpdate).length === 0 &&
    Object.keys(p.NodeAllocation).length === 0 &&
    p.Deployment === null &&
    (p.DeploymentUpdates === null || p.DeploymentUpdates.length === 0)
  );
}
