// Unpacks a zip artifact with yauzl, one entry at a time (only one entry's stream is open at
// once). Paths and link targets are checked to stay inside the destination before writing.
import { createWriteStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import yauzl from 'yauzl';
import { safeJoin } from './artifact-paths.js';
import { checkLinkTarget } from './artifact-links.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export async function extractZip(file: string, dest: string): Promise<void> {
  // yauzl refuses absolute and climbing names itself (strict names), safeJoin checks again.
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: true });
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      const target = safeJoin(dest, name);
      if (name.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      const unixMode = entry.externalFileAttributes >>> 16;
      await mkdir(safeJoin(dest, name + '/..'), { recursive: true });
      const data = await zip.openReadStreamPromise(entry);
      if ((unixMode & S_IFMT) === S_IFLNK) {
        const linkTarget = await text(data);
        checkLinkTarget(dest, name, linkTarget);
        await symlink(linkTarget, target);
        continue;
      }
      await pipeline(data, createWriteStream(target, { mode: unixMode & 0o777 || 0o644 }));
    }
  } finally {
    zip.close();
  }
}
