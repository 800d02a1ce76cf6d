// The util-linux and coreutils programs the launcher drives, found once by absolute path so
// that the launcher never depends on the task's PATH.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export const TOOL_NAMES = ['unshare', 'mount', 'chroot', 'setsid', 'mknod', 'cp', 'chown', 'ln', 'mkdir', 'rm', 'ls'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];
export type ToolPaths = Record<ToolName, string>;

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findExecutable(name: string, dirs: string[] = SYSTEM_DIRS): string | null {
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next directory
    }
  }
  return null;
}

export function findTools(): { tools: ToolPaths | null; missing: ToolName[] } {
  const found: Partial<ToolPaths> = {};
  const missing: ToolName[] = [];
  for (const n of TOOL_NAMES) {
    const p = findExecutable(n);
    if (p) found[n] = p;
    else missing.push(n);
  }
  return { tools: missing.length === 0 ? (found as ToolPaths) : null, missing };
}
