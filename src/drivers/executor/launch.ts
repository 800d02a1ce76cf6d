// The agent's side of a task's executor (spec.ts): start one and learn the task's pid, or find
// one again after the client restarted, and learn how the task ended either way. A task whose
// executor is gone is still known by its own pid and start time until it ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { processStartTicks, reattachableTicks, watchDetached } from '../host-process.js';
import { EXECUTOR_LOG, SPEC_FILE, STATUS_FILE, TASK_FILE, type ExecutorControlLine, type ExecutorSpec, type ExecutorStatus, type ExecutorTaskRecord } from './spec.js';
import type { TaskProcess } from './task-process.js';

/** Starting node and the task takes well under this; longer means something hangs. */
const START_TIMEOUT_MS = 15_000;

/** What a task handle keeps to find the executor and its task again. */
export interface ExecutorState {
  dir: string;
  executorPid: number;
  executorStartTicks: number;
  pid: number;
  startTicks: number;
}

/** Where the executor of one start of a task keeps its files: under the client's state dir, which outlives the agent. */
export function executorDir(stateDir: string | undefined, driver: string, taskId: string): string {
  return join(stateDir ?? join(tmpdir(), 'nomad-driver-state'), driver, 'executors', taskId.replace(/[^A-Za-z0-9_.-]/g, '.'));
}

/** Found once per process: resolving it took over a millisecond of every task start. */
let executorMainPath: string | null = null;

/**
 * The executor's entry point: dist/bundle/executor.cjs (one file, the quickest to start), else
 * the compiled main.js. This module runs from dist/src/drivers/executor or from dist/bundle.
 */
function executorMain(): string {
  executorMainPath ??= findExecutorMain();
  return executorMainPath;
}

function findExecutorMain(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const dist = here.endsWith(join('src', 'drivers', 'executor')) ? resolve(here, '..', '..', '..') : resolve(here, '..');
  const bundled = join(dist, 'bundle', 'executor.cjs');
  return existsSync(bundled) ? bundled : join(dist, 'src', 'drivers', 'executor', 'main.js');
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export class ExecutorProcess implements TaskProcess {
  /** Resolves once with how the task ended. */
  readonly exited: Promise<ExecutorStatus>;

  private constructor(
    readonly state: ExecutorState,
    /** The executor's fd 3 pipe, from the task's fd 3 (first life only). */
    readonly fd3: Readable | null,
    child: ChildProcess | null,
  ) {
    this.exited = new Promise<void>((resolve) => {
      // A task that ends at once may have taken its executor with it before we got here.
      if (child && (child.exitCode !== null || child.signalCode !== null)) resolve();
      else if (child) child.once('exit', () => resolve());
      else {
        const timer = watchDetached(state.executorPid, state.executorStartTicks, () => {
          clearInterval(timer);
          resolve();
        });
        // Waiting for a task is work in progress, as a child's exit is: it keeps the process alive.
        timer.ref();
      }
    }).then(() => this.outcome());
  }

  get pid(): number {
    return this.state.pid;
  }

  get startTicks(): number {
    return this.state.startTicks;
  }

  get reattachState(): ExecutorState {
    return this.state;
  }

  /**
   * Writes the spec, starts the executor and waits for the task's pid. Throws with the task's
   * own start error (command not found, ...) when it could not be started.
   */
  static async start(dir: string, spec: ExecutorSpec): Promise<ExecutorProcess> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, SPEC_FILE), JSON.stringify(spec), { mode: 0o600 });
    const logFd = openSync(join(dir, EXECUTOR_LOG), 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [executorMain(), dir], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
        detached: true,
        stdio: ['ignore', 'pipe', logFd, spec.passFd3 ? 'pipe' : 'ignore'],
      });
    } finally {
      closeSync(logFd);
    }
    const line = await readControlLine(child);
    child.stdout!.destroy();
    if ('error' in line) throw new ExecutorStartError(line.error);
    const executorStartTicks = (await processStartTicks(child.pid!)) ?? 0;
    const fd3 = spec.passFd3 ? (child.stdio[3] as Readable) : null;
    const startTicks = readJson<ExecutorTaskRecord>(join(dir, TASK_FILE))?.startTicks ?? 0;
    return new ExecutorProcess({ dir, executorPid: child.pid!, executorStartTicks, pid: line.pid, startTicks }, fd3, child);
  }

  /**
   * The executor of an earlier agent: alive, or gone after writing how the task ended. Null when
   * nothing is known of the task any more (no status, and neither the executor nor the task lives).
   */
  static async reattach(state: ExecutorState): Promise<ExecutorProcess | null> {
    if (typeof state.dir !== 'string' || !Number.isInteger(state.pid) || !Number.isInteger(state.executorPid)) return null;
    if (existsSync(join(state.dir, STATUS_FILE))) return new ExecutorProcess(state, null, null);
    const executorTicks = await reattachableTicks(state.executorPid, state.executorStartTicks);
    if (executorTicks !== null) return new ExecutorProcess({ ...state, executorStartTicks: executorTicks }, null, null);
    // The executor died without a record (killed with it): the task may live on, unsupervised.
    const taskTicks = await reattachableTicks(state.pid, state.startTicks);
    if (taskTicks === null) return null;
    return new ExecutorProcess({ ...state, executorPid: state.pid, executorStartTicks: taskTicks }, null, null);
  }

  /** A task started in `dir` whose handle was lost (a damaged state file): its state from the files there. */
  static async find(dir: string): Promise<ExecutorState | null> {
    const task = readJson<ExecutorTaskRecord>(join(dir, TASK_FILE));
    if (!task) return null;
    // The executor's pid is its own start time's: both unknown here, so watch the task alone.
    return { dir, executorPid: task.pid, executorStartTicks: task.startTicks, pid: task.pid, startTicks: task.startTicks };
  }

  private outcome(): ExecutorStatus {
    return readJson<ExecutorStatus>(join(this.state.dir, STATUS_FILE)) ?? { code: null, signal: null, error: 'the task ended while nothing supervised it; its exit status is unknown', endedAtMs: Date.now() };
  }

  /** Removes the executor's files once the task is over and forgotten. */
  cleanup(): void {
    rmSync(this.state.dir, { recursive: true, force: true });
  }
}

export class ExecutorStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorStartError';
  }
}

function readControlLine(child: ChildProcess): Promise<ExecutorControlLine> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`the task's executor did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const done = (v: ExecutorControlLine | Error): void => {
      clearTimeout(timer);
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    child.stdout!.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        try {
          done(JSON.parse(text.slice(0, nl)) as ExecutorControlLine);
        } catch {
          done(new Error(`the task's executor said something unexpected: ${text.slice(0, 200)}`));
        }
      }
    });
    child.once('error', (e) => done(e));
    // 'close', not 'exit': 'exit' may come before the last of its output is read, and the
    // executor of a task that ends at once (/bin/true) exits right after saying it started it.
    child.once('close', (code, signal) => done(new Error(`the task's executor ended before starting the task (code ${code}, signal ${signal}); see its log`)));
  });
}
