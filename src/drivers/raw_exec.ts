// raw_exec: runs a command as a plain host process, without isolation. Outside dev mode each
// start runs under an executor process of its own (executor/), which leads the task's session,
// writes its output to the log files and records its exit: the task and its logs outlive a client
// restart, and the restarted client reattaches to the same pid. A dev agent starts the task
// itself (DriverContext.supervision). Signals go to the task's process group.
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { DriverStartError, isTruthyOption } from './driver.js';
import type { DriverCapabilities, DriverContext, DriverFingerprint, LogSink, TaskConfig, TaskDriver, TaskHandle, TaskStatus, VolumeMountSpec } from './driver.js';
import { processContext, startHostExec, withTerminal, type ExecOptions, type ExecSession } from './exec-session.js';
import { ExecutorProcess, type ExecutorState } from './executor/launch.js';
import { executorExit, startTaskProcess, type TaskProcess } from './executor/task-process.js';
import { killGroup } from './host-process.js';
import { CpuRateTracker, processGroupUsage } from './proc-stats.js';
import { newTaskHandle, recordExit, stopWithTimeout, TaskTable, type TrackedTask } from './task-table.js';

interface RawTask extends TrackedTask {
  pid: number;
  executor: TaskProcess;
  cpu: CpuRateTracker;
}

export class RawExecDriver implements TaskDriver {
  readonly name = 'raw_exec';
  readonly capabilities: DriverCapabilities = { sendSignals: true, exec: true, fsIsolation: 'none', networkIsolationModes: ['host'] };
  private readonly tasks = new TaskTable<RawTask>(() => this.name);

  constructor(private readonly ctx: DriverContext) {}

  enabled(): boolean {
    if (this.ctx.devMode) return true;
    if (isTruthyOption(this.ctx.options['driver.raw_exec.enable'])) return true;
    return isTruthyOption(this.ctx.pluginConfig['raw_exec']?.['enabled']);
  }

  async fingerprint(): Promise<DriverFingerprint> {
    if (!this.enabled()) return { Detected: false, Healthy: false, HealthDescription: 'disabled', Attributes: {} };
    return { Detected: true, Healthy: true, HealthDescription: 'Healthy', Attributes: { 'driver.raw_exec': 'true' } };
  }

  validateConfig(config: Record<string, unknown>): string[] {
    const errors: string[] = [];
    const command = config['command'];
    if (typeof command !== 'string' || command.trim() === '') errors.push('config.command: a non-empty string is required');
    const args = config['args'];
    if (args !== undefined && args !== null) {
      if (!Array.isArray(args)) errors.push('config.args: must be a list of strings');
      else args.forEach((a, i) => typeof a !== 'string' && errors.push(`config.args[${i}]: must be a string`));
    }
    for (const key of Object.keys(config)) {
      if (key !== 'command' && key !== 'args') errors.push(`config.${key}: unknown field for the raw_exec driver`);
    }
    return errors;
  }

  /** A command beside the task: its environment and directory, as the task has them now. */
  async execTask(id: string, opts: ExecOptions): Promise<ExecSession> {
    const t = this.tasks.get(id);
    if (t.exit) throw new Error(`task ${t.name} is not running`);
    const { env, cwd } = await processContext(t.pid);
    return startHostExec({ shellCommand: withTerminal(opts.command, opts), env, cwd }, opts);
  }

  async startTask(cfg: TaskConfig): Promise<TaskHandle> {
    this.tasks.assertNew(cfg.id);
    const problems = this.validateConfig(cfg.config);
    if (problems.length > 0) throw new DriverStartError(problems.join('; '), false);
    try {
      await linkVolumes(cfg.taskDir, cfg.mounts ?? []);
    } catch (err) {
      throw new DriverStartError(`failed to mount host volumes: ${(err as Error).message}`, false);
    }
    const command = resolveCommand(String(cfg.config['command']), cfg.taskDir);
    const args = ((cfg.config['args'] as string[] | undefined) ?? []).map(String);
    const executor = await startTaskProcess(this.ctx, this.name, cfg, { command, args, cwd: cfg.taskDir, env: cfg.env, passFd3: false });
    const task = this.track(cfg.id, cfg.taskName, executor, Date.now());
    // A task the agent supervises ends with it: its handle names the pid alone, which no restarted client reattaches to.
    return newTaskHandle(this.name, cfg, executor.reattachState ? { ...executor.reattachState } : { pid: executor.pid }, task.startedAtMs);
  }

  private track(id: string, name: string, executor: TaskProcess, startedAtMs: number): RawTask {
    const task: RawTask = {
      id,
      name,
      pid: executor.pid,
      executor,
      startedAtMs,
      completedAtMs: null,
      exit: null,
      exited: executor.exited.then(executorExit),
      cpu: new CpuRateTracker(),
      pollTimer: null,
    };
    void task.exited.then((r) => recordExit(task, r));
    this.tasks.add(task);
    return task;
  }

  waitTask(id: string): Promise<import('./driver.js').ExitResult> {
    return this.tasks.get(id).exited;
  }

  async stopTask(id: string, timeoutMs: number, signal: string): Promise<void> {
    const t = this.tasks.get(id);
    await stopWithTimeout(t, signal, timeoutMs, (sig) => killGroup(t.pid, sig), () => killGroup(t.pid, 'SIGKILL'));
  }

  async destroyTask(id: string, force: boolean): Promise<void> {
    let killed = false;
    const t = await this.tasks.endForDestroy(id, force, (running) => {
      killed = true;
      killGroup(running.pid, 'SIGKILL');
    });
    if (!t) return;
    // Children the leader left behind in its group die with the task.
    if (!killed) killGroup(t.pid, 'SIGKILL');
    this.tasks.remove(id);
    t.executor.cleanup();
  }

  inspectTask(id: string): TaskStatus {
    return this.tasks.status(id, (t) => ({ pid: String(t.pid) }));
  }

  async taskStats(id: string): Promise<TaskResourceUsage> {
    const t = this.tasks.get(id);
    return processGroupUsage(t.pid, t.cpu, this.ctx.cpuMhzPerCore());
  }

  async signalTask(id: string, signal: string): Promise<void> {
    const { task, sig } = this.tasks.signalTarget(id, signal);
    process.kill(task.pid, sig);
  }

  /**
   * Finds the task of an earlier client process through its executor: still running (same pid),
   * or ended meanwhile with the exit status the executor recorded. Throws when nothing is left.
   */
  async recoverTask(handle: TaskHandle, _stdout: LogSink, _stderr: LogSink): Promise<void> {
    const id = handle.config.id;
    if (this.tasks.has(id)) return;
    const executor = await ExecutorProcess.reattach(handle.driverState as unknown as ExecutorState);
    if (!executor) throw new Error(`${this.name}: failed to reattach to task ${id}: process ${String(handle.driverState['pid'])} is gone`);
    this.track(id, handle.config.taskName, executor, handle.startedAtMs);
  }
}

function resolveCommand(command: string, taskDir: string): string {
  // A relative path with a slash ("local/run.sh") is relative to the task dir, as in Nomad.
  if (!isAbsolute(command) && command.includes('/')) return join(taskDir, command);
  return command;
}

/**
 * raw_exec tasks see the host as it is, so a host volume is offered where the task looks for it:
 * a symbolic link at its destination, below the task directory, to the host path.
 */
async function linkVolumes(taskDir: string, mounts: VolumeMountSpec[]): Promise<void> {
  for (const m of mounts) {
    const at = resolve(taskDir, m.destination.replace(/^\/+/, ''));
    if (relative(taskDir, at).startsWith('..') || at === taskDir) throw new Error(`destination "${m.destination}" of volume "${m.volume}" is not inside the task directory`);
    await mkdir(dirname(at), { recursive: true });
    await rm(at, { force: true });
    await symlink(m.hostPath, at);
  }
}
