// A lock shared by the test processes of one machine: a directory made atomically (mkdir fails
// when it exists) holding the owner's pid, so that a lock left by a process that died is taken
// over instead of waited on. Used around host-wide set-up that is not safe to run twice at once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const POLL_MS = 25;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the lock at `dir` (waiting at most `timeoutMs`) and returns its release. */
export async function takeHostLock(dir: string, timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let ownerless = 0;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = ownerOf(dir);
    // A directory without a pid is either being made right now or left by a process that died
    // between the two steps: taken over only when it stays that way for a while.
    ownerless = owner === null ? ownerless + 1 : 0;
    if ((owner !== null && !alive(owner)) || ownerless * POLL_MS > 2_000) {
      rmSync(dir, { recursive: true, force: true });
      ownerless = 0;
      continue;
    }
    if (Date.now() > deadline) throw new Error(`lock ${dir} still held by pid ${owner ?? '?'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
