// Operator actions on deployments (promote, fail, pause/resume) and on single allocations
// (stop). Each is one log entry carrying the evaluation that lets the scheduler act on it.
import { DeploymentDescriptions, deploymentActive, type Deployment } from '../structs/deployment.js';
import type { Job } from '../structs/job.js';
import { badRequest, notFound } from '../structs/errors.js';
import type { StateReader } from '../state/reader.js';
import { writeChecked, type ServerContext } from './context.js';
import { jobEval } from './eval-factory.js';

export interface DeploymentUpdateResponse {
  EvalID: string;
  EvalCreateIndex: number;
  DeploymentModifyIndex: number;
  RevertedJobVersion: number | null;
  Index: number;
}

export class DeploymentEndpoints {
  constructor(private readonly ctx: ServerContext) {}

  private active(snap: StateReader, id: string): { d: Deployment; job: Job } {
    const d = snap.deploymentByID(id);
    if (!d) throw notFound('deployment not found');
    if (!deploymentActive(d)) throw badRequest(`can't update terminal deployment with status "${d.Status}"`, 'DeploymentID');
    const job = snap.jobByID(d.Namespace, d.JobID);
    if (!job) throw notFound(`job for deployment not found: ${d.JobID}`);
    return { d, job };
  }

  async promote(id: string, all: boolean, groups: string[]): Promise<DeploymentUpdateResponse> {
    const snap = this.ctx.store.snapshot();
    const { d, job } = this.active(snap, id);
    if (!all && groups.length === 0) throw badRequest('must specify "All" or a list of groups to promote', 'Groups');
    for (const g of groups) if (!d.TaskGroups[g]) throw badRequest(`deployment has no task group "${g}"`, 'Groups');
    if (!Object.values(d.TaskGroups).some((g) => g.DesiredCanaries > 0)) throw badRequest('deployment has no canaries to promote', 'DeploymentID');
    const ev = jobEval(this.ctx, job, 'deployment-watcher', { DeploymentID: d.ID });
    const index = await writeChecked(this.ctx, { Type: 'DeploymentPromote', DeploymentID: d.ID, Groups: all ? [] : groups, Eval: ev });
    return { EvalID: ev.ID, EvalCreateIndex: index, DeploymentModifyIndex: index, RevertedJobVersion: null, Index: index };
  }

  async fail(id: string): Promise<DeploymentUpdateResponse> {
    const snap = this.ctx.store.snapshot();
    const { d, job } = this.active(snap, id);
    let description: string = DeploymentDescriptions.failedByUser;
    let rollback: Job | null = null;
    if (Object.values(d.TaskGroups).some((g) => g.AutoRevert)) {
      rollback = latestStableBefore(snap, d);
      if (rollback) description = `${description} - rolling back to job version ${rollback.Version}`;
    }
    const ev = jobEval(this.ctx, rollback ?? job, 'deployment-watcher', { DeploymentID: d.ID });
    const index = await writeChecked(this.ctx, { Type: 'DeploymentStatus', DeploymentID: d.ID, Status: 'failed', StatusDescription: description, Job: rollback, Eval: ev, TimestampNs: this.ctx.clock.nowNs() });
    return { EvalID: ev.ID, EvalCreateIndex: index, DeploymentModifyIndex: index, RevertedJobVersion: rollback ? rollback.Version : null, Index: index };
  }

  async pause(id: string, pause: boolean): Promise<DeploymentUpdateResponse> {
    const snap = this.ctx.store.snapshot();
    const { d, job } = this.active(snap, id);
    const ev = pause ? null : jobEval(this.ctx, job, 'deployment-watcher', { DeploymentID: d.ID });
    const index = await writeChecked(this.ctx, {
      Type: 'DeploymentStatus',
      DeploymentID: d.ID,
      Status: pause ? 'paused' : 'running',
      StatusDescription: pause ? DeploymentDescriptions.paused : DeploymentDescriptions.running,
      Job: null,
      Eval: ev,
      TimestampNs: this.ctx.clock.nowNs(),
    });
    return { EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? index : 0, DeploymentModifyIndex: index, RevertedJobVersion: null, Index: index };
  }

  /**
   * Health set by the operator (health_check = "manual"): any unhealthy allocation fails the
   * deployment, rolling back when a group has auto_revert and a stable version exists.
   */
  async setAllocHealth(id: string, healthy: string[], unhealthy: string[]): Promise<DeploymentUpdateResponse> {
    const snap = this.ctx.store.snapshot();
    const { d, job } = this.active(snap, id);
    if (healthy.length + unhealthy.length === 0) throw badRequest('must specify at least one healthy/unhealthy allocation ID', 'HealthyAllocationIDs');
    let status: { Status: 'failed'; StatusDescription: string } | null = null;
    let rollback: Job | null = null;
    if (unhealthy.length > 0) {
      let description: string = DeploymentDescriptions.failedAllocations;
      const groups = new Set(unhealthy.map((a) => snap.allocByID(a)?.TaskGroup));
      if (Object.entries(d.TaskGroups).some(([name, g]) => g.AutoRevert && groups.has(name))) {
        rollback = latestStableBefore(snap, d);
        if (rollback) description = `${description} - rolling back to job version ${rollback.Version}`;
      }
      status = { Status: 'failed', StatusDescription: description };
    }
    const ev = jobEval(this.ctx, rollback ?? job, 'deployment-watcher', { DeploymentID: d.ID });
    const index = await writeChecked(this.ctx, {
      Type: 'DeploymentAllocHealth',
      DeploymentID: d.ID,
      HealthyAllocIDs: healthy,
      UnhealthyAllocIDs: unhealthy,
      Status: status,
      Job: rollback,
      Eval: ev,
      TimestampNs: this.ctx.clock.nowNs(),
    });
    return { EvalID: ev.ID, EvalCreateIndex: index, DeploymentModifyIndex: index, RevertedJobVersion: rollback ? rollback.Version : null, Index: index };
  }

  /** nomad alloc stop: marks the allocation to migrate, and evaluates its job so it is replaced. */
  async stopAlloc(allocId: string): Promise<{ EvalID: string; Index: number }> {
    const snap = this.ctx.store.snapshot();
    const alloc = snap.allocByID(allocId);
    if (!alloc) throw notFound('alloc not found');
    const job = snap.jobByID(alloc.Namespace, alloc.JobID) ?? alloc.Job;
    if (!job) throw notFound('job not found');
    const ev = jobEval(this.ctx, job, 'alloc-stop', { JobModifyIndex: job.JobModifyIndex });
    const index = await writeChecked(this.ctx, {
      Type: 'AllocDesiredTransition',
      Transitions: { [alloc.ID]: { Migrate: true, Reschedule: null, ForceReschedule: null } },
      Evals: [ev],
    });
    return { EvalID: ev.ID, Index: index };
  }
}

/** The version an auto-revert goes back to: the newest stable one older than the deployment's. */
function latestStableBefore(snap: StateReader, d: Deployment): Job | null {
  const stable = snap.jobVersions(d.Namespace, d.JobID).find((v) => v.Stable && v.Version < d.JobVersion);
  return stable ? { ...stable, Stop: false } : null;
}
