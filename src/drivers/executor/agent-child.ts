// A task started by the agent itself, without an executor: the task is the agent's own child,
// its output goes through the agent into the task's log sinks, and its exit status comes from
// the child's exit event. It cannot outlive the agent, so it serves agents that stop their tasks
// when they stop (see DriverContext.supervision); it saves a node process per task start.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LogSink } from '../driver.js';
import { processStartTicks } from '../host-process.js';
import { followChildOutput, spawnErrorText } from './child-output.js';
import { ExecutorStartError } from './launch.js';
import type { ExecutorSpec, ExecutorStatus } from './spec.js';
import type { TaskProcess } from './task-process.js';

/** What the agent needs to start a task itself: the executor's spec without its log files. */
export type AgentChildSpec = Pick<ExecutorSpec, 'command' | 'args' | 'cwd' | 'env' | 'passFd3'>;

export class AgentChild implements TaskProcess {
  readonly exited: Promise<ExecutorStatus>;
  /** Nothing to find again after a restart: the task ends with the agent. */
  readonly reattachState = null;

  private constructor(
    readonly pid: number,
    readonly startTicks: number,
    readonly fd3: Readable | null,
    exited: Promise<ExecutorStatus>,
  ) {
    this.exited = exited;
  }

  /** Spawns the task; throws ExecutorStartError with the task's own start error (command not found, ...). */
  static async start(spec: AgentChildSpec, stdout: LogSink, stderr: LogSink): Promise<AgentChild> {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // setsid: the task leads its own process group
      stdio: ['ignore', 'pipe', 'pipe', spec.passFd3 ? 'pipe' : 'ignore'],
    });
    // Listened for before any await: a short-lived command can end within the same tick.
    const exited = outcome(child, stdout, stderr);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) => {
        const why = spawnErrorText(spec.command, e);
        reject(new ExecutorStartError(why));
      });
    });
    const pid = child.pid!;
    const fd3 = spec.passFd3 ? (child.stdio[3] as Readable) : null;
    return new AgentChild(pid, (await processStartTicks(pid)) ?? 0, fd3, exited);
  }

  /** Nothing is kept on disk for a task the agent supervises. */
  cleanup(): void {}
}

/** How the child ended, once its output is written (see followChildOutput). */
function outcome(child: ChildProcess, stdout: LogSink, stderr: LogSink): Promise<ExecutorStatus> {
  return new Promise((resolve) => {
    followChildOutput(child, stdout, stderr, (end) => resolve({ ...end, error: null, endedAtMs: Date.now() }));
    child.once('error', (e) => {
      // Never spawned: the start reports it; the task "ended" with that error.
      if (child.pid === undefined) resolve({ code: null, signal: null, error: e.message, endedAtMs: Date.now() });
    });
  });
}
