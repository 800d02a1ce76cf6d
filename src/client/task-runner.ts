// Runs one task of an allocation through its life: setup, start, wait, restart per policy, kill.
// Owns the task's TaskState (events, restarts, times); the alloc runner reads it to aggregate.
import type { ExecOptions, ExecSession } from '../drivers/exec-session.js';
import { badRequest } from '../structs/errors.js';
import type { Node } from '../structs/node.js';
import { randomBytes } from 'node:crypto';
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import type { Allocation, TaskEvent, TaskState } from '../structs/alloc.js';
import type { Job, RestartPolicy, Task, TaskGroup } from '../structs/job.js';
import { NS_PER_MS, rfc3339Nano, nowNs } from '../structs/time.js';
import type { Metrics } from '../structs/metrics.js';
import { DriverStartError, type ExitResult, type TaskDriver, type TaskHandle } from '../drivers/driver.js';
import type { AllocDir, TaskDirPaths } from './alloc-dir.js';
import { artifactEvents } from './artifact-events.js';
import { fetchArtifacts } from './artifacts.js';
import { writeDispatchPayload } from './dispatch-payload.js';
import { resolveVolumeMounts } from './volume-mounts.js';
import type { VolumeMountSpec } from '../drivers/driver.js';
import { interpolateString, interpolateValue, type InterpolationNode } from './interpolate.js';
import { LogRotator } from '../drivers/log-rotator.js';
import { decideRestart, initialRestartState, type RestartInput, type RestartTrackerState } from './restart-policy.js';
import { events, MAX_TASK_EVENTS, TaskEventTypes } from './task-events.js';
import { buildTaskEnv } from './task-env.js';
import type { TaskRecord } from './state/client-state.js';
import { allocTaskLabels } from './alloc-metric-labels.js';

const MIB = 1024 * 1024;
const DEFAULT_KILL_TIMEOUT_MS = 5_000;
const DEFAULT_RESTART_POLICY: RestartPolicy = { Attempts: 2, Interval: 30 * 60 * 1e9, Delay: 15 * 1e9, Mode: 'fail' };

export interface TaskRunnerDeps {
  alloc: Allocation;
  job: Job;
  group: TaskGroup;
  task: Task;
  driver: TaskDriver | undefined;
  allocDir: AllocDir;
  node: () => InterpolationNode | null;
  region: string;
  maxKillTimeoutMs: number;
  hostEnv: Record<string, string | undefined>;
  /** This node's host volumes (client config), by name. */
  hostVolumes?: Node['HostVolumes'];
  /** Called after every change of the task's state, for the alloc runner to aggregate and report. */
  onStateChange: (taskName: string) => void;
  /** What an earlier client process kept of this task: its state, restarts and driver handle. */
  restored?: TaskRecord;
  /**
   * Resolves when the task may be started (again). A restored allocation waits until the servers
   * confirmed that it should still run, so that nothing replaced meanwhile is started twice.
   */
  mayStart?: () => Promise<void>;
  random?: () => number;
  logger?: { warn(msg: string, fields?: Record<string, unknown>): void };
  /** With publish_allocation_metrics: counts the task's starts, restarts and ends (nomad.client.allocs.*). */
  metrics?: Metrics | null;
}

type StartOutcome = { kind: 'startError'; recoverable: boolean } | { kind: 'exit'; exit: ExitResult };

interface KillRequest {
  event: TaskEvent | null;
  done: Promise<void>;
}

export class TaskRunner {
  readonly name: string;
  readonly state: TaskState;
  private deps: TaskRunnerDeps;
  private restartState: RestartTrackerState;
  private currentId: string | null = null;
  private killReq: KillRequest | null = null;
  private wake: (() => void) | null = null;
  private restartRequested: string | null = null;
  private stdout: LogRotator | null = null;
  private stderr: LogRotator | null = null;
  private runPromise: Promise<void> | null = null;
  private paths: TaskDirPaths | null = null;
  /** The driver's handle of the task started last, while it runs: what a restarted client reattaches to. */
  private handle: TaskHandle | null = null;

  constructor(deps: TaskRunnerDeps) {
    this.deps = deps;
    this.name = deps.task.Name;
    const r = deps.restored;
    if (r) {
      this.restartState = { ...r.restart };
      this.state = { ...r.state, Events: r.state.Events ? [...r.state.Events] : [] };
      this.handle = r.handle;
      if (!r.handle || r.handle.state !== 'running' || r.state.State === 'dead') this.resumedResolve();
      return;
    }
    this.resumedResolve();
    this.restartState = initialRestartState(Date.now());
    this.state = { State: 'pending', Failed: false, Restarts: 0, LastRestart: null, StartedAt: null, FinishedAt: null, Events: [], TaskHandle: null };
    this.emit(events.received());
  }

  private resumedResolve: () => void = () => undefined;
  /** Settles once a restored task was reattached to (or found gone); at once for anything else. */
  readonly resumed: Promise<void> = new Promise((r) => (this.resumedResolve = r));

  /** What the client keeps of this task across its own restarts. */
  record(): TaskRecord {
    return { state: this.snapshot(), restart: { ...this.restartState }, handle: this.handle };
  }

  get isDead(): boolean {
    return this.state.State === 'dead';
  }

  get lifecycle(): { hook: string; sidecar: boolean } | null {
    const l = this.deps.task.Lifecycle;
    return l && l.Hook ? { hook: l.Hook, sidecar: !!l.Sidecar } : null;
  }

  get isLeader(): boolean {
    return !!this.deps.task.Leader;
  }

  /** Records an event and tells the alloc runner; keeps the newest MAX_TASK_EVENTS. */
  emit(ev: TaskEvent): void {
    const list = this.state.Events ?? [];
    list.push(ev);
    if (list.length > MAX_TASK_EVENTS) list.splice(0, list.length - MAX_TASK_EVENTS);
    this.state.Events = list;
    if (ev.FailsTask) this.state.Failed = true;
    this.deps.onStateChange(this.name);
  }

  private setState(s: TaskState['State'], ev: TaskEvent | null): void {
    if (s !== this.state.State) this.countTransition(s, this.state.Failed || !!ev?.FailsTask);
    const now = nowNs();
    if (s === 'running' && this.state.State !== 'running') this.state.StartedAt = rfc3339Nano(now);
    if (s === 'dead') this.state.FinishedAt = rfc3339Nano(now);
    this.state.State = s;
    if (ev) this.emit(ev);
    else this.deps.onStateChange(this.name);
  }

  /** An in-place update: the new job version applies to future starts; the running task stays. */
  updateAlloc(alloc: Allocation, job: Job, group: TaskGroup, task: Task): void {
    this.deps = { ...this.deps, alloc, job, group, task };
  }

  /** Starts the run loop once; resolves when the task is dead for good. */
  run(): Promise<void> {
    if (!this.runPromise) this.runPromise = this.loop().finally(() => {
      this.resumedResolve();
      this.closeLogs();
    });
    return this.runPromise;
  }

  private killTimeoutMs(): number {
    const ns = this.deps.task.KillTimeout;
    const ms = ns > 0 ? ns / NS_PER_MS : DEFAULT_KILL_TIMEOUT_MS;
    return Math.min(ms, this.deps.maxKillTimeoutMs);
  }

  private async loop(): Promise<void> {
    const { driver, task } = this.deps;
    if (this.deps.restored && this.state.State === 'dead') return;
    if (!driver) {
      this.setState('dead', events.setupFailure(`failed to start task: driver "${task.Driver}" is not available on this node`));
      return;
    }
    const problems = driver.validateConfig(task.Config ?? {});
    if (problems.length > 0) {
      this.setState('dead', events.failedValidation(problems.join('; ')));
      return;
    }
    if (this.killReq) return this.finishKilledBeforeStart();
    if (this.deps.restored && this.state.Events?.some((e) => e.Type === TaskEventTypes.started)) {
      // Set up by an earlier client process: the directories are there, the artifacts fetched.
      this.paths = await this.deps.allocDir.buildTask(task.Name);
      // Kept for the restarts to come; the task that still runs already has its mounts.
      if (!this.resolveMounts(driver)) return;
      const resumed = await this.resume(driver);
      if (resumed === 'killed') return;
      if (resumed !== 'not started' && (await this.afterExit(resumed)) === 'done') return;
    } else if (!(await this.setUp(driver))) return;
    for (;;) {
      await this.deps.mayStart?.();
      if (this.killReq) return this.finishKilledBeforeStart();
      const outcome = await this.startAndWait(driver);
      if (outcome === 'killed') return;
      if ((await this.afterExit(outcome)) === 'done') return;
    }
  }

  /** Builds the task directory and fetches artifacts; false (task dead) when that fails. */
  private async setUp(driver: TaskDriver): Promise<boolean> {
    const { task } = this.deps;
    this.emit(events.setup());
    try {
      this.paths = await this.deps.allocDir.buildTask(task.Name);
    } catch (err) {
      this.setState('dead', events.setupFailure(`failed to build task directory for "${task.Name}": ${(err as Error).message}`));
      return false;
    }
    if (task.Artifacts && task.Artifacts.length > 0) {
      this.emit(artifactEvents.downloading());
      try {
        const { env } = this.buildEnvAndConfig();
        await fetchArtifacts(task.Artifacts, this.paths.dir, (s) => interpolateString(s, { node: this.deps.node(), region: this.deps.region, env }));
      } catch (err) {
        this.setState('dead', artifactEvents.failed((err as Error).message));
        return false;
      }
    }
    try {
      await writeDispatchPayload(this.deps.job, task, this.paths.dir, this.paths.local);
    } catch (err) {
      this.setState('dead', events.setupFailure(`failed to write the dispatch payload: ${(err as Error).message}`));
      return false;
    }
    return this.resolveMounts(driver);
  }

  /** The host volumes the task mounts; false (task dead) when one cannot be had. */
  private resolveMounts(driver: TaskDriver): boolean {
    try {
      this.mounts = resolveVolumeMounts(this.deps.group, this.deps.task, this.deps.hostVolumes ?? null, driver);
      return true;
    } catch (err) {
      this.setState('dead', events.setupFailure(`failed to set up volume mounts: ${(err as Error).message}`));
      return false;
    }
  }

  /**
   * After a client restart: reattaches to the task an earlier client process started (same
   * process, still running), or learns that it ended meanwhile, and waits for it as if this
   * process had started it. 'not started' when there was nothing to reattach to.
   */
  private async resume(driver: TaskDriver): Promise<'killed' | 'not started' | StartOutcome> {
    const handle = this.handle;
    if (!handle || handle.state !== 'running') return 'not started';
    this.openLogs();
    try {
      await driver.recoverTask(handle, this.stdout!, this.stderr!);
    } catch (err) {
      this.resumedResolve();
      this.handle = null;
      const why = `failed to reattach to the task after a client restart: ${(err as Error).message}`;
      this.deps.logger?.warn('client: task gone while the client was down', { task: this.name, error: why });
      return { kind: 'exit', exit: { ExitCode: 0, Signal: 0, OOMKilled: false, Err: why } };
    }
    this.currentId = handle.config.id;
    if (this.state.State !== 'running') this.setState('running', null);
    this.resumedResolve();
    return this.waitCurrent(driver, handle.config.id);
  }

  /** The restart policy's verdict on a start that ended: 'done' when the task is dead for good. */
  private async afterExit(outcome: StartOutcome): Promise<'done' | 'again'> {
    const input: RestartInput =
      outcome.kind === 'startError'
        ? { kind: 'startError', recoverable: outcome.recoverable }
        : { kind: 'exit', exitCode: outcome.exit.ExitCode, signal: outcome.exit.Signal, err: outcome.exit.Err };
    if (this.restartRequested !== null) {
      const reason = this.restartRequested;
      this.restartRequested = null;
      this.markRestart(0, reason);
      return 'again';
    }
    const policy = this.deps.task.RestartPolicy ?? this.deps.group.RestartPolicy ?? DEFAULT_RESTART_POLICY;
    const restartOnSuccess = this.deps.job.Type === 'service' || this.deps.job.Type === 'system';
    const d = decideRestart(policy, this.restartState, input, restartOnSuccess, Date.now(), this.deps.random ?? Math.random);
    this.restartState = d.state;
    if (d.action === 'terminate') {
      this.setState('dead', null);
      return 'done';
    }
    if (d.action === 'fail') {
      this.state.Failed = true;
      this.setState('dead', events.notRestarting(d.reason));
      return 'done';
    }
    this.markRestart(d.delayMs, d.reason);
    await this.sleepUnlessKilled(d.delayMs);
    return 'again';
  }

  /** Nomad's per-task counters: client.allocs.running on a start, .complete or .failed at the end. */
  private countTransition(to: TaskState['State'], failed: boolean): void {
    const m = this.deps.metrics;
    if (!m || to === 'pending') return;
    const name = to === 'running' ? 'client.allocs.running' : failed ? 'client.allocs.failed' : 'client.allocs.complete';
    m.incrCounter(name, 1, allocTaskLabels(this.deps.alloc, this.name));
  }

  private markRestart(delayMs: number, reason: string): void {
    this.deps.metrics?.incrCounter('client.allocs.restart', 1, allocTaskLabels(this.deps.alloc, this.name));
    this.state.Restarts++;
    this.state.LastRestart = rfc3339Nano(nowNs());
    this.setState('pending', events.restarting(delayMs, reason));
  }

  private finishKilledBeforeStart(): void {
    // Nothing ran: the task is dead without having been started, and not failed.
    this.emit(events.killed());
    this.setState('dead', null);
  }

  /** The host volumes this task mounts, resolved once its directory is built. */
  private mounts: VolumeMountSpec[] = [];

  private openLogs(): void {
    if (this.stdout) return;
    const cfg = this.deps.task.LogConfig;
    const maxFiles = cfg?.MaxFiles && cfg.MaxFiles > 0 ? cfg.MaxFiles : 10;
    const maxFileSizeBytes = (cfg?.MaxFileSizeMB && cfg.MaxFileSizeMB > 0 ? cfg.MaxFileSizeMB : 10) * MIB;
    const dir = this.deps.allocDir.logsDir;
    this.stdout = new LogRotator({ dir, baseName: `${this.name}.stdout`, maxFiles, maxFileSizeBytes });
    this.stderr = new LogRotator({ dir, baseName: `${this.name}.stderr`, maxFiles, maxFileSizeBytes });
  }

  private closeLogs(): void {
    this.stdout?.close();
    this.stderr?.close();
  }

  private buildEnvAndConfig(): { env: Record<string, string>; config: Record<string, unknown> } {
    const { alloc, job, group, task, driver } = this.deps;
    const paths = this.paths!;
    const node = this.deps.node();
    const env = buildTaskEnv({
      alloc,
      job,
      group,
      task,
      node,
      region: this.deps.region,
      allocDirShared: this.deps.allocDir.sharedDir,
      taskLocalDir: paths.local,
      taskSecretsDir: paths.secrets,
      hostEnv: driver?.capabilities.fsIsolation === 'none' ? this.deps.hostEnv : null,
    });
    const config = interpolateValue(task.Config ?? {}, { node, region: this.deps.region, env }) as Record<string, unknown>;
    return { env, config };
  }

  private async startAndWait(driver: TaskDriver): Promise<'killed' | StartOutcome> {
    this.openLogs();
    const { env, config } = this.buildEnvAndConfig();
    const { alloc, task, group, job } = this.deps;
    const res = alloc.AllocatedResources?.Tasks?.[task.Name];
    const id = `${alloc.ID}/${task.Name}/${randomBytes(4).toString('hex')}`;
    try {
      this.handle = await driver.startTask({
        id,
        allocId: alloc.ID,
        taskName: task.Name,
        jobName: job.Name,
        taskGroupName: group.Name,
        config,
        env,
        user: task.User ?? '',
        taskDir: this.paths!.dir,
        allocDir: this.deps.allocDir.allocDir,
        mounts: this.mounts,
        resources: {
          cpuShares: res?.Cpu.CpuShares ?? task.Resources?.CPU ?? 0,
          memoryMB: res?.Memory.MemoryMB ?? task.Resources?.MemoryMB ?? 0,
          memoryMaxMB: res?.Memory.MemoryMaxMB ?? task.Resources?.MemoryMaxMB ?? 0,
          // The cores the scheduler set aside for this task alone; isolating drivers pin to them.
          ...(res?.Cpu.ReservedCores?.length ? { reservedCores: res.Cpu.ReservedCores } : {}),
        },
        stdout: this.stdout!,
        stderr: this.stderr!,
      });
    } catch (err) {
      const recoverable = err instanceof DriverStartError ? err.recoverable : false;
      this.emit(events.driverFailure((err as Error).message));
      if (this.killReq) {
        this.finishKilledBeforeStart();
        return 'killed';
      }
      return { kind: 'startError', recoverable };
    }
    this.currentId = id;
    this.setState('running', events.started());
    if (this.killReq) {
      await this.performKill(driver, id, this.killReq.event);
      return 'killed';
    }
    return this.waitCurrent(driver, id);
  }

  /** Waits for the running task to end, or for a kill or restart request. */
  private async waitCurrent(driver: TaskDriver, id: string): Promise<'killed' | StartOutcome> {
    if (this.killReq) {
      await this.performKill(driver, id, this.killReq.event);
      return 'killed';
    }
    const waited = await Promise.race([
      driver.waitTask(id).then((exit) => ({ exit })),
      new Promise<{ exit: null }>((resolve) => (this.wake = () => resolve({ exit: null }))),
    ]);
    this.wake = null;
    if (waited.exit === null) {
      // Woken by kill or restart request while running.
      const killReq = this.killReq as KillRequest | null;
      if (killReq) {
        await this.performKill(driver, id, killReq.event);
        return 'killed';
      }
      const exit = await this.stopCurrent(driver, id, null);
      return { kind: 'exit', exit };
    }
    this.currentId = null;
    this.handle = null;
    await driver.destroyTask(id, true).catch(() => undefined);
    this.emit(events.terminated(waited.exit.ExitCode, waited.exit.Signal, waited.exit.OOMKilled, waited.exit.Err ?? ''));
    return { kind: 'exit', exit: waited.exit };
  }

  private async stopCurrent(driver: TaskDriver, id: string, ev: TaskEvent | null): Promise<ExitResult> {
    const timeoutMs = this.killTimeoutMs();
    this.emit(ev ?? events.killing(timeoutMs));
    const signal = this.deps.task.KillSignal || 'SIGINT';
    await driver.stopTask(id, timeoutMs, signal).catch(() => undefined);
    const exit = await driver.waitTask(id);
    this.currentId = null;
    this.handle = null;
    await driver.destroyTask(id, true).catch(() => undefined);
    this.emit(events.terminated(exit.ExitCode, exit.Signal, exit.OOMKilled, exit.Err ?? ''));
    return exit;
  }

  private async performKill(driver: TaskDriver, id: string, ev: TaskEvent | null): Promise<void> {
    await this.stopCurrent(driver, id, ev);
    this.emit(events.killed());
    this.setState('dead', null);
  }

  private sleepUnlessKilled(ms: number): Promise<void> {
    if (ms <= 0 || this.killReq) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /**
   * Stops the task for good (alloc stop, sibling failure, leader death). `event` replaces the
   * default "Killing" event, e.g. "Sibling Task Failed". Resolves once the task is dead.
   */
  kill(event: TaskEvent | null = null): Promise<void> {
    if (this.isDead && !this.runPromise) return Promise.resolve();
    if (!this.killReq) {
      this.killReq = { event, done: Promise.resolve() };
      if (!this.runPromise) {
        // Never started (e.g. a poststop task that never got its turn): dead without running.
        this.state.State = 'dead';
        this.state.FinishedAt = rfc3339Nano(nowNs());
        this.deps.onStateChange(this.name);
        return Promise.resolve();
      }
      this.wake?.();
    }
    return this.runPromise!.then(() => undefined);
  }

  /** alloc restart: stop the running task and start it again without counting against the policy. */
  async restart(reason = 'User requested restart'): Promise<void> {
    if (this.isDead || this.currentId === null) throw new Error(`Task not running: ${this.name}`);
    this.emit(events.restartSignal(reason));
    this.restartRequested = reason;
    this.wake?.();
  }

  /** Runs a command inside the running task, through its driver. */
  async exec(opts: ExecOptions, authorize: (fsIsolation: 'none' | 'chroot' | 'image') => void): Promise<ExecSession> {
    const driver = this.deps.driver;
    if (!driver || this.currentId === null || this.isDead) throw badRequest(`task "${this.name}" is not running`, 'task');
    if (!driver.capabilities.exec || !driver.execTask) throw badRequest(`task driver "${driver.name}" does not support exec`, 'task');
    authorize(driver.capabilities.fsIsolation);
    return driver.execTask(this.currentId, opts);
  }

  async signal(signal: string, reason = 'User requested signal'): Promise<void> {
    const { driver } = this.deps;
    if (!driver || this.currentId === null) throw new Error(`Task not running: ${this.name}`);
    this.emit(events.signaling(signal, reason));
    await driver.signalTask(this.currentId, signal);
  }

  async stats(): Promise<TaskResourceUsage | null> {
    const { driver } = this.deps;
    if (!driver || this.currentId === null) return null;
    try {
      return await driver.taskStats(this.currentId);
    } catch {
      return null; // the task ended between the check and the read
    }
  }

  snapshot(): TaskState {
    return { ...this.state, Events: this.state.Events ? this.state.Events.slice() : null };
  }
}
