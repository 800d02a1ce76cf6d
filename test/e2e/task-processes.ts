// The processes an agent's tasks leave on the machine: the tasks its executors started and the
// executors themselves, found by their data dir, so that a scenario can kill a machine outright
// and every harness leaves nothing running behind it (a client agent's tasks outlive the agent).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pids of the tasks a client's executors started (from their task.json files). */
export function taskPids(dataDir: string): number[] {
  const out: number[] = [];
  const driversDir = join(dataDir, 'client', 'drivers');
  if (!existsSync(driversDir)) return out;
  for (const driver of readdirSync(driversDir)) {
    const executors = join(driversDir, driver, 'executors');
    if (!existsSync(executors)) continue;
    for (const d of readdirSync(executors)) {
      try {
        out.push((JSON.parse(readFileSync(join(executors, d, 'task.json'), 'utf8')) as { pid: number }).pid);
      } catch {
        // not started yet, or already cleaned up
      }
    }
  }
  return out;
}

/** Processes whose command line names `text` (a client's executors name their directory). */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** kill -9 without an agent in between (a test reaching into a task's life). */
export function killNow(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Kills every task and executor started under `dir` (a data dir, or a harness root holding several). */
export function killTasksUnder(dir: string): number[] {
  const victims = [...processesMentioning(dir)];
  for (const pid of victims) {
    try {
      // An executor's task is its child in a session of its own: take it from the executor's children.
      for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) if (child) victims.push(Number(child));
    } catch {
      // gone meanwhile
    }
  }
  killNow(victims);
  return victims;
}
