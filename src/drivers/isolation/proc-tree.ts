// Walking the process tree from the host side: the launcher's pid is known, the task's pid
// (a grandchild inside the new pid namespace) is found from it. A process's start time, which
// tells it from a later one with the same pid, is in ../host-process.ts.
import { readdir, readFile } from 'node:fs/promises';

/** Direct children of a process: /proc/<pid>/task/<pid>/children, or a /proc scan without it. */
export async function childPids(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number);
  } catch {
    // kernels built without CONFIG_PROC_CHILDREN
  }
  const out: number[] = [];
  for (const e of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const text = await readFile(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/**
 * Waits until a process has changed its root away from its parent's (its chroot is done), or
 * has ended, or `timeoutMs` passed; true when the chroot was seen. The task is forked before
 * the launcher says "ready" and only then chroots and execs: a caller that enters the task's
 * root right away (alloc exec) must not catch it between the two.
 */
export async function waitForChroot(pid: number, timeoutMs: number): Promise<boolean> {
  const { readlink } = await import('node:fs/promises');
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 20)) {
    const root = await readlink(`/proc/${pid}/root`).catch(() => null);
    if (root === null) return false;
    if (root !== '/') return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}
