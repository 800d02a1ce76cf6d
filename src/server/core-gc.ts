// The core garbage collector (leader only): removes what nobody needs any more once it is older
// than its threshold: dead jobs, terminal evals whose allocations are all terminal, terminal
// deployments, and down nodes with nothing left on them. `nomad system gc` forces a pass that
// ignores the thresholds. Age is measured through a table that maps log indexes to wall time.
import { allocTerminal } from '../structs/alloc.js';
import { deploymentActive, type Deployment } from '../structs/deployment.js';
import { evalTerminal } from '../structs/evaluation.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateReader, StateStoreView } from '../state/reader.js';
import type { ApplyResult } from './consensus.js';
import type { Logger } from './logger.js';
import { type Clock, every } from '../structs/clock.js';

export interface GcThresholds {
  jobGcThresholdMs: number;
  evalGcThresholdMs: number;
  deploymentGcThresholdMs: number;
  nodeGcThresholdMs: number;
}

export const defaultGcThresholds: GcThresholds = {
  jobGcThresholdMs: 4 * 3600_000,
  evalGcThresholdMs: 3600_000,
  deploymentGcThresholdMs: 3600_000,
  nodeGcThresholdMs: 24 * 3600_000,
};

export interface GcResult {
  jobs: number;
  evals: number;
  allocs: number;
  deployments: number;
  nodes: number;
}

/** Bound on the IDs deleted by one log entry, so that no entry grows without limit. */
const MAX_IDS_PER_ENTRY = 1_000;

/** Index -> time samples, at most one per granularity, bounded in count (oldest dropped). */
export class TimeTable {
  private readonly samples: Array<{ index: number; timeMs: number }> = [];
  constructor(
    private readonly granularityMs = 5_000,
    private readonly maxSamples = 20_000,
  ) {}

  witness(index: number, timeMs: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && (timeMs - last.timeMs < this.granularityMs || index <= last.index)) return;
    this.samples.push({ index, timeMs });
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
  }

  /** The highest index known to have been reached at or before timeMs (0 when none). */
  nearestIndex(timeMs: number): number {
    let lo = 0;
    let hi = this.samples.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.samples[mid]!.timeMs <= timeMs) {
        best = this.samples[mid]!.index;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }
}

export interface CoreGcDeps {
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  logger: Logger;
  thresholds?: Partial<GcThresholds>;
  intervalMs?: number;
  clock: Clock;
}

/**
 * A finished deployment still matters while allocations placed by it run (they refer to it),
 * and the latest deployment of a job that is not dead is that job's deployment status: neither
 * is collected, however old.
 */
function deploymentInUse(snap: StateReader, d: Deployment): boolean {
  if (!snap.allocsByDeployment(d.ID).every(allocTerminal)) return true;
  const job = snap.jobByID(d.Namespace, d.JobID);
  return job !== null && job.Status !== 'dead' && snap.latestDeploymentByJob(d.Namespace, d.JobID)?.ID === d.ID;
}

export class CoreGc {
  readonly timeTable = new TimeTable();
  private stopTimer: (() => void) | null = null;
  private readonly thresholds: GcThresholds;
  private running: Promise<GcResult> | null = null;

  constructor(private readonly deps: CoreGcDeps) {
    this.thresholds = { ...defaultGcThresholds, ...deps.thresholds };
  }

  start(): void {
    if (this.stopTimer) return;
    this.stopTimer = every(this.deps.clock, this.deps.intervalMs ?? 5 * 60_000, () => {
      this.run(false).catch((e) => this.deps.logger.warn('garbage collection failed', { error: String(e) }));
    });
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  /** One collection; concurrent callers share the pass in progress. */
  run(force: boolean): Promise<GcResult> {
    this.running ??= this.collect(force).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private cutoff(snap: StateReader, force: boolean, thresholdMs: number): number {
    if (force) return snap.latestIndex();
    const now = this.deps.clock.nowMs();
    return this.timeTable.nearestIndex(now - thresholdMs);
  }

  private async collect(force: boolean): Promise<GcResult> {
    const snap = this.deps.store.snapshot();
    const out: GcResult = { jobs: 0, evals: 0, allocs: 0, deployments: 0, nodes: 0 };

    // Terminal evals whose allocations are all terminal (batch allocs stay while their job lives).
    const evalCut = this.cutoff(snap, force, this.thresholds.evalGcThresholdMs);
    const evalIds: string[] = [];
    const allocIds: string[] = [];
    for (const ev of snap.evals('*')) {
      if (!evalTerminal(ev) || ev.ModifyIndex > evalCut) continue;
      const allocs = snap.allocsByEval(ev.ID);
      if (!allocs.every((a) => allocTerminal(a) && a.ModifyIndex <= evalCut)) continue;
      const job = snap.jobByID(ev.Namespace, ev.JobID);
      if (ev.Type === 'batch' && job && job.Status !== 'dead' && allocs.length > 0) continue;
      evalIds.push(ev.ID);
      for (const a of allocs) allocIds.push(a.ID);
    }
    for (let i = 0; i < evalIds.length; i += MAX_IDS_PER_ENTRY) {
      const evs = evalIds.slice(i, i + MAX_IDS_PER_ENTRY);
      const evSet = new Set(evs);
      const allocs = allocIds.filter((id) => evSet.has(snap.allocByID(id)?.EvalID ?? ''));
      await this.write({ Type: 'EvalDelete', EvalIDs: evs, AllocIDs: allocs });
      out.evals += evs.length;
      out.allocs += allocs.length;
    }

    // Dead jobs with nothing left running.
    const jobCut = this.cutoff(snap, force, this.thresholds.jobGcThresholdMs);
    const jobs: Array<{ Namespace: string; JobID: string }> = [];
    for (const job of snap.jobs('*')) {
      if (job.Status !== 'dead' || job.ModifyIndex > jobCut) continue;
      if (job.Periodic?.Enabled || job.ParameterizedJob) {
        if (!job.Stop) continue; // a live periodic/parameterized parent is never collected
      }
      if (!snap.evalsByJob(job.Namespace, job.ID).every(evalTerminal)) continue;
      if (!snap.allocsByJob(job.Namespace, job.ID, true).every(allocTerminal)) continue;
      jobs.push({ Namespace: job.Namespace, JobID: job.ID });
    }
    for (let i = 0; i < jobs.length; i += MAX_IDS_PER_ENTRY) {
      const batch = jobs.slice(i, i + MAX_IDS_PER_ENTRY);
      await this.write({ Type: 'JobBatchDelete', Jobs: batch });
      out.jobs += batch.length;
    }

    const depCut = this.cutoff(snap, force, this.thresholds.deploymentGcThresholdMs);
    const deps = snap
      .deployments('*')
      .filter((d) => !deploymentActive(d) && d.ModifyIndex <= depCut && !deploymentInUse(snap, d))
      .map((d) => d.ID);
    for (let i = 0; i < deps.length; i += MAX_IDS_PER_ENTRY) {
      const batch = deps.slice(i, i + MAX_IDS_PER_ENTRY);
      await this.write({ Type: 'DeploymentDelete', DeploymentIDs: batch });
      out.deployments += batch.length;
    }

    const nodeCut = this.cutoff(snap, force, this.thresholds.nodeGcThresholdMs);
    const nodes = snap
      .nodes()
      .filter((n) => n.Status === 'down' && n.ModifyIndex <= nodeCut && snap.allocsByNode(n.ID).every(allocTerminal))
      .map((n) => n.ID);
    for (let i = 0; i < nodes.length; i += MAX_IDS_PER_ENTRY) {
      const batch = nodes.slice(i, i + MAX_IDS_PER_ENTRY);
      await this.write({ Type: 'NodeDeregister', NodeIDs: batch });
      out.nodes += batch.length;
    }
    if (out.jobs + out.evals + out.deployments + out.nodes > 0) this.deps.logger.debug('garbage collected', { ...out, force });
    return out;
  }

  private async write(entry: LogEntry): Promise<void> {
    const res = await this.deps.apply(entry);
    if (res.result instanceof Error) throw res.result;
  }
}
