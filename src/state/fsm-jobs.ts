// Jobs in the FSM: registration with Nomad's version rules, stop, purge, stability, the job
// summary's task groups and the job status computed from its allocations and evaluations.
import { NomadError, notFound } from '../structs/errors.js';
import type { Job } from '../structs/job.js';
import type { JobSummary } from '../structs/summary.js';
import { emptyTaskGroupSummary } from '../structs/summary.js';
import type { ApplyContext } from './fsm-context.js';
import { jobSpecChanged } from './job-spec.js';
import { JOB_TRACKED_VERSIONS } from './tables.js';
import { deleteJobScaling, storeScalingPolicies } from './fsm-scaling.js';

export type JobStatusName = 'pending' | 'running' | 'dead';

export interface UpsertJobOptions {
  /** For a new version: the submit time to stamp (null keeps the job's own). */
  submitTimeNs: number | null;
  /** For a new version: mark it unstable (a user registration) or keep the job's flag (a stop). */
  resetStable: boolean;
}

/** Nomad's job status: computed from the job's allocations and evaluations (O(1) via counts). */
export function computeJobStatus(ctx: ApplyContext, job: Job, evalDelete: boolean): JobStatusName {
  // System, periodic and parameterized jobs run until explicitly stopped.
  if (job.Type === 'system' || job.ParameterizedJob !== null || (job.Periodic !== null && job.Periodic.Enabled)) {
    return job.Stop ? 'dead' : 'running';
  }
  const counts = ctx.txn.jobCounts(job.Namespace, job.ID);
  if (counts.liveAllocs > 0) return 'running';
  if (counts.liveEvals > 0) return 'pending';
  // Dead when everything is terminal, or when the evaluations were garbage collected.
  if (evalDelete || counts.evals > 0 || counts.allocs > 0) return 'dead';
  return 'pending';
}

/** Inserts or replaces the current job and records it as a version. Returns the stored job. */
export function upsertJob(ctx: ApplyContext, input: Job, options: UpsertJobOptions): Job {
  const { txn, index } = ctx;
  const existing = txn.job(input.Namespace, input.ID);
  let job: Job;
  if (existing === undefined) {
    job = {
      ...input,
      Version: 0,
      Stable: options.resetStable ? false : input.Stable,
      SubmitTime: options.submitTimeNs ?? input.SubmitTime,
      CreateIndex: index,
      ModifyIndex: index,
      JobModifyIndex: index,
      Status: '',
    };
    const status = computeJobStatus(ctx, job, false);
    job.Status = status;
    updateChildrenSummary(ctx, job, '', status);
  } else if (jobSpecChanged(existing, input)) {
    job = {
      ...input,
      Version: existing.Version + 1,
      Stable: options.resetStable ? false : input.Stable,
      SubmitTime: options.submitTimeNs ?? input.SubmitTime,
      CreateIndex: existing.CreateIndex,
      ModifyIndex: index,
      JobModifyIndex: index,
      Status: '',
    };
    job.Status = computeJobStatus(ctx, job, false);
  } else {
    // The same specification again: no new version, only the row is touched.
    job = {
      ...input,
      Version: existing.Version,
      Stable: existing.Stable,
      SubmitTime: existing.SubmitTime,
      CreateIndex: existing.CreateIndex,
      ModifyIndex: index,
      JobModifyIndex: existing.JobModifyIndex,
      Status: '',
    };
    job.Status = computeJobStatus(ctx, job, false);
  }
  job = storeScalingPolicies(ctx, job, existing);
  txn.putJob(job);
  upsertJobVersion(ctx, job);
  updateSummaryWithJob(ctx, job);
  return job;
}

/** Records a job version, keeping the newest JOB_TRACKED_VERSIONS and the newest stable one. */
function upsertJobVersion(ctx: ApplyContext, job: Job): void {
  const { txn } = ctx;
  const versions = txn.jobVersions(job.Namespace, job.ID).filter((v) => v.Version !== job.Version);
  versions.push(job);
  versions.sort((a, b) => b.Version - a.Version);
  if (versions.length > JOB_TRACKED_VERSIONS) {
    const stableIdx = versions.findIndex((v) => v.Stable);
    const max = JOB_TRACKED_VERSIONS;
    // When the newest stable version is the one about to drop off, keep it instead of the next oldest.
    if (stableIdx === max) {
      const tmp = versions[max - 1]!;
      versions[max - 1] = versions[max]!;
      versions[max] = tmp;
    }
    versions.splice(max);
  }
  txn.putJobVersions(job.Namespace, job.ID, versions);
}

/** Makes sure the job has a summary with an entry for each of its task groups. */
export function updateSummaryWithJob(ctx: ApplyContext, job: Job): void {
  const { txn, index } = ctx;
  const existing = txn.jobSummary(job.Namespace, job.ID);
  let summary: JobSummary;
  let changed = false;
  if (existing === undefined) {
    summary = {
      JobID: job.ID,
      Namespace: job.Namespace,
      Summary: {},
      Children: { Pending: 0, Running: 0, Dead: 0 },
      CreateIndex: index,
      ModifyIndex: index,
    };
    changed = true;
  } else {
    summary = { ...existing, Summary: { ...existing.Summary } };
  }
  for (const tg of job.TaskGroups) {
    if (summary.Summary[tg.Name] === undefined) {
      summary.Summary[tg.Name] = emptyTaskGroupSummary();
      changed = true;
    }
  }
  if (changed) {
    summary.ModifyIndex = index;
    txn.putJobSummary(summary);
  }
}

/** Moves a child job between the Pending/Running/Dead counts of its parent's summary. */
function updateChildrenSummary(ctx: ApplyContext, job: Job, oldStatus: string, newStatus: string): void {
  if (job.ParentID === '' || oldStatus === newStatus) return;
  const parent = ctx.txn.jobSummary(job.Namespace, job.ParentID);
  // The parent may already be gone (purged): nothing to count then.
  if (parent === undefined) return;
  const children = { ...parent.Children };
  if (oldStatus === 'pending') children.Pending--;
  else if (oldStatus === 'running') children.Running--;
  else if (oldStatus === 'dead') children.Dead--;
  if (newStatus === 'pending') children.Pending++;
  else if (newStatus === 'running') children.Running++;
  else if (newStatus === 'dead') children.Dead++;
  ctx.txn.putJobSummary({ ...parent, Children: children, ModifyIndex: ctx.index });
}

/** Re-computes the status of every job whose allocations or evaluations changed. */
export function settleJobStatuses(ctx: ApplyContext): void {
  for (const d of ctx.dirtyJobs.values()) {
    const job = ctx.txn.job(d.namespace, d.jobId);
    if (job === undefined) continue;
    const status = d.force !== '' ? d.force : computeJobStatus(ctx, job, d.evalDelete);
    if (status === job.Status) continue;
    ctx.txn.putJob({ ...job, Status: status, ModifyIndex: ctx.index });
    updateChildrenSummary(ctx, job, job.Status, status);
  }
  ctx.dirtyJobs.clear();
}

/** Removes a job, its versions and its summary (allocations and evaluations stay until GC). */
export function purgeJob(ctx: ApplyContext, namespace: string, jobId: string, mustExist: boolean): boolean {
  const { txn } = ctx;
  const job = txn.job(namespace, jobId);
  if (job === undefined) {
    if (mustExist) throw notFound(`job "${jobId}" in namespace "${namespace}" not found`);
    return false;
  }
  // A child that goes away counts as dead in its parent's summary.
  if (job.Status === 'pending' || job.Status === 'running') updateChildrenSummary(ctx, job, job.Status, 'dead');
  txn.deleteJob(namespace, jobId);
  txn.deleteJobVersions(namespace, jobId);
  txn.deleteJobSummary(namespace, jobId);
  deleteJobScaling(ctx, job);
  // Nomad bumps these tables' indexes even when a row was already gone.
  txn.touch('jobs');
  txn.touch('job_version');
  txn.touch('job_summary');
  return true;
}

/** Stops a job: the current job with Stop set, registered as a new version (as Nomad 1.1 does). */
export function stopJob(ctx: ApplyContext, namespace: string, jobId: string): Job {
  const current = ctx.txn.job(namespace, jobId);
  if (current === undefined) {
    throw notFound(`job "${jobId}" in namespace "${namespace}" doesn't exist to be deregistered`);
  }
  return upsertJob(ctx, { ...current, Stop: true }, { submitTimeNs: null, resetStable: false });
}

/** Sets Stable on one version of a job, and on the current job when it is that version. */
export function setJobStability(ctx: ApplyContext, namespace: string, jobId: string, version: number, stable: boolean): void {
  const { txn, index } = ctx;
  const versions = txn.jobVersions(namespace, jobId);
  const at = versions.findIndex((v) => v.Version === version);
  // The job or the version may have been garbage collected since: nothing to mark then.
  if (at < 0) return;
  const row = versions[at]!;
  if (row.Stable === stable) return;
  const nextVersions = versions.slice();
  nextVersions[at] = { ...row, Stable: stable, ModifyIndex: index };
  txn.putJobVersions(namespace, jobId, nextVersions);
  const current = txn.job(namespace, jobId);
  if (current !== undefined && current.Version === version) {
    txn.putJob({ ...current, Stable: stable, ModifyIndex: index });
  }
}

export function assertJob(job: Job | null | undefined, where: string): asserts job is Job {
  if (job === null || job === undefined || typeof job !== 'object') {
    throw new NomadError('bad_request', `${where}: missing job`, where);
  }
  if (typeof job.ID !== 'string' || job.ID === '') throw new NomadError('bad_request', `${where}: job has no ID`, `${where}.ID`);
  if (typeof job.Namespace !== 'string' || job.Namespace === '') {
    throw new NomadError('bad_request', `${where}: job "${job.ID}" has no namespace`, `${where}.Namespace`);
  }
  if (!Array.isArray(job.TaskGroups)) {
    throw new NomadError('bad_request', `${where}: job "${job.ID}" has no task group list`, `${where}.TaskGroups`);
  }
}
