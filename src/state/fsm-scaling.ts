// Scaling in the FSM: a job's group scaling policies stored with it (created, updated, removed
// with the groups that have them, each keeping its ID and CreateIndex), and the scaling events
// a job keeps per group.
import { badRequest, notFound } from '../structs/errors.js';
import type { Job, TaskGroup } from '../structs/job.js';
import { JOB_TRACKED_SCALING_EVENTS, type ScalingEvent, type ScalingPolicy } from '../structs/scaling.js';
import type { ApplyContext } from './fsm-context.js';

function samePolicy(a: ScalingPolicy, b: ScalingPolicy): boolean {
  return a.Type === b.Type && a.Min === b.Min && a.Max === b.Max && a.Enabled === b.Enabled && JSON.stringify(a.Policy) === JSON.stringify(b.Policy);
}

/**
 * Stores the policies of the job's groups and removes those of groups that no longer have one;
 * returns the job with each group's policy as stored (with its indexes).
 */
export function storeScalingPolicies(ctx: ApplyContext, job: Job, previous: Job | undefined): Job {
  const { txn, index } = ctx;
  const kept = new Set<string>();
  let groups: TaskGroup[] | null = null;
  job.TaskGroups.forEach((tg, i) => {
    const p = tg.Scaling;
    if (!p) return;
    if (typeof p.ID !== 'string' || p.ID === '') throw badRequest(`Job.TaskGroups[${i}].Scaling: scaling policy supplied without ID`, `Job.TaskGroups[${i}].Scaling.ID`);
    const old = txn.scalingPolicy(p.ID);
    const target = { Namespace: job.Namespace, Job: job.ID, Group: tg.Name };
    if (old !== undefined && (old.Target.Namespace !== target.Namespace || old.Target.Job !== target.Job || old.Target.Group !== target.Group)) {
      throw badRequest(`Job.TaskGroups[${i}].Scaling: scaling policy ${p.ID} belongs to ${old.Target.Job}/${old.Target.Group}`, `Job.TaskGroups[${i}].Scaling.ID`);
    }
    let stored: ScalingPolicy;
    if (old !== undefined && samePolicy(old, p)) {
      stored = old;
    } else {
      stored = { ...p, Namespace: job.Namespace, Target: target, CreateIndex: old?.CreateIndex ?? index, ModifyIndex: index };
      txn.putScalingPolicy(stored);
    }
    kept.add(p.ID);
    groups ??= job.TaskGroups.slice();
    groups[i] = { ...tg, Scaling: stored };
  });
  for (const tg of previous?.TaskGroups ?? []) {
    if (tg.Scaling && !kept.has(tg.Scaling.ID)) txn.deleteScalingPolicy(tg.Scaling.ID);
  }
  return groups === null ? job : { ...job, TaskGroups: groups };
}

/** A purged job takes its policies and its scaling events with it. */
export function deleteJobScaling(ctx: ApplyContext, job: Job): void {
  for (const tg of job.TaskGroups) if (tg.Scaling) ctx.txn.deleteScalingPolicy(tg.Scaling.ID);
  ctx.txn.deleteScalingEvents(job.Namespace, job.ID);
}

/** Records a scaling event of a job's group, newest first, keeping the last 20 per group. */
export function registerScalingEvent(ctx: ApplyContext, namespace: string, jobId: string, group: string, event: ScalingEvent): void {
  const { txn, index } = ctx;
  if (txn.job(namespace, jobId) === undefined) throw notFound(`job "${jobId}" in namespace "${namespace}" not found`);
  if (!group) throw badRequest('ScalingEventRegister: missing task group', 'TaskGroup');
  if (event === null || typeof event !== 'object' || typeof event.Time !== 'number') throw badRequest('ScalingEventRegister: missing scaling event', 'ScalingEvent');
  const existing = txn.scalingEvents(namespace, jobId);
  const previous = existing?.ScalingEvents[group] ?? [];
  const events = [{ ...event, CreateIndex: index }, ...previous].slice(0, JOB_TRACKED_SCALING_EVENTS);
  txn.putScalingEvents({
    Namespace: namespace,
    JobID: jobId,
    ScalingEvents: { ...(existing?.ScalingEvents ?? {}), [group]: events },
    ModifyIndex: index,
  });
}
