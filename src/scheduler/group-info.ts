// Everything about a task group the scheduler needs again and again, computed once per eval.
import type { Affinity, Constraint, Job, Spread, TaskGroup } from '../structs/job.js';
import { DISTINCT_HOSTS, DISTINCT_PROPERTY, constraintEscapesClass } from './constraints.js';
import { groupAsk, type GroupAsk } from './resources.js';

export interface DistinctProperty {
  target: string;
  /** How many allocations may share one value. */
  limit: number;
  /** null: counted over the whole job (job-level constraint). */
  group: string | null;
}

export interface GroupInfo {
  tg: TaskGroup;
  ask: GroupAsk;
  /** Group and task constraints that a node alone decides. */
  constraints: Constraint[];
  drivers: string[];
  /** The host volumes the group mounts: the node must offer each (writable unless read-only). */
  hostVolumes: Array<{ source: string; readOnly: boolean }>;
  /** distinct_hosts: null none; 'job' across the job; 'group' within the group. */
  distinctHosts: 'job' | 'group' | null;
  distinctProperties: DistinctProperty[];
  affinities: Affinity[];
  spreads: Spread[];
  /** Some group-level check depends on unique node values, so classes cannot be memoized. */
  escapes: boolean;
}

function isDynamic(c: Constraint): boolean {
  return c.Operand === DISTINCT_HOSTS || c.Operand === DISTINCT_PROPERTY;
}

export function distinctPropertyOf(c: Constraint, group: string | null): DistinctProperty {
  const n = c.RTarget === '' ? 1 : Number.parseInt(c.RTarget, 10);
  return { target: c.LTarget, limit: Number.isFinite(n) && n > 0 ? n : 1, group };
}

export function jobStaticConstraints(job: Job): Constraint[] {
  return (job.Constraints ?? []).filter((c) => !isDynamic(c));
}

export function groupInfo(job: Job, tg: TaskGroup): GroupInfo {
  const constraints: Constraint[] = [];
  const drivers: string[] = [];
  const affinities: Affinity[] = [...(job.Affinities ?? []), ...(tg.Affinities ?? [])];
  let distinctHosts: GroupInfo['distinctHosts'] = null;
  const distinctProperties: DistinctProperty[] = [];
  for (const c of job.Constraints ?? []) {
    if (c.Operand === DISTINCT_HOSTS) distinctHosts = 'job';
    else if (c.Operand === DISTINCT_PROPERTY) distinctProperties.push(distinctPropertyOf(c, null));
  }
  const groupLevel = [...(tg.Constraints ?? [])];
  for (const t of tg.Tasks) {
    if (t.Driver && !drivers.includes(t.Driver)) drivers.push(t.Driver);
    groupLevel.push(...(t.Constraints ?? []));
    affinities.push(...(t.Affinities ?? []));
  }
  for (const c of groupLevel) {
    if (c.Operand === DISTINCT_HOSTS) distinctHosts ??= 'group';
    else if (c.Operand === DISTINCT_PROPERTY) distinctProperties.push(distinctPropertyOf(c, tg.Name));
    else constraints.push(c);
  }
  return {
    tg,
    ask: groupAsk(tg),
    constraints,
    drivers,
    hostVolumes: Object.values(tg.Volumes ?? {})
      .filter((v) => v.Type === 'host')
      .map((v) => ({ source: v.Source, readOnly: v.ReadOnly })),
    distinctHosts,
    distinctProperties,
    affinities,
    spreads: [...(job.Spreads ?? []), ...(tg.Spreads ?? [])],
    escapes: constraints.some(constraintEscapesClass),
  };
}
