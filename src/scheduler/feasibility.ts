// Static feasibility: does a node satisfy the job's and a group's constraints and drivers?
// Answers are memoized by the node's computed class (nodes of one class share every attribute a
// non-unique constraint can name), so 5,000 nodes of a few classes cost a few real checks. The
// reason a class failed is kept with it, so every filtered node reports the real constraint.
import type { AllocMetric } from '../structs/alloc.js';
import type { Constraint, Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import { ConstraintMatcher, constraintEscapesClass, constraintString } from './constraints.js';
import { jobStaticConstraints, type GroupInfo } from './group-info.js';
import { filterNode } from './metrics.js';

export const MISSING_DRIVERS = 'missing drivers';
export const MISSING_HOST_VOLUMES = 'missing compatible host volumes';

export function driverHealthy(node: Node, driver: string): boolean {
  const info = node.Drivers?.[driver];
  if (info) return info.Detected && info.Healthy;
  const attr = node.Attributes[`driver.${driver}`];
  return attr === '1' || attr === 'true';
}

export class Feasibility {
  readonly matcher = new ConstraintMatcher();
  private readonly jobConstraints: Constraint[];
  private readonly jobEscapes: boolean;
  /** Per computed class: null when eligible, else the reason it is not. */
  private readonly jobByClass = new Map<string, string | null>();
  private readonly groupByClass = new Map<string, Map<string, string | null>>();
  private escapedSeen = false;
  /**
   * Per group, per computed class: the first failing reason (job level, then group), or null. One
   * lookup per candidate instead of three; filled from the two maps above, which stay the record
   * of what was checked (class eligibility of a blocked eval reads them).
   */
  private readonly verdicts = new Map<GroupInfo, Map<string, string | null>>();

  constructor(job: Job) {
    this.jobConstraints = jobStaticConstraints(job);
    this.jobEscapes = this.jobConstraints.some(constraintEscapesClass);
  }

  /**
   * True when a node's feasibility for the group follows from its computed class alone (no
   * constraint names a value unique to a node): a class found feasible once is feasible for every
   * node of it, for this job.
   */
  classDecides(info: GroupInfo): boolean {
    return !this.jobEscapes && !info.escapes;
  }

  /**
   * Checks the node for the group; records the first failing reason in the metric. `cls` is the
   * node's computed class, passed by callers that have it at hand (the node table).
   */
  feasible(node: Node, info: GroupInfo, metric: AllocMetric, cls: string = node.ComputedClass): boolean {
    if (cls && !this.jobEscapes && !info.escapes) {
      let byClass = this.verdicts.get(info);
      if (!byClass) {
        byClass = new Map();
        this.verdicts.set(info, byClass);
      }
      let verdict = byClass.get(cls);
      if (verdict === undefined) {
        verdict = this.classVerdict(node, info, cls);
        byClass.set(cls, verdict);
      }
      if (verdict === null) return true;
      filterNode(metric, node, verdict);
      return false;
    }
    return this.check(node, info, metric, cls);
  }

  /** The verdict for a class, through the per-class maps (checking the node when they lack it). */
  private classVerdict(node: Node, info: GroupInfo, cls: string): string | null {
    let jobReason = this.jobByClass.get(cls);
    if (jobReason === undefined) {
      jobReason = this.checkJob(node);
      this.jobByClass.set(cls, jobReason);
    }
    if (jobReason !== null) return jobReason;
    let byClass = this.groupByClass.get(info.tg.Name);
    if (!byClass) {
      byClass = new Map();
      this.groupByClass.set(info.tg.Name, byClass);
    }
    let reason = byClass.get(cls);
    if (reason === undefined) {
      reason = this.checkGroup(node, info);
      byClass.set(cls, reason);
    }
    return reason;
  }

  private check(node: Node, info: GroupInfo, metric: AllocMetric, cls: string): boolean {
    // Job-level constraints.
    if (this.jobEscapes || !cls) {
      this.escapedSeen ||= this.jobEscapes;
      const reason = this.checkJob(node);
      if (reason !== null) {
        filterNode(metric, node, reason);
        return false;
      }
    } else {
      let reason = this.jobByClass.get(cls);
      if (reason === undefined) {
        reason = this.checkJob(node);
        this.jobByClass.set(cls, reason);
      }
      if (reason !== null) {
        filterNode(metric, node, reason);
        return false;
      }
    }
    // Group-level drivers and constraints.
    let reason: string | null | undefined;
    if (info.escapes || !cls) {
      this.escapedSeen ||= info.escapes;
      reason = this.checkGroup(node, info);
    } else {
      let byClass = this.groupByClass.get(info.tg.Name);
      if (!byClass) {
        byClass = new Map();
        this.groupByClass.set(info.tg.Name, byClass);
      }
      reason = byClass.get(cls);
      if (reason === undefined) {
        reason = this.checkGroup(node, info);
        byClass.set(cls, reason);
      }
    }
    if (reason !== null) {
      filterNode(metric, node, reason);
      return false;
    }
    return true;
  }

  private checkJob(node: Node): string | null {
    for (const c of this.jobConstraints) if (!this.matcher.matches(c, node)) return constraintString(c);
    return null;
  }

  private checkGroup(node: Node, info: GroupInfo): string | null {
    for (const d of info.drivers) if (!driverHealthy(node, d)) return MISSING_DRIVERS;
    for (const v of info.hostVolumes) {
      const offered = node.HostVolumes?.[v.source];
      if (!offered || (offered.ReadOnly && !v.readOnly)) return MISSING_HOST_VOLUMES;
    }
    for (const c of info.constraints) if (!this.matcher.matches(c, node)) return constraintString(c);
    return null;
  }

  /** For a blocked eval: which computed classes could run some group of the job. */
  classEligibility(): Record<string, boolean> | null {
    const out: Record<string, boolean> = {};
    const groupOk = new Map<string, boolean>();
    for (const byClass of this.groupByClass.values()) {
      for (const [cls, reason] of byClass) groupOk.set(cls, groupOk.get(cls) === true || reason === null);
    }
    for (const cls of new Set([...this.jobByClass.keys(), ...groupOk.keys()])) {
      const jobReason = this.jobByClass.get(cls);
      out[cls] = jobReason !== undefined && jobReason !== null ? false : (groupOk.get(cls) ?? true);
    }
    return Object.keys(out).length > 0 ? out : null;
  }

  /** Some constraint named a unique node value: class eligibility alone cannot unblock the eval. */
  escaped(): boolean {
    return this.escapedSeen;
  }
}
