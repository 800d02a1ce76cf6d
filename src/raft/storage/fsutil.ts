// Small helpers for crash-safe file updates.
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Replaces `path` atomically: write a temporary file, sync it, rename, sync the directory. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const h = await fsp.open(tmp, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  await fsp.rename(tmp, path);
  await fsyncDir(dirname(path));
}
