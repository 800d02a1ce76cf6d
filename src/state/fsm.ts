// The FSM: applies committed log entries to the state store. Each entry is applied in one
// write transaction at its index, deterministically: times and IDs come from the entry, never
// from a clock or a random source. An entry that fails (a NomadError) leaves the store as it was.
import { badRequest, NomadError } from '../structs/errors.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import type { Evaluation } from '../structs/evaluation.js';
import { ApplyContext, silentLogger, type FSMLogger } from './fsm-context.js';
import { applyClientUpdates, applyDesiredTransitions, applyPlanAllocs } from './fsm-allocs.js';
import { promoteDeployment, setAllocHealth, updateDeploymentStatus, updateDeploymentStatusFromPlan, upsertDeployment } from './fsm-deployments.js';
import { deleteEvalsAndAllocs, touchEval, upsertEval, upsertEvals } from './fsm-evals.js';
import { assertJob, purgeJob, setJobStability, settleJobStatuses, stopJob, upsertJob } from './fsm-jobs.js';
import { deregisterNodes, registerNode, updateNodeDrain, updateNodeEligibility, updateNodeStatus } from './fsm-nodes.js';
import { decodeTables, decodeTablesPausing, encodeTableChunks, encodeTables } from './fsm-snapshot.js';
import { registerScalingEvent } from './fsm-scaling.js';
import { bootstrapAcl, deleteAclPolicies, deleteAclTokens, upsertAclPolicies, upsertAclTokens } from './fsm-acl.js';
import { deleteNamespaces, upsertNamespaces } from './fsm-namespaces.js';
import { forgetPeriodicLaunch, recordPeriodicLaunch } from './fsm-periodic.js';
import type { LogEntry } from './log-entries.js';
import { TABLE_NAMES, type Tables } from './tables.js';
import type { StateStore } from './store.js';
import { eventsOf, publishesEvents, type EventBatch } from './stream-events.js';
import type { TxnChanges } from './txn-changes.js';
import { fsmMetricName } from './fsm-metrics.js';

export type { FSMLogger } from './fsm-context.js';

export interface FSMOptions {
  logger?: FSMLogger;
  /** Each applied entry is timed under Nomad's name for its type (nomad.fsm.register_job...). */
  metrics?: Metrics;
}

/**
 * What follows from committed entries on every server: each listener hears every entry this
 * FSM applied (after its write is visible in the store) and every snapshot restore. The leader's
 * bookkeeping (eval broker, blocked evals) follows this feed, so it never depends on which
 * server proposed an entry.
 */
export interface AppliedListener {
  applied(index: number, entry: LogEntry): void;
  restored(index: number): void;
}

export interface AppliedFeed {
  /** Returns a function that stops the listener. */
  onApplied(listener: AppliedListener): () => void;
}

/** Where the events of applied entries go (the event stream's buffer on this server). */
export interface EventSink {
  /** The events of one applied entry, after its write is visible in the store. */
  publish(batch: EventBatch): void;
  /** The state was replaced by a snapshot: events seen so far no longer lead to it. */
  reset(index: number): void;
}

export interface EventFeed {
  /** Returns a function that stops the sink. Events are computed only while a sink listens. */
  onEvents(sink: EventSink): () => void;
}

/** What JobRegister and JobDeregister return: the job's version and indexes after the entry. */
export interface JobApplyResult {
  JobModifyIndex: number;
  Version: number;
  EvalID: string;
}

export class FSM implements AppliedFeed, EventFeed {
  private readonly logger: FSMLogger;
  private readonly metrics: Metrics;
  private listeners: AppliedListener[] = [];
  private eventSinks: EventSink[] = [];

  constructor(
    readonly store: StateStore,
    options: FSMOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
  }

  /** Applies one committed entry at its index; throws a NomadError (store unchanged) when it cannot. */
  apply(index: number, entry: LogEntry): unknown {
    if (entry === null || typeof entry !== 'object' || typeof (entry as { Type?: unknown }).Type !== 'string') {
      throw badRequest(`log entry at index ${index} has no Type`);
    }
    let changes = null as TxnChanges | null;
    const start = this.metrics.now();
    const result = this.store.write(index, (txn) => {
      if (this.eventSinks.length > 0 && publishesEvents(entry.Type)) changes = txn.recordChanges();
      const ctx = new ApplyContext(txn, index, this.logger);
      const result = this.dispatch(ctx, entry);
      settleJobStatuses(ctx);
      return result;
    });
    this.metrics.measureSince(fsmMetricName(entry.Type), start);
    for (const l of this.listeners) this.notify(() => l.applied(index, entry));
    if (changes !== null) this.publish(entry, index, changes);
    return result;
  }

  onEvents(sink: EventSink): () => void {
    this.eventSinks = [...this.eventSinks, sink];
    return () => {
      this.eventSinks = this.eventSinks.filter((s) => s !== sink);
    };
  }

  private publish(entry: LogEntry, index: number, changes: TxnChanges): void {
    const batch = eventsOf(entry.Type, index, changes.list());
    if (batch === null || batch.Events.length === 0) return;
    for (const s of this.eventSinks) this.notify(() => s.publish(batch));
  }

  onApplied(listener: AppliedListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** A listener's failure is logged; it never makes a committed entry look failed. */
  private notify(call: () => void): void {
    try {
      call();
    } catch (e) {
      this.logger.error('a listener of applied entries failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private dispatch(ctx: ApplyContext, entry: LogEntry): unknown {
    switch (entry.Type) {
      case 'JobRegister': {
        assertJob(entry.Job, 'Job');
        const job = upsertJob(ctx, entry.Job, { submitTimeNs: entry.SubmitTimeNs, resetStable: true });
        recordPeriodicLaunch(ctx, job, entry.SubmitTimeNs);
        // The job's modify index is known only now; the evaluation that goes with it records it.
        if (entry.Eval !== null) upsertEval(ctx, withJobModifyIndex(entry.Eval, job.JobModifyIndex), 'Eval');
        return { JobModifyIndex: job.JobModifyIndex, Version: job.Version, EvalID: entry.Eval?.ID ?? '' } satisfies JobApplyResult;
      }
      case 'JobDeregister': {
        let result: JobApplyResult;
        if (entry.Purge) {
          purgeJob(ctx, entry.Namespace, entry.JobID, true);
          forgetPeriodicLaunch(ctx, entry.Namespace, entry.JobID);
          result = { JobModifyIndex: ctx.index, Version: 0, EvalID: entry.Eval?.ID ?? '' };
        } else {
          const job = stopJob(ctx, entry.Namespace, entry.JobID);
          result = { JobModifyIndex: job.JobModifyIndex, Version: job.Version, EvalID: entry.Eval?.ID ?? '' };
        }
        if (entry.Eval !== null) upsertEval(ctx, withJobModifyIndex(entry.Eval, result.JobModifyIndex), 'Eval');
        return result;
      }
      case 'JobStability':
        setJobStability(ctx, entry.Namespace, entry.JobID, entry.JobVersion, entry.Stable);
        return null;
      case 'JobBatchDelete':
        for (const { Namespace, JobID } of entry.Jobs) {
          purgeJob(ctx, Namespace, JobID, false);
          forgetPeriodicLaunch(ctx, Namespace, JobID);
          deleteEvalsAndAllocs(ctx, ctx.txn.evalIdsByJob(Namespace, JobID), ctx.txn.allocIdsByJob(Namespace, JobID));
        }
        return null;
      case 'EvalUpsert':
        upsertEvals(ctx, entry.Evals, 'Evals');
        return null;
      case 'EvalDelete':
        deleteEvalsAndAllocs(ctx, entry.EvalIDs ?? [], entry.AllocIDs ?? []);
        return null;
      case 'PlanApply':
        if (entry.Job !== null) assertJob(entry.Job, 'Job');
        if (entry.Deployment !== null) upsertDeployment(ctx, entry.Deployment, 'Deployment');
        (entry.DeploymentUpdates ?? []).forEach((u, i) => updateDeploymentStatusFromPlan(ctx, u, `DeploymentUpdates[${i}]`));
        if (entry.EvalID !== '') touchEval(ctx, entry.EvalID);
        applyPlanAllocs(ctx, entry);
        upsertEvals(ctx, entry.Evals, 'Evals');
        return { AllocIndex: ctx.index };
      case 'NodeRegister':
        registerNode(ctx, entry.Node, entry.TimestampNs);
        return null;
      case 'NodeDeregister':
        deregisterNodes(ctx, entry.NodeIDs);
        return null;
      case 'NodeUpdateStatus':
        updateNodeStatus(ctx, entry.NodeID, entry.Status, entry.Event, entry.TimestampNs);
        upsertEvals(ctx, entry.Evals, 'Evals');
        return null;
      case 'NodeUpdateEligibility':
        updateNodeEligibility(ctx, entry.NodeID, entry.Eligibility, entry.Event);
        upsertEvals(ctx, entry.Evals, 'Evals');
        return null;
      case 'NodeUpdateDrain':
        updateNodeDrain(ctx, entry.NodeID, entry.DrainStrategy, entry.MarkEligible, entry.Event, { timestampNs: entry.TimestampNs ?? null, complete: entry.Complete === true, meta: entry.Meta ?? null });
        return null;
      case 'AllocClientUpdate':
        applyClientUpdates(ctx, entry.Updates, entry.TimestampNs);
        upsertEvals(ctx, entry.Evals, 'Evals');
        return null;
      case 'AllocDesiredTransition':
        applyDesiredTransitions(ctx, entry.Transitions ?? {});
        upsertEvals(ctx, entry.Evals, 'Evals');
        return null;
      case 'DeploymentStatus':
        updateDeploymentStatus(ctx, entry, 'DeploymentStatus');
        if (entry.Job !== null) {
          assertJob(entry.Job, 'Job');
          upsertJob(ctx, entry.Job, { submitTimeNs: entry.TimestampNs, resetStable: true });
        }
        if (entry.Eval !== null) upsertEval(ctx, entry.Eval, 'Eval');
        return null;
      case 'DeploymentPromote':
        promoteDeployment(ctx, entry.DeploymentID, entry.Groups ?? [], entry.TimestampNs);
        if (entry.Eval !== null) upsertEval(ctx, entry.Eval, 'Eval');
        return null;
      case 'DeploymentAllocHealth':
        setAllocHealth(ctx, entry.DeploymentID, entry.HealthyAllocIDs ?? [], entry.UnhealthyAllocIDs ?? [], entry.TimestampNs);
        if (entry.Status !== null) updateDeploymentStatus(ctx, { DeploymentID: entry.DeploymentID, ...entry.Status }, 'Status');
        if (entry.Job !== null) {
          assertJob(entry.Job, 'Job');
          upsertJob(ctx, entry.Job, { submitTimeNs: entry.TimestampNs, resetStable: true });
        }
        if (entry.Eval !== null) upsertEval(ctx, entry.Eval, 'Eval');
        return null;
      case 'DeploymentDelete':
        for (const id of entry.DeploymentIDs) ctx.txn.deleteDeployment(id);
        ctx.txn.touch('deployment');
        return null;
      case 'SchedulerConfig': {
        const existing = ctx.txn.schedulerConfig();
        ctx.txn.putSchedulerConfig({ ...entry.Config, CreateIndex: existing?.CreateIndex ?? ctx.index, ModifyIndex: ctx.index });
        return null;
      }
      case 'StateRestored':
        for (const t of TABLE_NAMES) ctx.txn.touch(t);
        return null;
      case 'AclBootstrap':
        return bootstrapAcl(ctx, entry);
      case 'AclPolicyUpsert':
        return upsertAclPolicies(ctx, entry.Policies);
      case 'AclPolicyDelete':
        deleteAclPolicies(ctx, entry.Names);
        return null;
      case 'AclTokenUpsert':
        return upsertAclTokens(ctx, entry.Tokens);
      case 'AclTokenDelete':
        deleteAclTokens(ctx, entry.AccessorIDs);
        return null;
      case 'AutopilotConfig': {
        const existing = ctx.txn.autopilotConfig();
        // A compare-and-set that lost the race changes nothing and says so.
        if (entry.CAS && (existing?.ModifyIndex ?? 0) !== entry.CASIndex) return false;
        ctx.txn.putAutopilotConfig({ ...entry.Config, CreateIndex: existing?.CreateIndex ?? ctx.index, ModifyIndex: ctx.index });
        return true;
      }
      case 'NamespaceUpsert':
        upsertNamespaces(ctx, entry.Namespaces);
        return null;
      case 'NamespaceDelete':
        deleteNamespaces(ctx, entry.Names);
        return null;
      case 'ScalingEventRegister':
        registerScalingEvent(ctx, entry.Namespace, entry.JobID, entry.TaskGroup, entry.ScalingEvent);
        return null;
      default: {
        const unknown: { Type?: unknown } = entry;
        throw new NomadError('bad_request', `unknown log entry type "${String(unknown.Type)}"`, 'Type');
      }
    }
  }

  /** The whole state as msgpack bytes. */
  snapshot(): Uint8Array {
    return encodeTables(this.store.currentTables());
  }

  /** Captures the state now (O(1)) and encodes it only when the returned function is called. */
  captureSnapshot(): { index: number; encode: () => Uint8Array; chunks: () => Iterable<Uint8Array> } {
    const tables = this.store.currentTables();
    return { index: tables.latestIndex, encode: () => encodeTables(tables), chunks: () => encodeTableChunks(tables) };
  }

  /** Throws (a NomadError saying what is wrong) unless restore() would take these bytes. */
  checkSnapshot(data: Uint8Array): void {
    decodeTables(data, false);
  }

  /** Replaces the whole state with a snapshot's; every blocking query wakes. */
  restore(data: Uint8Array): void {
    this.restored(decodeTables(data, this.store.freezing));
  }

  /**
   * restore() that awaits `pause()` between chunks of the decode, so that the event loop runs
   * while a large state loads. Nothing is replaced (and every read sees the old state) until
   * the whole snapshot has been decoded; a caller applies no entries meanwhile.
   */
  async restorePausing(data: Uint8Array, pause: () => Promise<void>): Promise<void> {
    this.restored(await decodeTablesPausing(data, this.store.freezing, pause));
  }

  private restored(tables: Tables): void {
    this.store.replace(tables);
    const index = this.store.latestIndex();
    for (const l of this.listeners) this.notify(() => l.restored(index));
    for (const s of this.eventSinks) this.notify(() => s.reset(index));
  }
}

function withJobModifyIndex(ev: Evaluation, jobModifyIndex: number): Evaluation {
  return ev.JobModifyIndex > 0 ? ev : { ...ev, JobModifyIndex: jobModifyIndex };
}
