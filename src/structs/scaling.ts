// Scaling: a task group's `scaling` block as a policy the servers store (one per group, with
// its own ID and indexes), and the scaling events each job keeps per group (the last 20, newest
// first) for `nomad job scale`, `job scaling-events` and autoscalers.

export const SCALING_POLICY_TYPE_HORIZONTAL = 'horizontal';
/** Nomad keeps this many scaling events per task group (JobTrackedScalingEvents). */
export const JOB_TRACKED_SCALING_EVENTS = 20;

export interface ScalingTarget {
  Namespace: string;
  Job: string;
  Group: string;
  [key: string]: string;
}

export interface ScalingPolicy {
  ID: string;
  Namespace: string;
  Type: string;
  Target: ScalingTarget;
  /** The autoscaler's policy document, kept as written. */
  Policy: Record<string, unknown> | null;
  Min: number;
  Max: number;
  Enabled: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ScalingPolicyListStub {
  ID: string;
  Enabled: boolean;
  Type: string;
  Target: ScalingTarget;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ScalingEvent {
  /** Unix nanoseconds. */
  Time: number;
  /** The count asked for; null for an event that only reports (an error, a message). */
  Count: number | null;
  PreviousCount: number;
  Message: string;
  Error: boolean;
  Meta: Record<string, unknown> | null;
  /** The evaluation the count change created. */
  EvalID: string | null;
  CreateIndex: number;
}

export interface JobScalingEvents {
  Namespace: string;
  JobID: string;
  /** Group name -> its events, newest first. */
  ScalingEvents: Record<string, ScalingEvent[]>;
  ModifyIndex: number;
}

export function scalingPolicyStub(p: ScalingPolicy): ScalingPolicyListStub {
  return { ID: p.ID, Enabled: p.Enabled, Type: p.Type, Target: p.Target, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex };
}

type Loose = Record<string, unknown>;

/**
 * A group's scaling block with Nomad's defaults: enabled, horizontal, min = the group's count,
 * and the target naming the group. Max stays -1 when not given, which validation refuses.
 */
export function canonicalScalingPolicy(o: Loose, groupCount: number, target: { namespace: string; job: string; group: string }): ScalingPolicy {
  const int = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
  const policy = o.Policy !== null && typeof o.Policy === 'object' && !Array.isArray(o.Policy) ? (o.Policy as Loose) : null;
  return {
    ID: typeof o.ID === 'string' ? o.ID : '',
    Namespace: target.namespace,
    Type: typeof o.Type === 'string' && o.Type !== '' ? o.Type : SCALING_POLICY_TYPE_HORIZONTAL,
    Target: { Namespace: target.namespace, Job: target.job, Group: target.group },
    Policy: policy,
    Min: int(o.Min, groupCount),
    Max: int(o.Max, -1),
    Enabled: typeof o.Enabled === 'boolean' ? o.Enabled : true,
    CreateIndex: int(o.CreateIndex, 0),
    ModifyIndex: int(o.ModifyIndex, 0),
  };
}

/** The problems of a group's policy, Nomad's messages, each with the field it is about. */
export function scalingPolicyProblems(p: ScalingPolicy, groupCount: number): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (p.Type !== SCALING_POLICY_TYPE_HORIZONTAL) out.push({ field: 'Type', message: `scaling policy type "${p.Type}" is not valid` });
  if (!Number.isInteger(p.Max) || p.Max < 0) out.push({ field: 'Max', message: 'maximum count must be specified and non-negative' });
  else if (p.Max < p.Min) out.push({ field: 'Max', message: 'maximum count must not be less than minimum count' });
  if (!Number.isInteger(p.Min) || p.Min < 0) out.push({ field: 'Min', message: 'minimum count must be specified and non-negative' });
  if (out.length === 0) {
    if (p.Min > groupCount) out.push({ field: 'Min', message: 'task group count must not be less than minimum count in scaling policy' });
    if (groupCount > p.Max) out.push({ field: 'Max', message: 'task group count must not be greater than maximum count in scaling policy' });
  }
  return out;
}

/** "Namespace:default,Job:web,Group:cache" and any other target keys after, sorted. */
export function formatScalingTarget(t: Record<string, string>): string {
  const known = ['Namespace', 'Job', 'Group'];
  const parts = known.filter((k) => t[k] !== undefined).map((k) => `${k}:${t[k]}`);
  const others = Object.keys(t).filter((k) => !known.includes(k)).sort().map((k) => `${k}:${t[k]}`);
  return [...parts, ...others].join(',');
}

/** A group's line in GET /v1/job/:id/scale: its counts and its recent scaling events. */
export interface TaskGroupScaleStatus {
  Desired: number;
  Placed: number;
  Running: number;
  Healthy: number;
  Unhealthy: number;
  Events: ScalingEvent[] | null;
}
