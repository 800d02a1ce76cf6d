// What drivers that run host processes share about a task's process: who supervises it (an
// executor process of its own, or the agent itself; see DriverContext.supervision), the log
// files a task's sinks stand for, start errors turned into the driver's, and how the record of
// the end reads as an ExitResult.
import type { Readable } from 'node:stream';
import { DriverStartError, type DriverContext, type ExitResult, type LogFiles, type TaskConfig } from '../driver.js';
import { signalNumber } from '../signals.js';
import { AgentChild, type AgentChildSpec } from './agent-child.js';
import { ExecutorProcess, ExecutorStartError, executorDir, type ExecutorState } from './launch.js';
import type { ExecutorStatus } from './spec.js';

/** A started task as its driver sees it, whoever supervises it. */
export interface TaskProcess {
  /** The process the executor (or the agent) started: the task, or the launcher of an isolated one. */
  readonly pid: number;
  /** Its start time in clock ticks since boot (0: unknown). */
  readonly startTicks: number;
  /** What a restarted client needs to find the task again; null when the task ends with the agent. */
  readonly reattachState: ExecutorState | null;
  /** The task's fd 3 (when the spec asked for it). */
  readonly fd3: Readable | null;
  /** Resolves once with how the task ended. */
  readonly exited: Promise<ExecutorStatus>;
  /** Removes what was kept for the task once it is over and forgotten. */
  cleanup(): void;
}

/** The files behind the task's sinks; a sink without files cannot be written by an executor. */
export function taskLogFiles(cfg: TaskConfig): { stdout: LogFiles; stderr: LogFiles } {
  const stdout = cfg.stdout.files;
  const stderr = cfg.stderr.files;
  if (!stdout || !stderr) throw new DriverStartError('the task\'s output has no log files for its executor to write', false);
  return { stdout, stderr };
}

/** Starts a task's process under the supervision the client chose for its drivers. */
export async function startTaskProcess(ctx: DriverContext, driver: string, cfg: TaskConfig, spec: AgentChildSpec): Promise<TaskProcess> {
  try {
    if (ctx.supervision === 'agent') return await AgentChild.start(spec, cfg.stdout, cfg.stderr);
    return await ExecutorProcess.start(executorDir(ctx.stateDir, driver, cfg.id), { version: 1, taskId: cfg.id, ...spec, ...taskLogFiles(cfg) });
  } catch (e) {
    if (e instanceof DriverStartError) throw e;
    if (e instanceof ExecutorStartError) throw new DriverStartError(`failed to launch command with executor: ${e.message}`, false);
    throw new DriverStartError(`failed to start the task's executor: ${(e as Error).message}`, true);
  }
}

/** As Nomad's executor reports: a signalled process has exit code 128+signal. */
export function executorExit(s: ExecutorStatus): ExitResult {
  if (s.error !== null) return { ExitCode: 0, Signal: 0, OOMKilled: false, Err: s.error };
  const sig = s.signal ? signalNumber(s.signal) : 0;
  return { ExitCode: sig ? 128 + sig : (s.code ?? 0), Signal: sig, OOMKilled: false, Err: null };
}
