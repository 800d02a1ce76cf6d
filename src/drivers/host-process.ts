// Host processes as raw_exec and the isolating drivers see them: signalling a task's process
// group, telling a process from a later one that reused its pid, and watching a process that
// is not our child (a task reattached after a client restart), which sends no exit event.
import { readFileSync } from 'node:fs';
import { parseProcStat } from './proc-stats.js';

/** How often a reattached task is checked for liveness. */
const DETACHED_POLL_MS = 500;

/** Start time in clock ticks since boot, or null when the process is gone or a zombie. */
export async function processStartTicks(pid: number): Promise<number | null> {
  try {
    // procfs is in memory: a synchronous read costs microseconds, a thread-pool round trip more,
    // and this sits between a task's spawn and its "running".
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (parseProcStat(text) === null) return null;
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return null; // a zombie has exited
    return Number(rest[19]); // field 22: starttime
  } catch {
    return null;
  }
}

/**
 * The start time of the process a task handle names, or null when it is gone or its pid now
 * belongs to another process. An expected start time of 0 (unreadable when the task started)
 * trusts the pid alone.
 */
export async function reattachableTicks(pid: number, expectTicks: number): Promise<number | null> {
  const ticks = Number.isInteger(pid) && pid > 0 ? await processStartTicks(pid) : null;
  if (ticks === null || (expectTicks !== 0 && ticks !== expectTicks)) return null;
  return ticks;
}

/** Signals a task's whole process group (it leads one: setsid), or the process alone when that fails. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  // No pid yet (a task that ended before it was seen): -0 would signal our own group.
  if (pid <= 0) return;
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

/**
 * Polls a process that is not our child until its start time changes (it ended, or its pid
 * was reused), then calls onGone. The timer does not keep the agent alive; clear it when the
 * task is forgotten.
 */
export function watchDetached(pid: number, startTicks: number, onGone: () => void | Promise<void>): NodeJS.Timeout {
  const timer = setInterval(() => {
    void processStartTicks(pid).then((now) => {
      if (now !== startTicks) return onGone();
    });
  }, DETACHED_POLL_MS);
  timer.unref();
  return timer;
}
