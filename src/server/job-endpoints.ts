// Job writes and the dry run: register (with check-index), deregister, plan, evaluate, scale,
// stability and revert. Every change is one log entry; reads are served by the HTTP layer
// straight from the state store.
import type { Evaluation } from '../structs/evaluation.js';
import type { Job, JobInput } from '../structs/job.js';
import type { AllocMetric } from '../structs/alloc.js';
import type { PlanAnnotations } from '../structs/plan.js';
import type { DesiredTransition } from '../structs/alloc.js';
import { MultiError, NomadError, badRequest, notFound } from '../structs/errors.js';
import { canonicalizeJob } from '../structs/canonicalize.js';
import { validateJob } from '../structs/validate.js';
import { diffJobs, type JobDiff } from '../structs/diff.js';
import { writeChecked, type ServerContext } from './context.js';
import { jobEval } from './eval-factory.js';
import type { NewScheduler } from './lazy-modules.js';
import type { StateReader } from '../state/reader.js';
import { RecordingPlanner, withJob } from './plan-harness.js';
import { annotateDiff } from './plan-annotate.js';
import type { ForceLaunchResult, PeriodicDispatcher } from './periodic-dispatcher.js';
import { DISPATCH_LAUNCH_SUFFIX, DISPATCH_PAYLOAD_SIZE_LIMIT_BYTES, dispatchedChildId, isPeriodicActive, nextLaunchMs } from '../structs/periodic.js';
import { NS_PER_MS, rfc3339Nano } from '../structs/time.js';
import { scaleJob, type ScaleRequest, type ScaleResponse } from './job-scale.js';

export const ENFORCE_INDEX_PREFIX = 'Enforcing job modify index';

export interface RegisterOptions {
  enforceIndex?: boolean;
  jobModifyIndex?: number;
  policyOverride?: boolean;
  preserveCounts?: boolean;
  /** The namespace of the request (?namespace=), used when the job names none. */
  namespace?: string;
  /** Trigger of the eval to create (register, scaling, revert...). */
  triggeredBy?: string;
}

export interface RegisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index: number;
}

export interface DeregisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Index: number;
}

export interface DispatchRequest {
  /** Base64, as the API carries []byte. */
  Payload: string | null;
  Meta: Record<string, string>;
  IdPrefixTemplate: string;
  IdempotencyToken: string;
}

export interface DispatchResponse {
  DispatchedJobID: string;
  EvalID: string;
  EvalCreateIndex: number;
  JobCreateIndex: number;
  Index: number;
}

export interface PlanResponse {
  Annotations: PlanAnnotations | null;
  FailedTGAllocs: Record<string, AllocMetric> | null;
  JobModifyIndex: number;
  CreatedEvals: Evaluation[] | null;
  Diff: JobDiff | null;
  NextPeriodicLaunch: string;
  Warnings: string;
  Index: number;
}

/** Fields that change on every registration and say nothing about the job's specification. */
const VOLATILE = new Set(['Status', 'StatusDescription', 'Stable', 'Version', 'SubmitTime', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex']);

/** The job's namespace must exist and allow every task driver the job uses. */
function checkNamespace(snap: StateReader, job: Job): void {
  const ns = snap.namespaceByName(job.Namespace);
  if (!ns) throw badRequest(`job "${job.ID}" is in nonexistent namespace "${job.Namespace}"`, 'Job.Namespace');
  const enabled = ns.Capabilities?.EnabledTaskDrivers ?? [];
  const disabled = ns.Capabilities?.DisabledTaskDrivers ?? [];
  const refused = job.TaskGroups.flatMap((tg) => tg.Tasks.map((t) => t.Driver)).filter((d) => (enabled.length > 0 && !enabled.includes(d)) || disabled.includes(d));
  if (refused.length === 1) throw badRequest(`used task driver "${refused[0]}" is not allowed in namespace "${ns.Name}"`, 'Job.TaskGroups');
  if (refused.length > 1) throw badRequest(`used task drivers [${refused.map((d) => JSON.stringify(d)).join(' ')}] are not allowed in namespace "${ns.Name}"`, 'Job.TaskGroups');
}

export function jobSpecChanged(a: Job, b: Job): boolean {
  const strip = (j: Job): string => JSON.stringify(j, (k, v) => (VOLATILE.has(k) ? undefined : v));
  return strip(a) !== strip(b);
}

export class JobEndpoints {
  constructor(
    private readonly ctx: ServerContext,
    private readonly newScheduler: () => Promise<NewScheduler>,
    private readonly periodic: PeriodicDispatcher,
  ) {}

  /** Launches a child of a periodic job now (nomad job periodic force). */
  periodicForce(namespace: string, jobId: string): Promise<ForceLaunchResult> {
    return this.periodic.force(namespace, jobId);
  }

  /** Creates a child of a parameterized job with the given payload and meta (nomad job dispatch). */
  async dispatch(namespace: string, jobId: string, req: DispatchRequest): Promise<DispatchResponse> {
    if (!jobId) throw badRequest('missing parameterized job ID', 'JobID');
    const snap = this.ctx.store.snapshot();
    const parent = snap.jobByID(namespace, jobId);
    if (!parent) throw notFound('parameterized job not found');
    if (!parent.ParameterizedJob) throw badRequest(`Specified job "${jobId}" is not a parameterized job`, 'JobID');
    if (parent.Stop) throw badRequest(`Specified job "${jobId}" is stopped`, 'JobID');
    checkDispatch(req, parent);
    if (req.IdempotencyToken) {
      const same = snap
        .jobsByIDPrefix(namespace, parent.ID + DISPATCH_LAUNCH_SUFFIX)
        .find((j) => j.ParentID === parent.ID && j.DispatchIdempotencyToken === req.IdempotencyToken);
      // A retry of a dispatch that happened: answer with the child it made, make no other.
      if (same) return { DispatchedJobID: same.ID, EvalID: '', EvalCreateIndex: 0, JobCreateIndex: same.CreateIndex, Index: same.ModifyIndex };
    }
    const id = dispatchedChildId(parent.ID, req.IdPrefixTemplate, this.ctx.clock.nowMs(), this.ctx.random.uuid());
    const meta = { ...(parent.Meta ?? {}), ...req.Meta };
    const child: Job = {
      ...parent,
      ID: id,
      Name: id,
      ParentID: parent.ID,
      ParameterizedJob: null,
      Dispatched: true,
      Payload: req.Payload && req.Payload.length > 0 ? req.Payload : null,
      Meta: Object.keys(meta).length > 0 ? meta : null,
      Status: '',
      StatusDescription: '',
      ...(req.IdempotencyToken ? { DispatchIdempotencyToken: req.IdempotencyToken } : {}),
    };
    const submitNs = this.ctx.clock.nowNs();
    // A child that is periodic itself is launched by the dispatcher, not evaluated now.
    const ev = child.Periodic?.Enabled ? null : jobEval(this.ctx, child, 'job-register', {}, submitNs);
    const index = await writeChecked(this.ctx, { Type: 'JobRegister', Job: child, Eval: ev, SubmitTimeNs: submitNs });
    return { DispatchedJobID: id, EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? index : 0, JobCreateIndex: index, Index: index };
  }

  /** Canonicalizes and validates a job as submitted; every problem at once (400). */
  prepare(input: JobInput | Job, namespace = 'default'): Job {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest('Job must be specified', 'Job');
    const withNs = { ...(input as JobInput) };
    if (!withNs.Namespace) withNs.Namespace = namespace;
    if (!withNs.Region) withNs.Region = this.ctx.region;
    let job: Job;
    try {
      job = canonicalizeJob(withNs);
    } catch (e) {
      if (e instanceof NomadError) throw e;
      throw badRequest(`invalid job: ${e instanceof Error ? e.message : String(e)}`, 'Job');
    }
    const errs = validateJob(job);
    if (errs.length > 0) throw new MultiError(errs);
    return job;
  }

  async register(input: JobInput | Job, opts: RegisterOptions = {}): Promise<RegisterResponse> {
    const job = this.prepare(input, opts.namespace);
    if (job.Payload) throw badRequest("job can't be submitted with a payload, only dispatched", 'Job.Payload');
    const snap = this.ctx.store.snapshot();
    checkNamespace(snap, job);
    const existing = snap.jobByID(job.Namespace, job.ID);
    propagateScalingPolicyIds(job, existing, () => this.ctx.random.uuid());
    checkIndex(job.ID, existing, opts);
    if (existing) checkJobUpdate(existing, job);
    if (snap.schedulerConfig().RejectJobRegistration && !opts.policyOverride) {
      throw new NomadError('forbidden', 'job registration, re-registration, and scaling are disabled by the scheduler configuration');
    }
    if (opts.preserveCounts && existing) {
      for (const tg of job.TaskGroups) {
        const old = existing.TaskGroups.find((g) => g.Name === tg.Name);
        if (old) tg.Count = old.Count;
      }
    }
    const submitNs = this.ctx.clock.nowNs();
    const needsEval = !isPeriodicOrParameterized(job);
    const ev = needsEval ? jobEval(this.ctx, job, opts.triggeredBy ?? 'job-register', {}, submitNs) : null;
    const index = await writeChecked(this.ctx, { Type: 'JobRegister', Job: job, Eval: ev, SubmitTimeNs: submitNs });
    const stored = this.ctx.store.snapshot().jobByID(job.Namespace, job.ID);
    return {
      EvalID: ev?.ID ?? '',
      EvalCreateIndex: ev ? index : 0,
      JobModifyIndex: stored?.JobModifyIndex ?? index,
      Warnings: '',
      Index: index,
    };
  }

  async deregister(namespace: string, jobId: string, purge: boolean): Promise<DeregisterResponse> {
    if (!jobId) throw badRequest('missing job ID for deregistering', 'JobID');
    const snap = this.ctx.store.snapshot();
    const job = snap.jobByID(namespace, jobId);
    if (!job) throw notFound('job not found');
    const ev = isPeriodicOrParameterized(job) ? null : jobEval(this.ctx, job, 'job-deregister');
    const index = await writeChecked(this.ctx, { Type: 'JobDeregister', Namespace: namespace, JobID: jobId, Purge: purge, Eval: ev, SubmitTimeNs: this.ctx.clock.nowNs() });
    return { EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? index : 0, JobModifyIndex: index, Index: index };
  }

  /** The dry run of `job plan`: the scheduler against a snapshot that shows the new job, nothing committed. */
  async plan(input: JobInput | Job, opts: { diff: boolean; contextual?: boolean; namespace?: string; policyOverride?: boolean }): Promise<PlanResponse> {
    const job = this.prepare(input, opts.namespace);
    const snap = this.ctx.store.snapshot();
    checkNamespace(snap, job);
    const existing = snap.jobByID(job.Namespace, job.ID);
    propagateScalingPolicyIds(job, existing, () => this.ctx.random.uuid());
    const index = snap.latestIndex();
    const planned = planVersion(job, existing, index, this.ctx.clock.nowNs());
    const ev = jobEval(this.ctx, planned, 'job-register', { AnnotatePlan: true, JobModifyIndex: planned.JobModifyIndex, ModifyIndex: index, SnapshotIndex: index });
    const response: PlanResponse = {
      Annotations: null,
      FailedTGAllocs: null,
      JobModifyIndex: existing?.JobModifyIndex ?? 0,
      CreatedEvals: null,
      // Nomad's plan always diffs with context (its CLI never asks): changed blocks show their unchanged fields.
      Diff: opts.diff ? diffJobs(existing, planned, true) : null,
      NextPeriodicLaunch: nextPeriodicLaunch(planned, this.ctx.clock.nowMs()),
      Warnings: '',
      Index: index,
    };
    if (!isPeriodicOrParameterized(planned)) {
      const state = withJob(snap, planned);
      const planner = new RecordingPlanner(state);
      const newScheduler = await this.newScheduler();
      await newScheduler(planned.Type, state, planner, { annotatePlan: true, logger: this.ctx.logger, nowMs: () => this.ctx.clock.nowMs(), monotonicMs: () => this.ctx.clock.monotonicMs(), generateId: () => this.ctx.random.uuid() }).process(ev);
      const lastPlan = planner.plans[planner.plans.length - 1];
      response.Annotations = lastPlan?.Annotations ?? null;
      const lastEval = planner.evalUpdates[planner.evalUpdates.length - 1];
      const failed = lastEval?.FailedTGAllocs;
      response.FailedTGAllocs = failed && Object.keys(failed).length > 0 ? failed : null;
      response.CreatedEvals = planner.createdEvals.length > 0 ? planner.createdEvals : null;
    }
    if (response.Diff) annotateDiff(response.Diff, response.Annotations, { old: existing, next: planned });
    return response;
  }

  async evaluate(namespace: string, jobId: string, forceReschedule: boolean): Promise<{ EvalID: string; EvalCreateIndex: number; JobModifyIndex: number; Index: number }> {
    const snap = this.ctx.store.snapshot();
    const job = snap.jobByID(namespace, jobId);
    if (!job) throw notFound('job not found');
    if (job.Periodic?.Enabled) throw badRequest("can't evaluate periodic job", 'JobID');
    if (job.ParameterizedJob) throw badRequest("can't evaluate parameterized job", 'JobID');
    const ev = jobEval(this.ctx, job, 'job-register', { JobModifyIndex: job.JobModifyIndex });
    let index: number;
    if (forceReschedule) {
      const transitions: Record<string, DesiredTransition> = {};
      for (const a of snap.allocsByJob(namespace, jobId, false)) {
        if (a.ClientStatus === 'failed' && a.DesiredStatus === 'run') transitions[a.ID] = { Migrate: null, Reschedule: null, ForceReschedule: true };
      }
      index = await writeChecked(this.ctx, { Type: 'AllocDesiredTransition', Transitions: transitions, Evals: [ev] });
    } else {
      index = await writeChecked(this.ctx, { Type: 'EvalUpsert', Evals: [ev] });
    }
    return { EvalID: ev.ID, EvalCreateIndex: index, JobModifyIndex: job.JobModifyIndex, Index: index };
  }

  /** A scaling action on one group (nomad job scale, autoscalers): see job-scale.ts. */
  scale(namespace: string, jobId: string, req: ScaleRequest): Promise<ScaleResponse> {
    return scaleJob(this.ctx, (job, opts) => this.register(job, opts), namespace, jobId, req);
  }

  async setStability(namespace: string, jobId: string, version: number, stable: boolean): Promise<{ Index: number; JobModifyIndex: number }> {
    const snap = this.ctx.store.snapshot();
    if (!snap.jobByIDAndVersion(namespace, jobId, version)) throw notFound(`job "${jobId}" at version ${version} not found`);
    const index = await writeChecked(this.ctx, { Type: 'JobStability', Namespace: namespace, JobID: jobId, JobVersion: version, Stable: stable });
    return { Index: index, JobModifyIndex: index };
  }

  async revert(namespace: string, jobId: string, version: number, enforcePriorVersion: number | null): Promise<RegisterResponse> {
    const snap = this.ctx.store.snapshot();
    const current = snap.jobByID(namespace, jobId);
    if (!current) throw notFound('job not found');
    if (enforcePriorVersion !== null && current.Version !== enforcePriorVersion) {
      throw badRequest(`current job has version ${current.Version}; enforcing version ${enforcePriorVersion}`, 'EnforcePriorVersion');
    }
    if (current.Version === version) throw badRequest(`can't revert to current version`, 'JobVersion');
    const target = snap.jobByIDAndVersion(namespace, jobId, version);
    if (!target) throw notFound(`job "${jobId}" in namespace "${namespace}" at version ${version} not found`);
    return this.register({ ...target, Stop: current.Stop && target.Stop }, { namespace });
  }
}

/** When a periodic job would launch next, as Go encodes time (its zero value when it would not). */
function nextPeriodicLaunch(job: Job, nowMs: number): string {
  const next = isPeriodicActive(job) ? nextLaunchMs(job.Periodic!, nowMs) : null;
  return next === null ? '0001-01-01T00:00:00Z' : rfc3339Nano(next * NS_PER_MS);
}

/**
 * A group keeps its scaling policy's ID from one version of the job to the next (autoscalers
 * know policies by ID); a newly scaled group gets a new one. Policy IDs a caller sent are kept.
 */
function propagateScalingPolicyIds(job: Job, existing: Job | null, newId: () => string): void {
  for (const tg of job.TaskGroups) {
    if (!tg.Scaling || tg.Scaling.ID) continue;
    const before = existing?.TaskGroups.find((g) => g.Name === tg.Name)?.Scaling;
    tg.Scaling.ID = before?.ID || newId();
  }
}

function isPeriodicOrParameterized(job: Job): boolean {
  return Boolean(job.Periodic?.Enabled) || job.ParameterizedJob !== null;
}

/** Changes a registration may not make to an existing job (Nomad's words). */
function checkJobUpdate(old: Job, next: Job): void {
  if (old.Type !== next.Type) throw badRequest(`cannot update job from type "${old.Type}" to "${next.Type}"`, 'Job.Type');
  const periodic = (j: Job): boolean => Boolean(j.Periodic?.Enabled);
  if (periodic(old) && !periodic(next)) throw badRequest('cannot update periodic job to being non-periodic', 'Job.Periodic');
  if (periodic(next) && !periodic(old)) throw badRequest('cannot update non-periodic job to being periodic', 'Job.Periodic');
  if (old.ParameterizedJob && !next.ParameterizedJob) throw badRequest('cannot update parameterized job to being non-parameterized', 'Job.ParameterizedJob');
  if (next.ParameterizedJob && !old.ParameterizedJob) throw badRequest('cannot update non-parameterized job to being parameterized', 'Job.ParameterizedJob');
}

/** The payload and meta a dispatch carries must be what the parameterized job asks for. */
function checkDispatch(req: DispatchRequest, parent: Job): void {
  const p = parent.ParameterizedJob!;
  const payloadBytes = req.Payload ? Buffer.from(req.Payload, 'base64').length : 0;
  if (p.Payload === 'required' && payloadBytes === 0) throw badRequest('Payload is not provided but required by parameterized job', 'Payload');
  if (p.Payload === 'forbidden' && payloadBytes > 0) throw badRequest('Payload provided but forbidden by parameterized job', 'Payload');
  if (payloadBytes > DISPATCH_PAYLOAD_SIZE_LIMIT_BYTES) throw badRequest(`Payload exceeds maximum size; ${payloadBytes} > ${DISPATCH_PAYLOAD_SIZE_LIMIT_BYTES}`, 'Payload');
  const allowed = new Set([...(p.MetaRequired ?? []), ...(p.MetaOptional ?? [])]);
  const unpermitted = Object.keys(req.Meta).filter((k) => !allowed.has(k)).sort();
  if (unpermitted.length > 0) throw badRequest(`Dispatch request included unpermitted metadata keys: [${unpermitted.join(' ')}]`, 'Meta');
  const missing = (p.MetaRequired ?? []).filter((k) => !(k in req.Meta)).sort();
  if (missing.length > 0) throw badRequest(`Dispatch did not provide required meta keys: [${missing.join(' ')}]`, 'Meta');
}

function checkIndex(jobId: string, existing: Job | null, opts: RegisterOptions): void {
  if (!opts.enforceIndex) return;
  const jmi = opts.jobModifyIndex ?? 0;
  if (existing) {
    if (jmi === 0) throw new NomadError('conflict', `${ENFORCE_INDEX_PREFIX} 0: job "${jobId}" already exists`);
    if (jmi !== existing.JobModifyIndex) {
      throw new NomadError('conflict', `${ENFORCE_INDEX_PREFIX} ${jmi}: job exists with conflicting job modify index: ${existing.JobModifyIndex}`);
    }
  } else if (jmi !== 0) {
    throw new NomadError('conflict', `${ENFORCE_INDEX_PREFIX} ${jmi}: job does not exist`);
  }
}

/** The job as it would be stored if registered now (version bumped when the spec changed). */
function planVersion(job: Job, existing: Job | null, index: number, nowNs: number): Job {
  const changed = !existing || jobSpecChanged(existing, job);
  const next = index + 1;
  return {
    ...job,
    Version: existing ? existing.Version + (changed ? 1 : 0) : 0,
    Status: existing?.Status ?? 'pending',
    Stable: false,
    SubmitTime: nowNs,
    CreateIndex: existing?.CreateIndex ?? next,
    ModifyIndex: next,
    JobModifyIndex: changed ? next : existing!.JobModifyIndex,
  };
}
