// Scaling: a job's scale status and scaling actions (/v1/job/:id/scale), and the scaling
// policies of every scaled group (/v1/scaling/policies, /v1/scaling/policy/:id).
import { allocTerminal } from '../structs/alloc.js';
import { badRequest, notFound } from '../structs/errors.js';
import { scalingPolicyStub, type TaskGroupScaleStatus } from '../structs/scaling.js';
import type { StateReader } from '../state/reader.js';
import { watchKey } from '../state/watch-keys.js';
import type { RouteTable } from './route-table.js';
import { namespaceNeed } from '../acl/need.js';
import { permissionDenied } from '../acl/errors.js';
import { canSee, visibleOnly } from './visible.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import type { Exchange } from './exchange.js';
import { optBool, optInt, optObject, optString } from './body-fields.js';

/** Nomad's JobScaleStatus: per group the count asked for, what is placed and running, and the group's scaling events. */
export function jobScaleStatus(snap: StateReader, namespace: string, jobId: string): { index: number; value: Record<string, unknown> } | null {
  const job = snap.jobByID(namespace, jobId);
  if (!job) return null;
  const events = snap.scalingEventsByJob(namespace, jobId);
  const groups: Record<string, TaskGroupScaleStatus> = {};
  for (const tg of job.TaskGroups) {
    groups[tg.Name] = { Desired: tg.Count, Placed: 0, Running: 0, Healthy: 0, Unhealthy: 0, Events: events?.ScalingEvents[tg.Name] ?? null };
  }
  let index = Math.max(job.ModifyIndex, events?.ModifyIndex ?? 0);
  for (const a of snap.allocsByJob(namespace, jobId, false)) {
    // Canaries are left out, as Nomad leaves them out.
    if (a.DeploymentStatus?.Canary || allocTerminal(a)) continue;
    const g = groups[a.TaskGroup];
    if (!g) continue;
    g.Placed++;
    if (a.ClientStatus === 'running') g.Running++;
    if (a.DeploymentStatus?.Healthy === true) g.Healthy++;
    else if (a.DeploymentStatus?.Healthy === false) g.Unhealthy++;
    index = Math.max(index, a.ModifyIndex);
  }
  return {
    index,
    value: { JobID: job.ID, Namespace: job.Namespace, JobCreateIndex: job.CreateIndex, JobModifyIndex: job.ModifyIndex, JobStopped: job.Stop, TaskGroups: groups },
  };
}

const scaleStatus: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.job(x.namespace, x.params.id!), watchKey.jobAllocs(x.namespace, x.params.id!), 'scaling_event'], (snap) => {
    const status = jobScaleStatus(snap, x.namespace, x.params.id!);
    if (!status) throw notFound('job not found');
    return status;
  });

const scaleAction: Handler = async (x, api) => {
  const body = await x.objectBody();
  const target = optObject(body, 'Target') ?? {};
  const jobInTarget = optString(target, 'Job', 'Target.Job');
  if (jobInTarget !== '' && jobInTarget !== x.params.id) throw badRequest('job ID in payload did not match URL', 'Target.Job');
  const nsInTarget = optString(target, 'Namespace', 'Target.Namespace');
  if (nsInTarget !== '' && nsInTarget !== x.namespace) throw badRequest('namespace in payload did not match header', 'Target.Namespace');
  const out = await api.server.jobs.scale(x.namespace, x.params.id!, {
    group: optString(target, 'Group', 'Target.Group'),
    count: optInt(body, 'Count'),
    message: optString(body, 'Message'),
    error: optBool(body, 'Error'),
    meta: optObject(body, 'Meta'),
    policyOverride: optBool(body, 'PolicyOverride'),
    jobModifyIndex: optInt(body, 'JobModifyIndex') ?? 0,
  });
  const meta = queryMeta(api, out.Index);
  x.setMeta(meta);
  await x.sendJson(200, { ...out, LastContact: meta.lastContactMs, KnownLeader: meta.knownLeader });
};

const listPolicies: Handler = (x: Exchange, api: ApiContext) =>
  blockingRead(x, api, ['scaling_policy'], (snap) => {
    const job = x.query.get('job') ?? '';
    const type = x.query.get('type') ?? '';
    const prefix = x.query.get('prefix') ?? '';
    const policies = visibleOnly(x, snap.scalingPolicies(x.namespace), POLICY_READ)
      .filter((p) => (!job || p.Target.Job === job) && (!type || p.Type === type) && (!prefix || p.ID.startsWith(prefix)));
    return { index: snap.tableIndex('scaling_policy'), value: policies.map(scalingPolicyStub) };
  });

const getPolicy: Handler = (x, api) =>
  blockingRead(x, api, ['scaling_policy'], (snap) => {
    const p = snap.scalingPolicyByID(x.params.id!);
    if (!p) throw notFound('policy not found');
    // Checked against the policy's own namespace, which the request does not name.
    if (!canSee(x, p.Namespace, POLICY_READ)) throw permissionDenied();
    return { index: p.ModifyIndex, value: p };
  });

/** Who may read scaling policies: an autoscaler's capabilities, or reading jobs. */
const POLICY_READ = ['list-scaling-policies', 'read-scaling-policy', 'read-job'] as const;

export function addScalingRoutes(r: RouteTable): void {
  r.add(['GET'], '/v1/job/:id/scale', namespaceNeed('read-job-scaling', 'read-job'), scaleStatus);
  r.add(['PUT', 'POST'], '/v1/job/:id/scale', namespaceNeed('scale-job', 'submit-job'), scaleAction);
  r.add(['GET'], '/v1/scaling/policies', namespaceNeed(...POLICY_READ), listPolicies);
  r.add(['GET'], '/v1/scaling/policy/:id', namespaceNeed(...POLICY_READ), getPolicy);
}
