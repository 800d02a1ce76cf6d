// What drivers that run host processes share about executors: the log files a task's sinks
// stand for, starting with start errors turned into the driver's, and how an executor's record of
// the end reads as an ExitResult.
import { DriverStartError, type ExitResult, type LogFiles, type TaskConfig } from '../driver.js';
import { signalNumber } from '../signals.js';
import { ExecutorProcess, ExecutorStartError } from './launch.js';
import type { ExecutorSpec, ExecutorStatus } from './spec.js';

/** The files behind the task's sinks; a sink without files cannot be written by an executor. */
export function taskLogFiles(cfg: TaskConfig): { stdout: LogFiles; stderr: LogFiles } {
  const stdout = cfg.stdout.files;
  const stderr = cfg.stderr.files;
  if (!stdout || !stderr) throw new DriverStartError('the task\'s output has no log files for its executor to write', false);
  return { stdout, stderr };
}

export async function startExecutor(dir: string, spec: ExecutorSpec): Promise<ExecutorProcess> {
  try {
    return await ExecutorProcess.start(dir, spec);
  } catch (e) {
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
