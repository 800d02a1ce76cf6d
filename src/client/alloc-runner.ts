// Runs one allocation: builds its directory, runs its tasks in lifecycle order (prestart,
// main, poststart, poststop; sidecars alongside), kills siblings when one fails or the leader
// dies, tracks deployment health, and tells the client when its reported state changed.
import type { Node } from '../structs/node.js';
import type { AllocResourceUsage, TaskResourceUsage } from '../rpc/client-endpoints.js';
import type { AllocClientUpdate } from '../rpc/protocol.js';
import type { AllocDeploymentStatus, Allocation, TaskEvent } from '../structs/alloc.js';
import { clientTerminal } from '../structs/alloc.js';
import type { Job, TaskGroup } from '../structs/job.js';
import type { Metrics } from '../structs/metrics.js';
import { NS_PER_MS, nowNs, rfc3339Nano } from '../structs/time.js';
import type { TaskDriver } from '../drivers/driver.js';
import { emptyUsage } from '../drivers/proc-stats.js';
import { AllocDir } from './alloc-dir.js';
import { AllocHealthTracker } from './alloc-health.js';
import { aggregateClientStatus } from './alloc-status.js';
import type { InterpolationNode } from './interpolate.js';
import { events } from './task-events.js';
import { TaskRunner } from './task-runner.js';
import type { AllocRecord, RestoredAlloc } from './state/client-state.js';

export interface AllocRunnerDeps {
  alloc: Allocation;
  drivers: Map<string, TaskDriver>;
  /** <data_dir>/alloc: each allocation gets <allocRoot>/<allocID>. */
  allocRoot: string;
  node: () => InterpolationNode | null;
  region: string;
  maxKillTimeoutMs: number;
  hostEnv: Record<string, string | undefined>;
  /** This node's host volumes (client config), by name. */
  hostVolumes?: Node['HostVolumes'];
  /** The reported state changed; `terminal` asks for an immediate flush. */
  onUpdate: (allocId: string, terminal: boolean) => void;
  /** A task's state changed: what the client keeps of it across restarts. */
  onTaskState?: (allocId: string, task: TaskRunner) => void;
  /** The allocation's own record changed (a new version, its deployment health). */
  onRecord?: (rec: AllocRecord) => void;
  random?: () => number;
  /** What an earlier client process kept of this allocation: its tasks are reattached, not started anew. */
  restored?: RestoredAlloc;
  /** Resolves when tasks may be (re)started; see TaskRunnerDeps.mayStart. */
  mayStart?: () => Promise<void>;
  logger?: { warn(msg: string, fields?: Record<string, unknown>): void };
  /** With publish_allocation_metrics: where the tasks count their starts, restarts and ends. */
  metrics?: Metrics | null;
}

type Phase = 'prestart' | 'main' | 'poststart' | 'poststop';

function phaseOf(tr: TaskRunner): Phase {
  const hook = tr.lifecycle?.hook;
  return hook === 'prestart' || hook === 'poststart' || hook === 'poststop' ? hook : 'main';
}

export class AllocRunner {
  alloc: Allocation;
  readonly allocDir: AllocDir;
  private job: Job;
  private group: TaskGroup;
  private readonly tasks = new Map<string, TaskRunner>();
  private readonly waiters = new Set<() => void>();
  private deploymentStatus: AllocDeploymentStatus | null;
  private health: AllocHealthTracker | null = null;
  private stopping = false;
  private siblingsKilled = false;
  private runPromise: Promise<void> | null = null;
  private finished = false;
  /** When the runner reached a terminal client status, for the client's GC ordering. */
  terminalAtMs: number | null = null;

  constructor(private readonly deps: AllocRunnerDeps) {
    this.alloc = deps.alloc;
    if (!deps.alloc.Job) throw new Error(`allocation ${deps.alloc.ID} arrived without its job`);
    this.job = deps.alloc.Job;
    const group = this.job.TaskGroups.find((g) => g.Name === deps.alloc.TaskGroup);
    if (!group) throw new Error(`allocation ${deps.alloc.ID}: task group "${deps.alloc.TaskGroup}" not found in job "${this.job.ID}"`);
    this.group = group;
    this.deploymentStatus = deps.restored ? deps.restored.deploymentStatus : (deps.alloc.DeploymentStatus ?? null);
    this.allocDir = new AllocDir(deps.allocRoot, deps.alloc.ID);
    for (const task of group.Tasks) {
      this.tasks.set(
        task.Name,
        new TaskRunner({
          alloc: this.alloc,
          job: this.job,
          group,
          task,
          driver: deps.drivers.get(task.Driver),
          allocDir: this.allocDir,
          node: deps.node,
          region: deps.region,
          maxKillTimeoutMs: deps.maxKillTimeoutMs,
          hostEnv: deps.hostEnv,
          hostVolumes: deps.hostVolumes,
          onStateChange: (name) => this.onTaskChange(name),
          random: deps.random,
          ...(deps.restored?.tasks.has(task.Name) ? { restored: deps.restored.tasks.get(task.Name)! } : {}),
          ...(deps.mayStart ? { mayStart: deps.mayStart } : {}),
          ...(deps.logger ? { logger: deps.logger } : {}),
          metrics: deps.metrics ?? null,
        }),
      );
    }
  }

  get id(): string {
    return this.alloc.ID;
  }

  taskRunner(name: string): TaskRunner | undefined {
    return this.tasks.get(name);
  }

  taskRunners(): TaskRunner[] {
    return [...this.tasks.values()];
  }

  taskNames(): string[] {
    return [...this.tasks.keys()];
  }

  /** True once every task is dead: nothing more will change. */
  get isFinished(): boolean {
    return this.finished;
  }

  private lastReportedStatus = '';

  /** Settles once every restored task was reattached to or found gone. */
  whenResumed(): Promise<void> {
    return Promise.all([...this.tasks.values()].map((t) => t.resumed)).then(() => undefined);
  }

  /** What the client keeps of the allocation itself across restarts. */
  record(): AllocRecord {
    return { alloc: this.alloc, deploymentStatus: this.deploymentStatus };
  }

  private onTaskChange(name: string): void {
    const t = this.tasks.get(name);
    if (t) this.deps.onTaskState?.(this.alloc.ID, t);
    this.observeHealth();
    for (const w of [...this.waiters]) w();
    const { status } = aggregateClientStatus(this.taskStates());
    const terminal = clientTerminal(status) && [...this.tasks.values()].every((t) => t.isDead);
    if (terminal && this.terminalAtMs === null) this.terminalAtMs = Date.now();
    this.reactToFailures();
    // A change of the allocation's client status (to running, or terminal) is what users and
    // deployments wait for: it is sent at once; task events in between are batched. "pending"
    // is what the servers already hold for a new allocation: sent at once, it would occupy the
    // one update in flight just as the task starts, and "running" would wait for its answer.
    const statusChanged = status !== this.lastReportedStatus;
    this.lastReportedStatus = status;
    this.deps.onUpdate(this.alloc.ID, terminal || (statusChanged && status !== 'pending'));
  }

  private *taskStates() {
    for (const t of this.tasks.values()) yield t.state;
  }

  /** Resolves once `pred` holds; re-checked after every task state change. */
  private waitUntil(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (pred()) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  private byPhase(phase: Phase, sidecar?: boolean): TaskRunner[] {
    return [...this.tasks.values()].filter((t) => phaseOf(t) === phase && (sidecar === undefined || !!t.lifecycle?.sidecar === sidecar));
  }

  run(): Promise<void> {
    if (!this.runPromise) this.runPromise = this.runPhases();
    return this.runPromise;
  }

  private async runPhases(): Promise<void> {
    this.startHealth();
    try {
      await this.allocDir.build();
    } catch (err) {
      const msg = `failed to build allocation directory: ${(err as Error).message}`;
      for (const t of this.tasks.values()) t.emit(events.setupFailure(msg));
      await Promise.all([...this.tasks.values()].map((t) => t.kill()));
      return this.finish();
    }
    const stopped = (): boolean => this.stopping || this.siblingsKilled;

    // prestart: ephemeral tasks run to completion; sidecars keep running beside the main tasks.
    const prestartOnce = this.byPhase('prestart', false);
    const prestartSidecars = this.byPhase('prestart', true);
    prestartOnce.forEach((t) => void t.run());
    prestartSidecars.forEach((t) => void t.run());
    await this.waitUntil(() => stopped() || (prestartOnce.every((t) => t.isDead) && prestartSidecars.every((t) => t.isDead || t.state.State === 'running')));
    if (!stopped() && prestartOnce.some((t) => t.state.Failed)) this.killLive(null);

    const main = this.byPhase('main');
    const poststart = this.byPhase('poststart');
    if (!stopped()) {
      main.forEach((t) => void t.run());
      await this.waitUntil(() => stopped() || main.every((t) => t.isDead || t.state.State === 'running'));
      // A task reattached after a client restart was running all along: no state change tells
      // the health tracker, so it looks now.
      this.observeHealth();
      if (!stopped()) poststart.forEach((t) => void t.run());
    }
    await this.waitUntil(() => main.every((t) => t.isDead));
    // The main work is over: sidecars and leftover poststart tasks go with it.
    const rest = [...prestartSidecars, ...poststart, ...prestartOnce].filter((t) => !t.isDead);
    await Promise.all(rest.map((t) => t.kill(this.stopping ? null : events.mainDead())));

    const poststop = this.byPhase('poststop');
    poststop.forEach((t) => void t.run());
    await this.waitUntil(() => poststop.every((t) => t.isDead));
    // Tasks that ended by themselves get no "Killing" afterwards: nothing kills them (Nomad 1.1
    // emitted one; today's Nomad does not).
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.health?.stop();
    if (this.terminalAtMs === null) this.terminalAtMs = Date.now();
    this.deps.onUpdate(this.alloc.ID, true);
  }

  /** A failed task or a dead leader takes its siblings down, as in Nomad. */
  private reactToFailures(): void {
    if (this.siblingsKilled || this.stopping) return;
    for (const t of this.tasks.values()) {
      if (!t.isDead || phaseOf(t) === 'poststop') continue;
      if (t.state.Failed) {
        this.siblingsKilled = true;
        this.killLive(events.siblingFailed(t.name), t);
        return;
      }
      if (t.isLeader) {
        this.siblingsKilled = true;
        this.killLive(events.leaderDead(), t);
        return;
      }
    }
  }

  private killLive(event: TaskEvent | null, except?: TaskRunner): void {
    for (const t of this.tasks.values()) {
      if (t === except || t.isDead || phaseOf(t) === 'poststop') continue;
      // Each kill gets its own event object: events are recorded per task.
      void t.kill(event ? { ...event, Time: nowNs() } : null);
    }
  }

  private startHealth(): void {
    // A deployment's allocation is judged by the group's update block; any other service
    // allocation by its migrate block, so that a drain knows when a replacement is healthy.
    const u = this.alloc.DeploymentID ? this.group.Update : this.job.Type === 'service' ? this.group.Migrate : null;
    if (!u || u.HealthCheck === 'manual' || u.MaxParallel === 0) return;
    if (this.deploymentStatus?.Healthy !== null && this.deploymentStatus?.Healthy !== undefined) return;
    this.health?.stop();
    const deploymentId = this.alloc.DeploymentID;
    this.health = new AllocHealthTracker({
      minHealthyTimeMs: u.MinHealthyTime / NS_PER_MS,
      healthyDeadlineMs: u.HealthyDeadline / NS_PER_MS,
      onResult: (healthy) => {
        if (this.alloc.DeploymentID !== deploymentId) return;
        this.deploymentStatus = {
          Healthy: healthy,
          Timestamp: rfc3339Nano(nowNs()),
          Canary: this.deploymentStatus?.Canary ?? this.alloc.DeploymentStatus?.Canary ?? false,
          ModifyIndex: this.deploymentStatus?.ModifyIndex ?? 0,
        };
        this.deps.onRecord?.(this.record());
        this.deps.onUpdate(this.alloc.ID, false);
      },
    });
  }

  private observeHealth(): void {
    if (!this.health || this.health.done) return;
    const tracked = [...this.tasks.values()]
      .filter((t) => phaseOf(t) !== 'poststop' && !(phaseOf(t) === 'poststart' && !t.lifecycle?.sidecar))
      .map((t) => ({ state: t.state, ephemeral: phaseOf(t) === 'prestart' && !t.lifecycle?.sidecar }));
    this.health.observe(tracked);
  }

  /** A newer version of the allocation from the server: stop it, or update in place. */
  update(next: Allocation): void {
    if (next.AllocModifyIndex < this.alloc.AllocModifyIndex) return;
    const prevDeployment = this.alloc.DeploymentID;
    this.alloc = { ...next, Job: next.Job ?? this.job };
    this.deps.onRecord?.(this.record());
    if (next.DesiredStatus !== 'run') {
      void this.stop();
      return;
    }
    if (next.Job) {
      const group = next.Job.TaskGroups.find((g) => g.Name === next.TaskGroup);
      if (group) {
        this.job = next.Job;
        this.group = group;
        for (const task of group.Tasks) this.tasks.get(task.Name)?.updateAlloc(this.alloc, next.Job, group, task);
      }
    }
    if (next.DeploymentID && next.DeploymentID !== prevDeployment) {
      // A new deployment judges health afresh (the in-place update joins the new rollout).
      this.deploymentStatus = next.DeploymentStatus ?? null;
      this.startHealth();
      this.observeHealth();
    }
    // Acknowledge the new version: the servers learn the client has taken it.
    this.deps.onUpdate(this.alloc.ID, false);
  }

  /** DesiredStatus stop/evict: kill every task (poststop tasks still run afterwards). */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.health?.stop();
      this.killLive(null);
      for (const t of this.tasks.values()) if (phaseOf(t) !== 'poststop' && !t.isDead) void t.kill();
      // Tasks of later phases that never started are dead without running.
      if (!this.runPromise) {
        await Promise.all([...this.tasks.values()].map((t) => t.kill()));
        this.finish();
        return;
      }
    }
    await this.runPromise;
  }

  /** Stops everything and deletes the allocation directory (server GC'd the allocation). */
  async destroy(): Promise<void> {
    await this.stop();
    await this.allocDir.destroy();
  }

  /** The client status the next update will report, without copying the task states. */
  clientStatus(): AllocClientUpdate['ClientStatus'] {
    return aggregateClientStatus(this.taskStates()).status;
  }

  clientUpdate(): AllocClientUpdate {
    const { status, description } = aggregateClientStatus(this.taskStates());
    const taskStates: AllocClientUpdate['TaskStates'] = {};
    for (const [name, t] of this.tasks) taskStates[name] = t.snapshot();
    return { ID: this.alloc.ID, ClientStatus: status, ClientDescription: description, TaskStates: taskStates, DeploymentStatus: this.deploymentStatus };
  }

  async stats(): Promise<AllocResourceUsage> {
    const total = emptyUsage();
    const tasks: Record<string, TaskResourceUsage> = {};
    await Promise.all(
      [...this.tasks.entries()].map(async ([name, t]) => {
        const s = await t.stats();
        if (s) tasks[name] = s;
      }),
    );
    for (const s of Object.values(tasks)) {
      const m = s.ResourceUsage.MemoryStats;
      const c = s.ResourceUsage.CpuStats;
      total.MemoryStats.RSS += m.RSS;
      total.MemoryStats.Cache += m.Cache;
      total.MemoryStats.Swap += m.Swap;
      total.MemoryStats.Usage += m.Usage;
      total.MemoryStats.MaxUsage += m.MaxUsage;
      total.CpuStats.SystemMode += c.SystemMode;
      total.CpuStats.UserMode += c.UserMode;
      total.CpuStats.TotalTicks += c.TotalTicks;
      total.CpuStats.Percent += c.Percent;
    }
    total.DeviceStats = [];
    return { ResourceUsage: total, Tasks: tasks, Timestamp: nowNs() };
  }
}
