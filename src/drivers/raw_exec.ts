// raw_exec: runs a command as a plain host process, without isolation. The process leads its
// own process group so that signals reach the whole tree and stats can sum it.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { mkdir, rm, symlink } from 'node:fs/promises';
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import { DriverStartError, isTruthyOption } from './driver.js';
import type { DriverCapabilities, DriverContext, DriverFingerprint, ExitResult, LogSink, TaskConfig, TaskDriver, TaskHandle, TaskStatus, VolumeMountSpec } from './driver.js';
import { killGroup, processStartTicks, reattachableTicks, watchDetached } from './host-process.js';
import { CpuRateTracker, processGroupUsage } from './proc-stats.js';
import { processContext, startHostExec, withTerminal, type ExecOptions, type ExecSession } from './exec-session.js';
import { signalNumber } from './signals.js';
import { detachedExitUnknown, newTaskHandle, stopWithTimeout, TaskTable, type TrackedTask } from './task-table.js';

interface RawTask extends TrackedTask {
  pid: number;
  /** Process start time in clock ticks since boot: guards against pid reuse on recovery. */
  startTicks: number;
  child: ChildProcess | null;
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
    const child = spawn(command, args, {
      cwd: cfg.taskDir,
      env: cfg.env,
      detached: true, // setsid: the task leads its own process group
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Listen for exit before any await: a short-lived command can end within the same tick.
    let exitResult: ExitResult | null = null;
    const exited = new Promise<ExitResult>((resolve) => {
      child.once('exit', (code, signal) => {
        // As Nomad's executor: a signalled process reports 128+signal as its exit code.
        const sig = signal ? signalNumber(signal) : 0;
        exitResult = { ExitCode: sig ? 128 + sig : code ?? 0, Signal: sig, OOMKilled: false, Err: null };
        this.tasks.markExited(cfg.id, exitResult);
        resolve(exitResult);
      });
    });
    child.stdout!.on('data', (b: Buffer) => cfg.stdout.write(b));
    child.stderr!.on('data', (b: Buffer) => cfg.stderr.write(b));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? `exec: "${command}": executable file not found in $PATH` : e.message;
      throw new DriverStartError(`failed to launch command with executor: ${why}`, false);
    }
    const pid = child.pid!;
    const startTicks = await processStartTicks(pid);
    const task: RawTask = {
      id: cfg.id,
      name: cfg.taskName,
      pid,
      startTicks: startTicks ?? 0,
      child,
      startedAtMs: Date.now(),
      completedAtMs: null,
      exit: null,
      exited,
      cpu: new CpuRateTracker(),
      pollTimer: null,
    };
    if (exitResult !== null) {
      task.exit = exitResult;
      task.completedAtMs = Date.now();
    }
    this.tasks.add(task);
    return newTaskHandle(this.name, cfg, { pid, startTicks: task.startTicks }, task.startedAtMs);
  }

  waitTask(id: string): Promise<ExitResult> {
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

  async recoverTask(handle: TaskHandle, _stdout: LogSink, _stderr: LogSink): Promise<void> {
    const id = handle.config.id;
    if (this.tasks.has(id)) return;
    const pid = Number(handle.driverState['pid']);
    const ticks = await reattachableTicks(pid, Number(handle.driverState['startTicks'] ?? 0));
    if (ticks === null) throw new Error(`${this.name}: failed to reattach to task ${id}: process ${pid} is gone`);
    // Not our child: no exit status is available, only whether the process still lives.
    // Its output pipes died with the previous client process, so no logs are captured.
    const { base, end } = this.tasks.reattached(handle);
    const task: RawTask = { ...base, pid, startTicks: ticks, child: null, cpu: new CpuRateTracker() };
    task.pollTimer = watchDetached(pid, ticks, () => end(detachedExitUnknown()));
    this.tasks.add(task);
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
