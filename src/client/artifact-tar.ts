// Unpacks a tar artifact (tar-stream parses ustar, GNU long names and pax headers): regular
// files, directories and symlinks. Every path, and every link's target, is checked to stay
// inside the destination before anything is written; other entry kinds are skipped.
import { createWriteStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { safeJoin } from './artifact-paths.js';
import { checkLinkTarget } from './artifact-links.js';

export async function extractTar(chunks: AsyncIterable<Uint8Array>, dest: string): Promise<void> {
  const entries = extract();
  const feeding = pipeline(Readable.from(chunks), entries);
  try {
    for await (const entry of entries) {
      const { name, type, mode, linkname } = entry.header;
      const target = safeJoin(dest, name);
      if (type === 'directory') {
        await mkdir(target, { recursive: true });
      } else if (type === 'file' || type === 'contiguous-file') {
        await mkdir(safeJoin(dest, name + '/..'), { recursive: true });
        await pipeline(entry, createWriteStream(target, { mode: (mode ?? 0) & 0o777 || 0o644 }));
        continue;
      } else if (type === 'symlink') {
        checkLinkTarget(dest, name, linkname ?? '');
        await mkdir(safeJoin(dest, name + '/..'), { recursive: true });
        await symlink(linkname ?? '', target);
      }
      // Hard links, devices and fifos have no place in an artifact: their data is drained.
      entry.resume();
    }
  } catch (err) {
    entries.destroy();
    await feeding.catch(() => undefined);
    throw err;
  }
  await feeding;
}
