// What a task's chroot holds from the host: Nomad's default chroot_env (system directories,
// bound read-only), or the client's own map of host path -> path inside the chroot.
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

export const DEFAULT_CHROOT_ENV: Record<string, string> = {
  '/bin': '/bin',
  '/etc': '/etc',
  '/lib': '/lib',
  '/lib32': '/lib32',
  '/lib64': '/lib64',
  '/run/resolvconf': '/run/resolvconf',
  '/sbin': '/sbin',
  '/usr': '/usr',
};

/** Paths inside the chroot that the driver mounts itself; a chroot_env entry may not shadow them. */
const RESERVED_TARGETS = new Set(['/', '/alloc', '/local', '/secrets', '/tmp', '/dev', '/proc']);

export interface ChrootBind {
  hostPath: string;
  /** Path inside the chroot, absolute. */
  target: string;
  isDir: boolean;
}

/** Keeps only entries whose host path exists: /lib32 is absent on most hosts. */
export async function resolveChrootEnv(env: Record<string, string>): Promise<ChrootBind[]> {
  const out: ChrootBind[] = [];
  for (const [host, inside] of Object.entries(env)) {
    const target = normalize('/' + inside);
    if (RESERVED_TARGETS.has(target) || target.split('/').includes('..')) {
      throw new Error(`chroot_env: "${inside}" is not a valid path inside the task's chroot`);
    }
    try {
      const s = await stat(host);
      out.push({ hostPath: host, target, isDir: s.isDirectory() });
    } catch {
      // A missing host path is skipped, as Nomad does.
    }
  }
  // Parents before children, so /usr is mounted before a /usr/local entry on top of it.
  return out.sort((a, b) => a.target.length - b.target.length);
}

/** Creates the empty directories (or files) that the launcher mounts onto inside the task dir. */
export async function prepareMountpoints(root: string, binds: ChrootBind[]): Promise<string[]> {
  const created: string[] = [];
  for (const b of binds) {
    const p = join(root, b.target);
    if (b.isDir) await mkdir(p, { recursive: true });
    else {
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, '', { flag: 'a' });
    }
    created.push(p);
  }
  for (const d of ['alloc', 'dev', 'proc', 'local', 'secrets', 'tmp']) await mkdir(join(root, d), { recursive: true });
  // The task runs as an unprivileged user: its writable dirs must be open to it whatever the
  // client's umask made of them (mkdir's mode is masked; chmod's is not).
  await chmod(join(root, 'local'), 0o777);
  await chmod(join(root, 'tmp'), 0o1777);
  return created;
}
