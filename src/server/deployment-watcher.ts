// The deployment watcher (leader only): follows each active deployment through the health that
// clients report for its allocations. It creates evals so that a rolling update places its next
// batch once allocations turn healthy, promotes canaries when auto_promote says so, marks the
// deployment successful when every group is healthy, and fails it on unhealthy allocations or a
// missed progress deadline (rolling back to the latest stable version when auto_revert is set).
import type { Allocation, DesiredTransition } from '../structs/alloc.js';
import type { Deployment, DeploymentStatusName } from '../structs/deployment.js';
import { DeploymentDescriptions, deploymentActive } from '../structs/deployment.js';
import type { Job } from '../structs/job.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateReader, StateStoreView } from '../state/reader.js';
import { watchKey, type WatchKey } from '../state/watch-keys.js';
import type { ApplyResult } from './consensus.js';
import type { Logger } from './logger.js';
import { jobEval, type ServerEnv } from './eval-factory.js';

export interface DeploymentWatcherDeps {
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  logger: Logger;
  env: ServerEnv;
  /** Upper bound on one wait for state changes; deadlines are checked at least this often. */
  pollMs?: number;
}

interface GroupHealth {
  healthy: number;
  unhealthy: number;
  healthyCanaries: number;
}

export class DeploymentWatcher {
  private running = false;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;
  /** Healthy allocations seen per deployment: an increase means the next batch may go. */
  private readonly lastHealthy = new Map<string, number>();
  /**
   * Per deployment, the state index its last full check saw and the earliest progress deadline
   * still ahead of it: a pass skips a deployment whose job, deployment row and allocations are
   * unchanged since, until that deadline, so a pass costs O(changed) rather than O(active).
   */
  private readonly checked = new Map<string, { index: number; nextDeadlineMs: number; keys: readonly WatchKey[] }>();

  constructor(private readonly deps: DeploymentWatcherDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    await this.loop;
    this.loop = null;
    this.lastHealthy.clear();
    this.checked.clear();
  }

  private now(): number {
    return this.deps.env.clock.nowMs();
  }

  private async run(): Promise<void> {
    let seen = 0;
    while (this.running) {
      const snap = this.deps.store.snapshot();
      seen = Math.max(snap.tableIndex('deployment'), snap.tableIndex('allocs'));
      try {
        await this.checkAll(snap);
      } catch (e) {
        this.deps.logger.warn('deployment watcher pass failed', { error: e instanceof Error ? e.message : String(e) });
      }
      if (!this.running) break;
      try {
        await this.deps.store.waitForChange(['deployment', 'allocs'], seen, this.deps.pollMs ?? 1_000, this.abort!.signal);
      } catch {
        // aborted on stop
      }
    }
  }

  /** One pass over the active deployments. */
  async checkAll(snap: StateReader): Promise<void> {
    const active = new Set<string>();
    for (const d of snap.deployments('*')) {
      if (!deploymentActive(d)) continue;
      active.add(d.ID);
      if (d.Status === 'paused') continue;
      if (this.unchangedSinceCheck(d)) continue;
      const nextDeadlineMs = await this.check(snap, d);
      const keys = this.checked.get(d.ID)?.keys ?? [watchKey.deploymentAllocs(d.ID), watchKey.job(d.Namespace, d.JobID)];
      this.checked.set(d.ID, { index: snap.latestIndex(), nextDeadlineMs, keys });
    }
    for (const id of this.lastHealthy.keys()) if (!active.has(id)) this.lastHealthy.delete(id);
    for (const id of this.checked.keys()) if (!active.has(id)) this.checked.delete(id);
  }

  /** Nothing the check reads changed since it last ran, and no deadline of it has passed. */
  private unchangedSinceCheck(d: Deployment): boolean {
    const last = this.checked.get(d.ID);
    if (last === undefined || d.ModifyIndex > last.index || this.now() > last.nextDeadlineMs) return false;
    return this.deps.store.keysIndex(last.keys) <= last.index;
  }

  /** Acts on one deployment; returns the earliest progress deadline (ms) it still waits on. */
  private async check(snap: StateReader, d: Deployment): Promise<number> {
    const job = snap.jobByID(d.Namespace, d.JobID);
    if (!job) return Infinity;
    const allocs = snap.allocsByDeployment(d.ID);
    const health = groupHealth(d, allocs);

    // Unhealthy allocations fail a group that has no progress deadline to recover within.
    for (const [name, g] of Object.entries(d.TaskGroups)) {
      if ((health[name]?.unhealthy ?? 0) > 0 && g.ProgressDeadline === 0) {
        await this.fail(snap, d, job, DeploymentDescriptions.failedAllocations);
        return Infinity;
      }
    }
    // With a progress deadline the group may still make it: its unhealthy allocations are
    // handed to the reschedule policy, and only the deadline fails the deployment.
    const replace = allowReplacements(d, allocs);
    if (replace.length > 0) {
      const transitions: Record<string, DesiredTransition> = {};
      for (const a of replace) transitions[a.ID] = { Migrate: null, Reschedule: true, ForceReschedule: null };
      await this.write({ Type: 'AllocDesiredTransition', Transitions: transitions, Evals: [jobEval(this.deps.env, job, 'deployment-watcher', { DeploymentID: d.ID })] });
    }
    // A group that has not finished by its RequireProgressBy time fails the deployment.
    let nextDeadlineMs = Infinity;
    for (const [name, g] of Object.entries(d.TaskGroups)) {
      if (g.ProgressDeadline <= 0 || !g.RequireProgressBy || groupDone(g, health[name])) continue;
      const byMs = Date.parse(g.RequireProgressBy);
      if (!Number.isFinite(byMs) || byMs <= 0) continue;
      if (this.now() > byMs) {
        await this.fail(snap, d, job, DeploymentDescriptions.progressDeadline);
        return Infinity;
      }
      nextDeadlineMs = Math.min(nextDeadlineMs, byMs);
    }

    const healthyTotal = Object.values(health).reduce((s, h) => s + h.healthy, 0);
    const before = this.lastHealthy.get(d.ID) ?? 0;
    this.lastHealthy.set(d.ID, healthyTotal);
    if (healthyTotal > before) {
      // New healthy allocations: let the scheduler place the next batch of the rolling update.
      await this.write({ Type: 'EvalUpsert', Evals: [jobEval(this.deps.env, job, 'deployment-watcher', { DeploymentID: d.ID, JobModifyIndex: job.JobModifyIndex })] });
    }

    if (this.canAutoPromote(d, health)) {
      await this.write({ Type: 'DeploymentPromote', DeploymentID: d.ID, Groups: [], Eval: jobEval(this.deps.env, job, 'deployment-watcher', { DeploymentID: d.ID }) });
      return nextDeadlineMs;
    }

    const allDone = Object.entries(d.TaskGroups).every(([name, g]) => groupDone(g, health[name]));
    if (allDone) {
      await this.setStatus(d, 'successful', DeploymentDescriptions.successful, null);
      await this.write({ Type: 'JobStability', Namespace: d.Namespace, JobID: d.JobID, JobVersion: d.JobVersion, Stable: true });
    }
    return nextDeadlineMs;
  }

  private canAutoPromote(d: Deployment, health: Record<string, GroupHealth>): boolean {
    let any = false;
    for (const [name, g] of Object.entries(d.TaskGroups)) {
      if (g.DesiredCanaries === 0 || g.Promoted) continue;
      if (!g.AutoPromote) return false;
      if ((health[name]?.healthyCanaries ?? 0) < g.DesiredCanaries) return false;
      any = true;
    }
    return any;
  }

  private async fail(snap: StateReader, d: Deployment, job: Job, description: string): Promise<void> {
    const autoRevert = Object.values(d.TaskGroups).some((g) => g.AutoRevert);
    const stable = autoRevert ? latestStableBefore(snap, d) : null;
    if (stable) {
      const rollback: Job = { ...stable, Stop: false };
      await this.setStatus(d, 'failed', `${description} - rolling back to job version ${stable.Version}`, rollback);
    } else {
      await this.setStatus(d, 'failed', description, null, job);
    }
  }

  private async setStatus(d: Deployment, status: DeploymentStatusName, description: string, rollback: Job | null, job?: Job): Promise<void> {
    const evalJob = rollback ?? job ?? null;
    await this.write({
      Type: 'DeploymentStatus',
      DeploymentID: d.ID,
      Status: status,
      StatusDescription: description,
      Job: rollback,
      Eval: evalJob && status === 'failed' ? jobEval(this.deps.env, evalJob, 'deployment-watcher', { DeploymentID: d.ID }) : null,
      TimestampNs: this.deps.env.clock.nowNs(),
    });
    this.lastHealthy.delete(d.ID);
  }

  private async write(entry: LogEntry): Promise<void> {
    const res = await this.deps.apply(entry);
    if (res.result instanceof Error) throw res.result;
  }
}

function groupHealth(d: Deployment, allocs: Allocation[]): Record<string, GroupHealth> {
  const out: Record<string, GroupHealth> = {};
  for (const name of Object.keys(d.TaskGroups)) out[name] = { healthy: 0, unhealthy: 0, healthyCanaries: 0 };
  for (const a of allocs) {
    const g = out[a.TaskGroup];
    if (!g || a.DesiredStatus !== 'run') continue;
    const h = a.DeploymentStatus?.Healthy;
    if (h === true) {
      g.healthy++;
      if (a.DeploymentStatus?.Canary) g.healthyCanaries++;
    } else if (h === false) {
      g.unhealthy++;
    }
  }
  return out;
}

/** Unhealthy allocations of progress-based groups not yet marked for rescheduling. */
export function allowReplacements(d: Deployment, allocs: Allocation[]): Allocation[] {
  return allocs.filter((a) => {
    const g = d.TaskGroups[a.TaskGroup];
    return (
      g !== undefined &&
      g.ProgressDeadline !== 0 &&
      a.DesiredStatus === 'run' &&
      a.DeploymentStatus?.Healthy === false &&
      a.DesiredTransition?.Reschedule !== true
    );
  });
}

function groupDone(g: Deployment['TaskGroups'][string], h: GroupHealth | undefined): boolean {
  if (g.DesiredCanaries > 0 && !g.Promoted) return false;
  return Math.max(h?.healthy ?? 0, g.HealthyAllocs) >= g.DesiredTotal;
}

function latestStableBefore(snap: StateReader, d: Deployment): Job | null {
  for (const v of snap.jobVersions(d.Namespace, d.JobID)) {
    if (v.Stable && v.Version < d.JobVersion) return v;
  }
  return null;
}
