// The periodic dispatcher (a leader duty): launches a child of every active periodic job at the
// times its cron spec names, on the server's clock. It is rebuilt from the state whenever this
// server takes up leadership (launches missed while no leader ran are made up once at once),
// follows the applied entries that register, stop or purge jobs, and stops with leadership.
// A launch is one JobRegister entry holding the child job and its evaluation; the FSM records
// the launch time that the next leader recovers from.
import type { TimerHandle } from '../structs/clock.js';
import { NomadError, badRequest, notFound } from '../structs/errors.js';
import type { Job } from '../structs/job.js';
import { PERIODIC_LAUNCH_SUFFIX, derivePeriodicChild, isPeriodicActive, nextLaunchMs } from '../structs/periodic.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateReader, StateStoreView } from '../state/reader.js';
import { nsKey } from '../state/tables.js';
import type { ApplyResult } from './consensus.js';
import { jobEval, type ServerEnv } from './eval-factory.js';
import type { Logger } from './logger.js';

export interface PeriodicDispatcherDeps {
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  logger: Logger;
  env: ServerEnv;
}

export interface ForceLaunchResult {
  EvalID: string;
  EvalCreateIndex: number;
  Index: number;
}

interface Tracked {
  job: Job;
  timer: TimerHandle | null;
  /** The launch the timer is armed for (wall-clock ms), null when the spec names no later time. */
  nextMs: number | null;
}

/** Whether a periodic parent has a child that is not dead yet (prohibit_overlap). */
export function hasRunningChild(snap: StateReader, parent: Job): boolean {
  return snap.jobsByIDPrefix(parent.Namespace, parent.ID + PERIODIC_LAUNCH_SUFFIX).some((c) => c.ParentID === parent.ID && c.Status !== 'dead');
}

export class PeriodicDispatcher {
  private enabled = false;
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly deps: PeriodicDispatcherDeps) {}

  /** Jobs tracked now (for stats and tests). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  /** The next launch armed for a job (wall-clock ms), or null. */
  nextLaunch(namespace: string, jobId: string): number | null {
    return this.tracked.get(nsKey(namespace, jobId))?.nextMs ?? null;
  }

  /** Takes up the duty: tracks every active periodic job and makes up launches missed meanwhile. */
  start(): void {
    this.enabled = true;
    this.rebuild();
  }

  stop(): void {
    this.enabled = false;
    for (const t of this.tracked.values()) this.deps.env.clock.clearTimeout(t.timer);
    this.tracked.clear();
  }

  /** After a snapshot restore replaced the state: forget everything and track it afresh. */
  rebuild(): void {
    if (!this.enabled) return;
    for (const t of this.tracked.values()) this.deps.env.clock.clearTimeout(t.timer);
    this.tracked.clear();
    const snap = this.deps.store.snapshot();
    const nowMs = this.deps.env.clock.nowMs();
    for (const job of snap.jobs('*')) {
      if (!isPeriodicActive(job)) continue;
      this.track(job);
      const launch = snap.periodicLaunch(job.Namespace, job.ID);
      const lastMs = launch ? Date.parse(launch.Launch) : NaN;
      const missed = Number.isFinite(lastMs) ? nextLaunchMs(job.Periodic!, lastMs) : null;
      if (missed !== null && missed < nowMs) {
        this.deps.logger.debug('periodic job force run during leadership establishment', { job: job.ID, ns: job.Namespace });
        this.launchNow(job).catch((e) => this.deps.logger.warn('launching a missed periodic job failed', { job: job.ID, ns: job.Namespace, error: String(e) }));
      }
    }
  }

  /** Follows an applied entry: jobs it registered, stopped or purged are tracked anew. */
  followApplied(entry: LogEntry): void {
    if (!this.enabled) return;
    switch (entry.Type) {
      case 'JobRegister':
        return this.sync(entry.Job.Namespace, entry.Job.ID);
      case 'JobDeregister':
        return this.sync(entry.Namespace, entry.JobID);
      case 'JobBatchDelete':
        for (const j of entry.Jobs) this.sync(j.Namespace, j.JobID);
        return;
      case 'DeploymentStatus':
      case 'DeploymentAllocHealth':
        if (entry.Job) this.sync(entry.Job.Namespace, entry.Job.ID);
        return;
      default:
        return;
    }
  }

  /** `nomad job periodic force`: launches a child now, whatever prohibit_overlap says. */
  async force(namespace: string, jobId: string): Promise<ForceLaunchResult> {
    const job = this.deps.store.snapshot().jobByID(namespace, jobId);
    if (!job) throw notFound('job not found');
    if (!job.Periodic || !job.Periodic.Enabled || job.ParameterizedJob !== null) throw badRequest("can't force launch non-periodic job", 'JobID');
    if (!this.enabled) throw new NomadError('internal', 'periodic dispatch disabled');
    if (!this.tracked.has(nsKey(namespace, jobId))) throw badRequest(`can't force run non-tracked job "${jobId}" (${namespace}): the job is stopped`, 'JobID');
    return this.launchNow(job);
  }

  private sync(namespace: string, jobId: string): void {
    const job = this.deps.store.snapshot().jobByID(namespace, jobId);
    if (job && isPeriodicActive(job)) this.track(job);
    else this.untrack(nsKey(namespace, jobId));
  }

  private untrack(key: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    this.deps.env.clock.clearTimeout(t.timer);
    this.tracked.delete(key);
  }

  /** Tracks a job (again): a changed spec or time zone re-arms its timer from now. */
  private track(job: Job): void {
    const key = nsKey(job.Namespace, job.ID);
    const old = this.tracked.get(key);
    if (old && sameSchedule(old.job, job)) {
      old.job = job;
      return;
    }
    this.untrack(key);
    const t: Tracked = { job, timer: null, nextMs: null };
    this.tracked.set(key, t);
    this.arm(key, t, this.deps.env.clock.nowMs());
  }

  /** Arms the timer for the first launch strictly after `afterMs`. */
  private arm(key: string, t: Tracked, afterMs: number): void {
    const { clock } = this.deps.env;
    t.nextMs = nextLaunchMs(t.job.Periodic!, afterMs);
    if (t.nextMs === null) return;
    const launchMs = t.nextMs;
    t.timer = clock.setTimeout(() => void this.fire(key, t, launchMs), Math.max(0, launchMs - clock.nowMs()));
  }

  private async fire(key: string, t: Tracked, launchMs: number): Promise<void> {
    t.timer = null;
    if (!this.enabled || this.tracked.get(key) !== t) return;
    const snap = this.deps.store.snapshot();
    const job = snap.jobByID(t.job.Namespace, t.job.ID);
    if (!job || !isPeriodicActive(job)) return this.untrack(key);
    t.job = job;
    // The next launch is armed before this one is written, counting from the planned time: a
    // slow write or a late timer never shifts the schedule.
    this.arm(key, t, launchMs);
    if (job.Periodic!.ProhibitOverlap && hasRunningChild(snap, job)) {
      this.deps.logger.debug('skipping launch of periodic job because job prohibits overlap', { job: job.ID, ns: job.Namespace });
      return;
    }
    try {
      await this.launch(job, launchMs);
    } catch (e) {
      this.deps.logger.error('failed to launch periodic job', { job: job.ID, ns: job.Namespace, error: String(e) });
    }
  }

  private launchNow(job: Job): Promise<ForceLaunchResult> {
    return this.launch(job, this.deps.env.clock.nowMs());
  }

  private async launch(parent: Job, launchMs: number): Promise<ForceLaunchResult> {
    const { env } = this.deps;
    const child = derivePeriodicChild(parent, launchMs);
    const ev = jobEval(env, child, 'periodic-job');
    const res = await this.deps.apply({ Type: 'JobRegister', Job: child, Eval: ev, SubmitTimeNs: env.clock.nowNs() });
    if (res.result instanceof Error) throw res.result;
    this.deps.logger.debug('launched periodic job', { job: parent.ID, ns: parent.Namespace, child: child.ID });
    return { EvalID: ev.ID, EvalCreateIndex: res.index, Index: res.index };
  }
}

function sameSchedule(a: Job, b: Job): boolean {
  const p = a.Periodic!;
  const q = b.Periodic!;
  return p.Spec === q.Spec && p.SpecType === q.SpecType && p.TimeZone === q.TimeZone;
}
