// mock: Nomad's test driver. Runs no process; a task "runs" for run_for, prints what it is told
// to print and exits as configured. Used by tests and benchmarks to drive the client without
// the cost or nondeterminism of real processes.
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import { nowNs, parseDurationNs, NS_PER_MS } from '../structs/time.js';
import { DriverStartError, isTruthyOption } from './driver.js';
import type { DriverCapabilities, DriverContext, DriverFingerprint, ExitResult, LogSink, TaskConfig, TaskDriver, TaskHandle, TaskStatus } from './driver.js';
import { emptyUsage } from './proc-stats.js';
import { newTaskHandle, recordExit, TaskTable, type TrackedTask } from './task-table.js';

/** Bound on stdout_repeat so a typo cannot make a task print forever. */
const MAX_STDOUT_REPEAT = 100_000;

export interface MockTaskConfig {
  runForMs: number;
  exitCode: number;
  exitSignal: number;
  exitErrMsg: string;
  startError: string;
  startErrorRecoverable: boolean;
  startBlockForMs: number;
  killAfterMs: number;
  stdoutString: string;
  stdoutRepeat: number;
  stdoutRepeatMs: number;
  signalError: string;
}

const DURATION_FIELDS: Record<string, keyof MockTaskConfig> = {
  run_for: 'runForMs',
  start_block_for: 'startBlockForMs',
  kill_after: 'killAfterMs',
  stdout_repeat_duration: 'stdoutRepeatMs',
};
const INT_FIELDS: Record<string, keyof MockTaskConfig> = { exit_code: 'exitCode', exit_signal: 'exitSignal', stdout_repeat: 'stdoutRepeat' };
const STRING_FIELDS: Record<string, keyof MockTaskConfig> = {
  exit_err_msg: 'exitErrMsg',
  start_error: 'startError',
  stdout_string: 'stdoutString',
  signal_error: 'signalError',
};

/** Parses the mock config block; problems carry field paths. */
export function parseMockConfig(config: Record<string, unknown>): { cfg: MockTaskConfig; errors: string[] } {
  const cfg: MockTaskConfig = {
    runForMs: 0,
    exitCode: 0,
    exitSignal: 0,
    exitErrMsg: '',
    startError: '',
    startErrorRecoverable: false,
    startBlockForMs: 0,
    killAfterMs: 0,
    stdoutString: '',
    stdoutRepeat: 0,
    stdoutRepeatMs: 0,
    signalError: '',
  };
  const errors: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (value === null || value === undefined) continue;
    if (key in DURATION_FIELDS) {
      const ns = typeof value === 'number' ? value : typeof value === 'string' ? parseDurationNs(value) : null;
      if (ns === null || ns < 0) errors.push(`config.${key}: "${String(value)}" is not a valid duration`);
      else (cfg[DURATION_FIELDS[key]!] as number) = ns / NS_PER_MS;
    } else if (key in INT_FIELDS) {
      const n = typeof value === 'string' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) errors.push(`config.${key}: must be an integer`);
      else (cfg[INT_FIELDS[key]!] as number) = n;
    } else if (key in STRING_FIELDS) {
      if (typeof value !== 'string') errors.push(`config.${key}: must be a string`);
      else (cfg[STRING_FIELDS[key]!] as string) = value;
    } else if (key === 'start_error_recoverable') {
      cfg.startErrorRecoverable = isTruthyOption(value);
    } else {
      errors.push(`config.${key}: unknown field for the mock driver`);
    }
  }
  if (cfg.stdoutRepeat > MAX_STDOUT_REPEAT) errors.push(`config.stdout_repeat: at most ${MAX_STDOUT_REPEAT}`);
  return { cfg, errors };
}

interface MockTask extends TrackedTask {
  cfg: MockTaskConfig;
  finish: (r: ExitResult) => void;
  timers: NodeJS.Timeout[];
}

export class MockDriver implements TaskDriver {
  readonly name = 'mock_driver';
  readonly capabilities: DriverCapabilities = { sendSignals: true, exec: false, fsIsolation: 'none', networkIsolationModes: ['host', 'group'] };
  private readonly tasks = new TaskTable<MockTask>(() => this.name);

  constructor(private readonly ctx: DriverContext) {}

  enabled(): boolean {
    return this.ctx.devMode || isTruthyOption(this.ctx.options['driver.mock_driver.enable']) || isTruthyOption(this.ctx.pluginConfig['mock_driver']?.['enabled']);
  }

  async fingerprint(): Promise<DriverFingerprint> {
    if (!this.enabled()) return { Detected: false, Healthy: false, HealthDescription: 'disabled', Attributes: {} };
    return { Detected: true, Healthy: true, HealthDescription: 'Healthy', Attributes: { 'driver.mock': 'true' } };
  }

  validateConfig(config: Record<string, unknown>): string[] {
    return parseMockConfig(config).errors;
  }

  async startTask(tc: TaskConfig): Promise<TaskHandle> {
    const { cfg, errors } = parseMockConfig(tc.config);
    if (errors.length > 0) throw new DriverStartError(errors.join('; '), false);
    if (cfg.startBlockForMs > 0) await new Promise((r) => setTimeout(r, cfg.startBlockForMs));
    if (cfg.startError) throw new DriverStartError(cfg.startError, cfg.startErrorRecoverable);
    let finish!: (r: ExitResult) => void;
    const task: MockTask = {
      id: tc.id,
      name: tc.taskName,
      cfg,
      startedAtMs: Date.now(),
      completedAtMs: null,
      exit: null,
      exited: new Promise<ExitResult>((r) => (finish = r)),
      finish: () => undefined,
      timers: [],
    };
    task.finish = (r) => {
      if (!recordExit(task, r)) return;
      for (const t of task.timers) clearTimeout(t);
      finish(r);
    };
    this.tasks.add(task);
    this.writeOutput(task, tc.stdout);
    task.timers.push(
      setTimeout(
        () => task.finish({ ExitCode: cfg.exitCode, Signal: cfg.exitSignal, OOMKilled: false, Err: cfg.exitErrMsg || null }),
        cfg.runForMs,
      ),
    );
    return newTaskHandle(this.name, tc, { runForMs: cfg.runForMs }, task.startedAtMs);
  }

  private writeOutput(task: MockTask, out: LogSink): void {
    const { stdoutString, stdoutRepeat, stdoutRepeatMs } = task.cfg;
    if (!stdoutString) return;
    out.write(Buffer.from(stdoutString));
    if (stdoutRepeat <= 0) return;
    let left = stdoutRepeat;
    const tick = (): void => {
      if (task.exit || left <= 0) return;
      left--;
      out.write(Buffer.from(stdoutString));
      task.timers.push(setTimeout(tick, stdoutRepeatMs));
    };
    task.timers.push(setTimeout(tick, stdoutRepeatMs));
  }

  waitTask(id: string): Promise<ExitResult> {
    return this.tasks.get(id).exited;
  }

  async stopTask(id: string, timeoutMs: number, _signal: string): Promise<void> {
    const t = this.tasks.get(id);
    if (t.exit) return;
    // kill_after: the task ignores the signal that long; a shorter timeout means a force kill.
    const afterMs = t.cfg.killAfterMs;
    const forced = afterMs > timeoutMs;
    const delayMs = Math.min(afterMs, Math.max(0, timeoutMs));
    const result: ExitResult = forced ? { ExitCode: 137, Signal: 9, OOMKilled: false, Err: null } : { ExitCode: 0, Signal: 0, OOMKilled: false, Err: null };
    if (delayMs <= 0) t.finish(result);
    else t.timers.push(setTimeout(() => t.finish(result), delayMs));
    await t.exited;
  }

  async destroyTask(id: string, force: boolean): Promise<void> {
    const t = this.tasks.find(id);
    if (!t) return;
    if (!t.exit) {
      if (!force) throw new Error(`${this.name}: cannot destroy running task ${id}`);
      t.finish({ ExitCode: 137, Signal: 9, OOMKilled: false, Err: null });
    }
    this.tasks.remove(id);
  }

  inspectTask(id: string): TaskStatus {
    return this.tasks.status(id, () => ({}));
  }

  async taskStats(id: string): Promise<TaskResourceUsage> {
    this.tasks.get(id);
    return { ResourceUsage: emptyUsage(), Timestamp: nowNs(), Pids: null };
  }

  async signalTask(id: string, _signal: string): Promise<void> {
    const t = this.tasks.get(id);
    if (t.cfg.signalError) throw new Error(t.cfg.signalError);
  }

  async recoverTask(handle: TaskHandle, _stdout: LogSink, _stderr: LogSink): Promise<void> {
    // A mock task lives only in memory: after a client restart there is nothing to reattach to.
    throw new Error(`${this.name}: cannot reattach to task ${handle.config.id}: mock tasks do not survive a restart`);
  }
}
