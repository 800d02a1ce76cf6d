// `nomad job scale` and autoscalers: a scaling action on one group of a job. With a count, the
// job is registered again with the group at that count (a new version and an evaluation),
// within the group's policy and never while a deployment of the job is running; with or
// without one, the action is recorded as a scaling event of the group.
import type { Job } from '../structs/job.js';
import { NomadError, badRequest, notFound } from '../structs/errors.js';
import type { ScalingEvent } from '../structs/scaling.js';
import { deploymentActive } from '../structs/deployment.js';
import { writeChecked, type ServerContext } from './context.js';

export interface ScaleRequest {
  group: string;
  /** Null: no change of count, only an event (a message or an error). */
  count: number | null;
  message: string;
  error: boolean;
  meta: Record<string, unknown> | null;
  policyOverride: boolean;
  /** When above 0, the job's JobModifyIndex must still be this. */
  jobModifyIndex: number;
}

export interface ScaleResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index: number;
}

/** Registers the job again (with check-index), returning what a registration returns. */
export type Reregister = (job: Job, opts: { namespace: string; policyOverride: boolean; enforceIndex: boolean; jobModifyIndex: number; triggeredBy: string }) => Promise<ScaleResponse>;

export function checkScaleRequest(req: ScaleRequest): void {
  if (!req.group) throw badRequest('missing task group name for scaling action', 'Target.Group');
  if (req.count !== null) {
    if (req.count < 0) throw badRequest("scaling action count can't be negative", 'Count');
    if (req.error) throw badRequest('scaling action should not contain count if error is true', 'Count');
    if (!Number.isSafeInteger(req.count) || req.count > 2 ** 31 - 1) throw badRequest(`scaling action count value is too large: ${req.count}`, 'Count');
  }
}

export async function scaleJob(ctx: ServerContext, reregister: Reregister, namespace: string, jobId: string, req: ScaleRequest): Promise<ScaleResponse> {
  checkScaleRequest(req);
  const snap = ctx.store.snapshot();
  const job = snap.jobByID(namespace, jobId);
  if (!job) throw notFound(`job ${JSON.stringify(jobId)} not found`);
  if (job.Type === 'system' && req.count !== null && req.count > 1) throw badRequest('jobs of type "system" can only be scaled to 1 or 0', 'Count');
  const group = job.TaskGroups.find((g) => g.Name === req.group);
  if (!group) throw badRequest(`task group ${JSON.stringify(req.group)} specified for scaling does not exist in job`, 'Target.Group');

  const nowNs = ctx.clock.nowNs();
  const event: ScalingEvent = {
    Time: nowNs,
    Count: req.count,
    PreviousCount: group.Count,
    Message: req.message,
    Error: req.error,
    Meta: req.meta,
    EvalID: null,
    CreateIndex: 0,
  };
  let out: ScaleResponse = { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: job.ModifyIndex, Warnings: '', Index: 0 };
  if (req.count !== null) {
    const count = req.count;
    const policy = group.Scaling;
    if (policy) {
      if (count < policy.Min) throw badRequest(`group count was less than scaling policy minimum: ${count} < ${policy.Min}`, 'Count');
      if (policy.Max < count) throw badRequest(`group count was greater than scaling policy maximum: ${count} > ${policy.Max}`, 'Count');
    }
    const deployment = snap.latestDeploymentByJob(namespace, jobId);
    if (deployment !== null && deploymentActive(deployment) && deployment.JobCreateIndex === job.CreateIndex) throw badRequest('job scaling blocked due to active deployment', 'Count');
    if (req.jobModifyIndex > 0 && req.jobModifyIndex !== job.JobModifyIndex) {
      throw new NomadError('conflict', `Enforcing job modify index ${req.jobModifyIndex}: job exists with conflicting job modify index: ${job.JobModifyIndex}`);
    }
    const scaled: Job = { ...job, TaskGroups: job.TaskGroups.map((g) => (g.Name === group.Name ? { ...g, Count: count } : g)) };
    out = await reregister(scaled, { namespace, policyOverride: req.policyOverride, enforceIndex: true, jobModifyIndex: job.JobModifyIndex, triggeredBy: 'job-scaling' });
    if (out.EvalID) event.EvalID = out.EvalID;
  }
  const index = await writeChecked(ctx, { Type: 'ScalingEventRegister', Namespace: namespace, JobID: jobId, TaskGroup: group.Name, ScalingEvent: event });
  return { ...out, Index: index };
}
