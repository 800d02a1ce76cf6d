// What the agent and a task's executor tell each other through files. The executor is a small
// process of its own for each start of a host-process task: it starts the task, writes its output
// to the rotated log files, and records how the task ended. It outlives the agent, so a task keeps
// running (and its output is kept) while the client is down, and a restarted client learns the
// exit status of a task that ended meanwhile.
import type { LogFiles } from '../driver.js';

export interface ExecutorSpec {
  version: 1;
  taskId: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The executor's fd 3 becomes the task's fd 3 (the isolating launcher reports its set-up there). */
  passFd3: boolean;
  stdout: LogFiles;
  stderr: LogFiles;
}

/** The task as started: written before the executor tells the agent, so a restarted agent finds it too. */
export interface ExecutorTaskRecord {
  pid: number;
  /** Start time in clock ticks since boot (tells the task from a later process with its pid). */
  startTicks: number;
}

/** How the task ended, as the executor saw it. */
export interface ExecutorStatus {
  code: number | null;
  signal: string | null;
  /** Set when the task could not be started at all. */
  error: string | null;
  endedAtMs: number;
}

/** The one line the executor writes to the agent once the task started (or could not). */
export type ExecutorControlLine = { pid: number } | { error: string };

export const SPEC_FILE = 'spec.json';
export const TASK_FILE = 'task.json';
export const STATUS_FILE = 'status.json';
export const EXECUTOR_LOG = 'executor.log';
