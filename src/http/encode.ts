// The JSON shapes of Nomad's API that differ from the stored structs: list stubs, and the
// fields Nomad leaves out when empty (evaluations and allocations are encoded with omitempty).
import type { Allocation, AllocListStub } from '../structs/alloc.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job, JobListStub } from '../structs/job.js';
import type { Node, NodeListStub } from '../structs/node.js';
import type { StateReader } from '../state/reader.js';
import type { JobSummary } from '../structs/summary.js';

/** Go's omitempty: false, 0, "", null and empty arrays/maps are left out. */
function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

export function encodeEval(ev: Evaluation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev)) if (!isEmpty(v)) out[k] = v;
  return out;
}

const ALLOC_OMIT_EMPTY = new Set(['DesiredDescription', 'PreviousAllocation', 'NextAllocation', 'RescheduleTracker', 'FollowupEvalID', 'PreemptedAllocations', 'PreemptedByAllocation']);

export function encodeAlloc(a: Allocation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (ALLOC_OMIT_EMPTY.has(k) && isEmpty(v)) continue;
    if (k === 'DesiredTransition' && isEmpty(Object.values(a.DesiredTransition ?? {}).filter((x) => x !== null))) continue;
    out[k] = v;
  }
  // A client that reported no network status still shows the empty one, as Nomad's do.
  out['NetworkStatus'] ??= { InterfaceName: '', Address: '', DNS: null };
  return out;
}

export function allocStub(a: Allocation, snap: StateReader): AllocListStub {
  const job = a.Job ?? snap.jobByID(a.Namespace, a.JobID);
  return {
    ID: a.ID,
    EvalID: a.EvalID,
    Name: a.Name,
    Namespace: a.Namespace,
    NodeID: a.NodeID,
    NodeName: a.NodeName,
    JobID: a.JobID,
    JobType: job?.Type ?? '',
    JobVersion: job?.Version ?? 0,
    TaskGroup: a.TaskGroup,
    // List rows leave the resources out (Nomad's list answers carry null here).
    AllocatedResources: null,
    DesiredStatus: a.DesiredStatus,
    DesiredDescription: a.DesiredDescription,
    ClientStatus: a.ClientStatus,
    ClientDescription: a.ClientDescription,
    DesiredTransition: a.DesiredTransition ?? { Migrate: null, Reschedule: null, ForceReschedule: null },
    TaskStates: a.TaskStates,
    DeploymentStatus: a.DeploymentStatus,
    FollowupEvalID: a.FollowupEvalID,
    RescheduleTracker: a.RescheduleTracker,
    PreemptedAllocations: a.PreemptedAllocations,
    PreemptedByAllocation: a.PreemptedByAllocation,
    CreateIndex: a.CreateIndex,
    ModifyIndex: a.ModifyIndex,
    CreateTime: a.CreateTime,
    ModifyTime: a.ModifyTime,
  };
}

export function jobStub(j: Job, snap: StateReader): JobListStub {
  return {
    ID: j.ID,
    ParentID: j.ParentID,
    Name: j.Name,
    Namespace: j.Namespace,
    Datacenters: j.Datacenters,
    Multiregion: j.Multiregion,
    Type: j.Type,
    Priority: j.Priority,
    Periodic: Boolean(j.Periodic?.Enabled),
    ParameterizedJob: j.ParameterizedJob !== null,
    Stop: j.Stop,
    Status: j.Status,
    StatusDescription: j.StatusDescription,
    JobSummary: snap.jobSummary(j.Namespace, j.ID),
    CreateIndex: j.CreateIndex,
    ModifyIndex: j.ModifyIndex,
    JobModifyIndex: j.JobModifyIndex,
    SubmitTime: j.SubmitTime,
  };
}

/** Compact JSON of job list rows, per stored job and the summary it was made with. */
const jobStubTexts = new WeakMap<Job, { summary: JobSummary | null; text: string }>();

/**
 * The compact JSON text of jobStub(j, snap). Stored jobs and summaries are never changed in
 * place (a write stores new objects), so the text of a row stays right while both are the same.
 */
export function jobStubText(j: Job, snap: StateReader): string {
  const summary = snap.jobSummary(j.Namespace, j.ID);
  const known = jobStubTexts.get(j);
  if (known !== undefined && known.summary === summary) return known.text;
  const text = JSON.stringify(jobStub(j, snap));
  jobStubTexts.set(j, { summary, text });
  return text;
}

export function nodeStub(n: Node): NodeListStub {
  return {
    Address: n.HTTPAddr ? n.HTTPAddr.replace(/:\d+$/, '') : '',
    ID: n.ID,
    Datacenter: n.Datacenter,
    Name: n.Name,
    NodeClass: n.NodeClass,
    Version: n.Attributes?.['nomad.version'] ?? '',
    Drain: n.Drain,
    SchedulingEligibility: n.SchedulingEligibility,
    Status: n.Status,
    StatusDescription: n.StatusDescription,
    Drivers: n.Drivers,
    HostVolumes: n.HostVolumes,
    NodeResources: null,
    ReservedResources: null,
    LastDrain: n.LastDrain,
    CreateIndex: n.CreateIndex,
    ModifyIndex: n.ModifyIndex,
  };
}
