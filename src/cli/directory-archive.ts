// Writes a directory tree as a gzipped tar (the archive `nomad operator debug` leaves behind),
// streaming each file so a large bundle never sits whole in memory.
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';

/** Archives `parent/name` into `file`, with entry paths starting at `name/`. */
export async function writeTarGz(parent: string, name: string, file: string): Promise<void> {
  const archive = pack();
  const writing = pipeline(archive, createGzip(), createWriteStream(file, { mode: 0o600 }));
  try {
    await addTree(archive, parent, name);
    archive.finalize();
  } catch (err) {
    archive.destroy(err as Error);
    await writing.catch(() => undefined);
    throw err;
  }
  await writing;
}

async function addTree(archive: Pack, parent: string, rel: string): Promise<void> {
  const path = join(parent, rel);
  const info = await stat(path);
  const mtime = info.mtime;
  if (info.isDirectory()) {
    archive.entry({ name: `${rel}/`, type: 'directory', mode: 0o755, mtime });
    for (const child of (await readdir(path)).sort()) await addTree(archive, parent, `${rel}/${child}`);
    return;
  }
  if (!info.isFile()) return;
  const entry = archive.entry({ name: rel, type: 'file', size: info.size, mode: 0o644, mtime });
  await pipeline(createReadStream(path), entry);
}
