// The typed entries of the replicated log. Every change to the state goes through one of these:
// an endpoint builds an entry, consensus commits it, the FSM applies it at the entry's index.
// Entries carry everything the FSM needs (times, IDs) so that applying is deterministic on
// every server: the FSM never reads a clock and never generates an ID.
import type { AllocDeploymentStatus, Allocation, DesiredTransition } from '../structs/alloc.js';
import type { Deployment, DeploymentStatusName } from '../structs/deployment.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Namespace } from '../structs/namespace.js';
import type { Node, NodeEvent, NodeStatus, SchedulingEligibility, DrainStrategy } from '../structs/node.js';
import type { AllocClientUpdate } from '../rpc/protocol.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { AutopilotConfiguration, SchedulerConfiguration } from './reader.js';
import type { ScalingEvent } from '../structs/scaling.js';

export interface JobRegisterEntry {
  Type: 'JobRegister';
  /** Canonicalized and validated. The FSM sets Version, indexes, Status and Stable. */
  Job: Job;
  /** The evaluation to create with the job (none for periodic/parameterized parents). */
  Eval: Evaluation | null;
  SubmitTimeNs: number;
}

export interface JobDeregisterEntry {
  Type: 'JobDeregister';
  Namespace: string;
  JobID: string;
  Purge: boolean;
  Eval: Evaluation | null;
  SubmitTimeNs: number;
}

export interface JobStabilityEntry {
  Type: 'JobStability';
  Namespace: string;
  JobID: string;
  JobVersion: number;
  Stable: boolean;
}

export interface EvalUpsertEntry {
  Type: 'EvalUpsert';
  Evals: Evaluation[];
}

export interface EvalDeleteEntry {
  Type: 'EvalDelete';
  EvalIDs: string[];
  AllocIDs: string[];
}

/** A plan the leader's applier has checked against the latest state. */
export interface PlanApplyEntry {
  Type: 'PlanApply';
  EvalID: string;
  Job: Job | null;
  /**
   * New or changed allocations (Job may be null: the FSM fills it with the entry's Job); with
   * AllocsDelta, each after the first holds only the fields that differ from the one before
   * (alloc-deltas.ts: read them through planAllocsUpdated).
   */
  AllocsUpdated: Array<Partial<Allocation>>;
  AllocsDelta?: boolean;
  /** Allocations to stop: ID plus the desired status/description/transition and, when lost, client status. */
  AllocsStopped: Array<{
    ID: string;
    DesiredStatus: Allocation['DesiredStatus'];
    DesiredDescription: string;
    ClientStatus?: Allocation['ClientStatus'];
    FollowupEvalID?: string;
  }>;
  Deployment: Deployment | null;
  DeploymentUpdates: Array<{ DeploymentID: string; Status: string; StatusDescription: string }>;
  /** Evaluations to create with the plan (e.g. preemption follow-ups). */
  Evals: Evaluation[];
  TimestampNs: number;
}

export interface NodeRegisterEntry {
  Type: 'NodeRegister';
  Node: Node;
  TimestampNs: number;
}

export interface NodeDeregisterEntry {
  Type: 'NodeDeregister';
  NodeIDs: string[];
}

export interface NodeUpdateStatusEntry {
  Type: 'NodeUpdateStatus';
  NodeID: string;
  Status: NodeStatus;
  Event: NodeEvent | null;
  /** Evaluations for the jobs with allocations on the node (node-update). */
  Evals: Evaluation[];
  TimestampNs: number;
}

export interface NodeUpdateEligibilityEntry {
  Type: 'NodeUpdateEligibility';
  NodeID: string;
  Eligibility: SchedulingEligibility;
  Event: NodeEvent | null;
  Evals: Evaluation[];
}

export interface NodeUpdateDrainEntry {
  Type: 'NodeUpdateDrain';
  NodeID: string;
  DrainStrategy: DrainStrategy | null;
  MarkEligible: boolean;
  Event: NodeEvent | null;
  /** When the change was made (for Node.LastDrain); absent in entries written before it was kept. */
  TimestampNs?: number;
  /** The drainer ended the drain because nothing is left on the node (not an operator's cancel). */
  Complete?: boolean;
  /** The operator's drain metadata (Node.LastDrain.Meta). */
  Meta?: Record<string, string> | null;
}

export interface AllocClientUpdateEntry {
  Type: 'AllocClientUpdate';
  Updates: AllocClientUpdate[];
  /** Evaluations created because allocations failed (rescheduling) or finished. */
  Evals: Evaluation[];
  TimestampNs: number;
}

export interface AllocDesiredTransitionEntry {
  Type: 'AllocDesiredTransition';
  Transitions: Record<string, DesiredTransition>;
  Evals: Evaluation[];
}

export interface DeploymentStatusEntry {
  Type: 'DeploymentStatus';
  DeploymentID: string;
  Status: DeploymentStatusName;
  StatusDescription: string;
  /** A job to register with the update (auto-revert), and its evaluation. */
  Job: Job | null;
  Eval: Evaluation | null;
  TimestampNs: number;
}

export interface DeploymentPromoteEntry {
  Type: 'DeploymentPromote';
  DeploymentID: string;
  /** Groups to promote; empty means all. */
  Groups: string[];
  Eval: Evaluation | null;
  /** When the promotion happened: restarts the groups' progress deadlines from here (kept as they were when absent). */
  TimestampNs?: number;
}

export interface DeploymentAllocHealthEntry {
  Type: 'DeploymentAllocHealth';
  DeploymentID: string;
  HealthyAllocIDs: string[];
  UnhealthyAllocIDs: string[];
  /** Set when the health change also ends or changes the deployment. */
  Status: { Status: DeploymentStatusName; StatusDescription: string } | null;
  Job: Job | null;
  Eval: Evaluation | null;
  TimestampNs: number;
}

export interface DeploymentDeleteEntry {
  Type: 'DeploymentDelete';
  DeploymentIDs: string[];
}

export interface JobDeleteEntry {
  /** Garbage collection of a dead job (and what belongs to it). */
  Type: 'JobBatchDelete';
  Jobs: Array<{ Namespace: string; JobID: string }>;
}

export interface SchedulerConfigEntry {
  Type: 'SchedulerConfig';
  Config: SchedulerConfiguration;
}

/** The first management token (or a new one after an operator's reset). */
export interface AclBootstrapEntry {
  Type: 'AclBootstrap';
  /** Complete but for its indexes (set by the FSM). */
  Token: AclToken;
  /** 0 for the first bootstrap; for a reset, the index of the bootstrap it replaces. */
  ResetIndex: number;
}

export interface AclPolicyUpsertEntry {
  Type: 'AclPolicyUpsert';
  /** Validated, with Hash set; indexes are set by the FSM. */
  Policies: AclPolicy[];
}

export interface AclPolicyDeleteEntry {
  Type: 'AclPolicyDelete';
  Names: string[];
}

export interface AclTokenUpsertEntry {
  Type: 'AclTokenUpsert';
  /** Complete (IDs, times, Hash); indexes are set by the FSM. */
  Tokens: AclToken[];
}

export interface AclTokenDeleteEntry {
  Type: 'AclTokenDelete';
  AccessorIDs: string[];
}

/** Autopilot's settings; with CAS, written only if the stored ModifyIndex is still `CASIndex`. */
export interface AutopilotConfigEntry {
  Type: 'AutopilotConfig';
  Config: AutopilotConfiguration;
  CAS: boolean;
  CASIndex: number;
}

/**
 * Written by the leader once a saved state is restored: every table changed at this index, so
 * that blocking queries on every server wake and answer from the restored state.
 */
export interface StateRestoredEntry {
  Type: 'StateRestored';
}

/** Namespaces created or changed (the FSM keeps CreateIndex and sets ModifyIndex). */
export interface NamespaceUpsertEntry {
  Type: 'NamespaceUpsert';
  Namespaces: Namespace[];
}

/** Namespaces deleted; refused (nothing changes) while one holds a job that is not dead. */
export interface NamespaceDeleteEntry {
  Type: 'NamespaceDelete';
  Names: string[];
}

/** A scaling event of a job's group (`nomad job scale`, an autoscaler's report). */
export interface ScalingEventRegisterEntry {
  Type: 'ScalingEventRegister';
  Namespace: string;
  JobID: string;
  TaskGroup: string;
  /** The FSM sets CreateIndex. */
  ScalingEvent: ScalingEvent;
}

export type LogEntry =
  | JobRegisterEntry
  | JobDeregisterEntry
  | JobStabilityEntry
  | JobDeleteEntry
  | EvalUpsertEntry
  | EvalDeleteEntry
  | PlanApplyEntry
  | NodeRegisterEntry
  | NodeDeregisterEntry
  | NodeUpdateStatusEntry
  | NodeUpdateEligibilityEntry
  | NodeUpdateDrainEntry
  | AllocClientUpdateEntry
  | AllocDesiredTransitionEntry
  | DeploymentStatusEntry
  | DeploymentPromoteEntry
  | DeploymentAllocHealthEntry
  | DeploymentDeleteEntry
  | SchedulerConfigEntry
  | AutopilotConfigEntry
  | ScalingEventRegisterEntry
  | AclBootstrapEntry
  | AclPolicyUpsertEntry
  | AclPolicyDeleteEntry
  | AclTokenUpsertEntry
  | AclTokenDeleteEntry
  | NamespaceUpsertEntry
  | NamespaceDeleteEntry
  | StateRestoredEntry;

export type LogEntryType = LogEntry['Type'];

export type { AllocDeploymentStatus };
