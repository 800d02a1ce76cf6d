// The volume that holds the data dir: device (from /proc/mounts, longest mount prefix), size
// and free space (statfs). Free space becomes the node's schedulable disk.
import { mkdir, statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FingerprintContext, FingerprintResult } from './types.js';

export function deviceForPath(mounts: string, path: string): string | null {
  let best: { mount: string; device: string } | null = null;
  for (const line of mounts.split('\n')) {
    const [device, mount] = line.split(' ');
    if (!device || !mount) continue;
    const m = mount.replace(/\\040/g, ' ');
    const under = m === '/' || path === m || path.startsWith(m + '/');
    if (under && (!best || m.length > best.mount.length)) best = { mount: m, device };
  }
  return best?.device ?? null;
}

export async function fingerprintStorage(ctx: FingerprintContext): Promise<FingerprintResult> {
  const dir = resolve(ctx.dataDir);
  await mkdir(dir, { recursive: true });
  const [fs, mounts] = await Promise.all([statfs(dir), ctx.readText('/proc/mounts')]);
  const total = fs.blocks * fs.bsize;
  const free = fs.bavail * fs.bsize;
  const attributes: Record<string, string> = {
    'unique.storage.bytestotal': String(total),
    'unique.storage.bytesfree': String(free),
  };
  const device = mounts ? deviceForPath(mounts, dir) : null;
  if (device) attributes['unique.storage.volume'] = device;
  return { attributes, diskMB: Math.floor(free / (1024 * 1024)) };
}
