// Finds a task's command as the chroot will see it, before the chroot exists, so that a
// missing binary is a clear start error instead of an exit code 127 from inside the launcher.
import { access, chmod, constants, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { ChrootBind } from './chroot-env.js';

/** The host path behind a path inside the chroot: under a bind mount, or in the task dir. */
export function hostPathFor(insidePath: string, root: string, binds: ChrootBind[]): string {
  const p = normalize('/' + insidePath);
  // The longest matching target wins, as the later (deeper) mount hides the earlier one.
  let best: ChrootBind | null = null;
  for (const b of binds) {
    if ((p === b.target || p.startsWith(b.target + '/')) && (best === null || b.target.length > best.target.length)) best = b;
  }
  return best ? join(best.hostPath, p.slice(best.target.length)) : join(root, p);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the command path to run inside the chroot, or null when it is not there. Files the
 * task brought itself (under its task dir, e.g. from an artifact) are made executable, as Nomad does.
 */
export async function resolveInChroot(command: string, root: string, binds: ChrootBind[], pathVar: string): Promise<string | null> {
  const candidates: string[] = [];
  if (command.startsWith('/')) candidates.push(command);
  else if (command.includes('/')) candidates.push('/' + command);
  else {
    candidates.push(`/local/${command}`, `/${command}`);
    for (const dir of pathVar.split(':')) if (dir.startsWith('/')) candidates.push(join(dir, command));
  }
  for (const inside of candidates) {
    const host = hostPathFor(inside, root, binds);
    const inTaskDir = host.startsWith(root + '/');
    if (inTaskDir) {
      try {
        const s = await stat(host);
        if (s.isFile() && (s.mode & 0o111) === 0) await chmod(host, s.mode | 0o755);
      } catch {
        continue;
      }
    }
    if (await isExecutableFile(host)) return normalize(inside);
  }
  return null;
}
