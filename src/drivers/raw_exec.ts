// raw_exec: runs a command as a plain host process, without isolation. The process leads its
// own process group so that signals reach the whole tree and stats can sum it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import {
  DriverStartError,
  isTruthyOption,
  unknownTask,
  type DriverCapabilities,
  type DriverContext,
  type DriverFingerprint,
  type ExitResult,
  type LogSink,
  type TaskConfig,
  type TaskDriver,
  type TaskHandle,
  type TaskStatus,
} from './driver.js';
import { CpuRateTracker, parseProcStat, processGroupUsage } from './proc-stats.js';
import { normalizeSignal, signalNumber } from './signals.js';

/** How often a recovered task (not our child: no exit event) is checked for liveness. */
const RECOVERED_POLL_MS = 500;

interface RawTask {
  id: string;
  name: string;
  pid: number;
  /** Process start time in clock ticks since boot: guards against pid reuse on recovery. */
  startTicks: number;
  child: ChildProcess | null;
  startedAtMs: number;
  completedAtMs: number | null;
  exit: ExitResult | null;
  exited: Promise<ExitResult>;
  cpu: CpuRateTracker;
  pollTimer: NodeJS.Timeout | null;
}

export class RawExecDriver implements TaskDriver {
  readonly name = 'raw_exec';
  readonly capabilities: DriverCapabilities = { sendSignals: true, exec: false, fsIsolation: 'none', networkIsolationModes: ['host'] };
  private readonly tasks = new Map<string, RawTask>();

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

  async startTask(cfg: TaskConfig): Promise<TaskHandle> {
    if (this.tasks.has(cfg.id)) throw new DriverStartError(`task with ID "${cfg.id}" already started`, false);
    const problems = this.validateConfig(cfg.config);
    if (problems.length > 0) throw new DriverStartError(problems.join('; '), false);
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
        this.markExited(cfg.id, exitResult);
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
    this.tasks.set(cfg.id, task);
    return {
      version: 1,
      driver: this.name,
      config: { id: cfg.id, allocId: cfg.allocId, taskName: cfg.taskName },
      state: 'running',
      driverState: { pid, startTicks: task.startTicks },
      startedAtMs: task.startedAtMs,
    };
  }

  private markExited(id: string, result: ExitResult): void {
    const t = this.tasks.get(id);
    if (!t || t.exit) return;
    t.exit = result;
    t.completedAtMs = Date.now();
    if (t.pollTimer) clearInterval(t.pollTimer);
    t.pollTimer = null;
  }

  private get(id: string): RawTask {
    const t = this.tasks.get(id);
    if (!t) throw unknownTask(this.name, id);
    return t;
  }

  waitTask(id: string): Promise<ExitResult> {
    return this.get(id).exited;
  }

  async stopTask(id: string, timeoutMs: number, signal: string): Promise<void> {
    const t = this.get(id);
    if (t.exit) return;
    const sig = normalizeSignal(signal || 'SIGINT') ?? 'SIGINT';
    killGroup(t.pid, sig);
    const timer = setTimeout(() => killGroup(t.pid, 'SIGKILL'), Math.max(0, timeoutMs));
    try {
      await t.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async destroyTask(id: string, force: boolean): Promise<void> {
    const t = this.tasks.get(id);
    if (!t) return;
    if (!t.exit) {
      if (!force) throw new Error(`${this.name}: cannot destroy running task ${id}`);
      killGroup(t.pid, 'SIGKILL');
      await t.exited;
    } else {
      // Children the leader left behind in its group die with the task.
      killGroup(t.pid, 'SIGKILL');
    }
    if (t.pollTimer) clearInterval(t.pollTimer);
    this.tasks.delete(id);
  }

  inspectTask(id: string): TaskStatus {
    const t = this.get(id);
    return {
      id: t.id,
      name: t.name,
      state: t.exit ? 'exited' : 'running',
      startedAtMs: t.startedAtMs,
      completedAtMs: t.completedAtMs,
      exitResult: t.exit,
      driverAttributes: { pid: String(t.pid) },
    };
  }

  async taskStats(id: string): Promise<TaskResourceUsage> {
    const t = this.get(id);
    return processGroupUsage(t.pid, t.cpu, this.ctx.cpuMhzPerCore());
  }

  async signalTask(id: string, signal: string): Promise<void> {
    const t = this.get(id);
    const sig = normalizeSignal(signal);
    if (sig === null) throw new Error(`${this.name}: unknown signal "${signal}"`);
    if (t.exit) throw new Error(`${this.name}: task ${id} is not running`);
    process.kill(t.pid, sig);
  }

  async recoverTask(handle: TaskHandle, _stdout: LogSink, _stderr: LogSink): Promise<void> {
    const id = handle.config.id;
    if (this.tasks.has(id)) return;
    const pid = Number(handle.driverState['pid']);
    const expectTicks = Number(handle.driverState['startTicks'] ?? 0);
    const ticks = Number.isInteger(pid) && pid > 0 ? await processStartTicks(pid) : null;
    if (ticks === null || (expectTicks !== 0 && ticks !== expectTicks)) {
      throw new Error(`${this.name}: failed to reattach to task ${id}: process ${pid} is gone`);
    }
    // Not our child: no exit status is available, only whether the process still lives.
    // Its output pipes died with the previous client process, so no logs are captured.
    let resolveExit!: (r: ExitResult) => void;
    const task: RawTask = {
      id,
      name: handle.config.taskName,
      pid,
      startTicks: ticks,
      child: null,
      startedAtMs: handle.startedAtMs,
      completedAtMs: null,
      exit: null,
      exited: new Promise<ExitResult>((r) => (resolveExit = r)),
      cpu: new CpuRateTracker(),
      pollTimer: null,
    };
    task.pollTimer = setInterval(() => {
      void processStartTicks(pid).then((now) => {
        if (now === ticks) return;
        const result: ExitResult = { ExitCode: 0, Signal: 0, OOMKilled: false, Err: 'process exited while detached; exit status unknown' };
        this.markExited(id, result);
        resolveExit(result);
      });
    }, RECOVERED_POLL_MS);
    task.pollTimer.unref();
    this.tasks.set(id, task);
  }
}

function resolveCommand(command: string, taskDir: string): string {
  // A relative path with a slash ("local/run.sh") is relative to the task dir, as in Nomad.
  if (!isAbsolute(command) && command.includes('/')) return join(taskDir, command);
  return command;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function processStartTicks(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (parseProcStat(text) === null) return null;
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return null; // a zombie has exited
    return Number(rest[19]); // field 22: starttime
  } catch {
    return null;
  }
}
