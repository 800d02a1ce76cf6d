// unique.cgroup.mountpoint: where the cpu controller is mounted (cgroup v1), or the unified
// hierarchy (cgroup v2). Absent when the host has no cgroups.
import type { FingerprintContext, FingerprintResult } from './types.js';

export function cgroupMountpoint(mounts: string): string | null {
  let unified: string | null = null;
  for (const line of mounts.split('\n')) {
    const [, mount, type, opts] = line.split(' ');
    if (!mount || !type) continue;
    if (type === 'cgroup' && (opts ?? '').split(',').includes('cpu')) return mount;
    if (type === 'cgroup2' && unified === null) unified = mount;
  }
  return unified;
}

export async function fingerprintCgroup(ctx: FingerprintContext): Promise<FingerprintResult> {
  const mounts = await ctx.readText('/proc/mounts');
  const mp = mounts ? cgroupMountpoint(mounts) : null;
  return { attributes: mp ? { 'unique.cgroup.mountpoint': mp } : {} };
}
