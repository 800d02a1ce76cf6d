// The bookkeeping every driver keeps for the tasks it runs: a table by task id, the record of
// how a task ended, and the parts of the TaskDriver calls that do not depend on what runs the
// task (a host process, a container, nothing at all). Each driver keeps only what differs.
import {
  DriverStartError,
  unknownTask,
  type ExitResult,
  type TaskConfig,
  type TaskHandle,
  type TaskStatus,
} from './driver.js';
import { normalizeSignal } from './signals.js';

/** What a driver knows about any task it runs, whatever runs it. */
export interface TrackedTask {
  id: string;
  name: string;
  startedAtMs: number;
  completedAtMs: number | null;
  exit: ExitResult | null;
  /** Resolves once, with how the task ended. */
  exited: Promise<ExitResult>;
  /** For a task reattached after a client restart: the liveness poll that stands in for an exit event. */
  pollTimer?: NodeJS.Timeout | null;
}

/**
 * Records how a task ended. The first report wins: a reattached task can be seen gone by more
 * than one poll, and a stop and a natural exit can race. Returns whether this report was the first.
 */
export function recordExit(t: TrackedTask, result: ExitResult): boolean {
  if (t.exit) return false;
  t.exit = result;
  t.completedAtMs = Date.now();
  stopPolling(t);
  return true;
}

function stopPolling(t: TrackedTask): void {
  if (t.pollTimer) clearInterval(t.pollTimer);
  t.pollTimer = null;
}

/** How a reattached task ended when nothing recorded its exit status: only that it is gone. */
export function detachedExitUnknown(): ExitResult {
  return { ExitCode: 0, Signal: 0, OOMKilled: false, Err: 'process exited while detached; exit status unknown' };
}

/** The handle the client persists for a started task; `driverState` is what reattaching needs. */
export function newTaskHandle(driver: string, cfg: TaskConfig, driverState: Record<string, unknown>, startedAtMs: number): TaskHandle {
  return {
    version: 1,
    driver,
    config: { id: cfg.id, allocId: cfg.allocId, taskName: cfg.taskName },
    state: 'running',
    driverState,
    startedAtMs,
  };
}

/**
 * Sends the stop signal (SIGINT when the task names none), then `kill` after timeoutMs, and
 * resolves once the task has ended. `send` may be async (a container engine call): the kill
 * timer starts once the signal has been handed over, so a slow engine does not eat the grace time.
 */
export async function stopWithTimeout(
  t: TrackedTask,
  signal: string,
  timeoutMs: number,
  send: (sig: NodeJS.Signals) => void | Promise<void>,
  kill: () => void,
): Promise<void> {
  if (t.exit) return;
  const sent = send(normalizeSignal(signal || 'SIGINT') ?? 'SIGINT');
  // Only an async sender is awaited, so a process signal and its kill timer stay in one tick.
  if (sent) await sent;
  const timer = setTimeout(kill, Math.max(0, timeoutMs));
  try {
    await t.exited;
  } finally {
    clearTimeout(timer);
  }
}

export class TaskTable<T extends TrackedTask> {
  private readonly byId = new Map<string, T>();

  /**
   * `driverName` names the driver in the errors the table raises; a function, because a
   * subclass's name is not set yet while its base class builds the table.
   */
  constructor(private readonly driverName: () => string) {}

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The task, or undefined; for calls that quietly accept an unknown id. */
  find(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** The task; an unknown id is an error, as for every TaskDriver call on one task. */
  get(id: string): T {
    const t = this.byId.get(id);
    if (!t) throw unknownTask(this.driverName(), id);
    return t;
  }

  /** Refuses a second start under one id: the client makes a new id for every start. */
  assertNew(id: string): void {
    if (this.byId.has(id)) throw new DriverStartError(`task with ID "${id}" already started`, false);
  }

  add(t: T): void {
    this.byId.set(t.id, t);
  }

  /** Forgets a task; a reattached one's liveness poll stops with it. */
  remove(id: string): void {
    const t = this.byId.get(id);
    if (t) stopPolling(t);
    this.byId.delete(id);
  }

  /** recordExit by id: the exit of a process can be reported before or after it is in the table. */
  markExited(id: string, result: ExitResult): void {
    const t = this.byId.get(id);
    if (t) recordExit(t, result);
  }

  status(id: string, driverAttributes: (t: T) => Record<string, string>): TaskStatus {
    const t = this.get(id);
    return {
      id: t.id,
      name: t.name,
      state: t.exit ? 'exited' : 'running',
      startedAtMs: t.startedAtMs,
      completedAtMs: t.completedAtMs,
      exitResult: t.exit,
      driverAttributes: driverAttributes(t),
    };
  }

  /** For signalTask: the task and the signal, once the name is known and the task still runs. */
  signalTarget(id: string, signal: string): { task: T; sig: NodeJS.Signals } {
    const task = this.get(id);
    const sig = normalizeSignal(signal);
    if (sig === null) throw new Error(`${this.driverName()}: unknown signal "${signal}"`);
    if (task.exit) throw new Error(`${this.driverName()}: task ${id} is not running`);
    return { task, sig };
  }

  /**
   * The fields every task reattached after a client restart starts with, and `end` to call once
   * it is seen gone: no exit event comes for a task that is not our child.
   */
  reattached(handle: TaskHandle): { base: TrackedTask; end: (result: ExitResult) => void } {
    const id = handle.config.id;
    let resolveExit!: (r: ExitResult) => void;
    const base: TrackedTask = {
      id,
      name: handle.config.taskName,
      startedAtMs: handle.startedAtMs,
      completedAtMs: null,
      exit: null,
      exited: new Promise<ExitResult>((r) => (resolveExit = r)),
      pollTimer: null,
    };
    const end = (result: ExitResult): void => {
      this.markExited(id, result);
      resolveExit(result);
    };
    return { base, end };
  }

  /**
   * The common start of destroyTask: undefined for an unknown task; a running one is refused
   * unless forced, else killed with `kill` and waited for. The caller then forgets and cleans up.
   */
  async endForDestroy(id: string, force: boolean, kill: (t: T) => void | Promise<unknown>): Promise<T | undefined> {
    const t = this.byId.get(id);
    if (!t) return undefined;
    if (!t.exit) {
      if (!force) throw new Error(`${this.driverName()}: cannot destroy running task ${id}`);
      await kill(t);
      await t.exited;
    }
    return t;
  }
}
