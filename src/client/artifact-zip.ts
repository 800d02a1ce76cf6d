// A small zip reader for artifacts: finds the central directory from the end record, then
// reads each entry (stored or deflated) one at a time through a file handle, so only one
// entry is ever in memory. Paths are checked to stay inside the destination.
import { mkdir, open, symlink, writeFile, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { safeJoin } from './artifact-paths.js';

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN_BYTES = 22;
/** The end record sits within the last 22 bytes plus a comment of at most 64 KiB. */
const EOCD_SEARCH_BYTES = EOCD_MIN_BYTES + 0xffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export async function extractZip(file: string, dest: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const tailLen = Math.min(size, EOCD_SEARCH_BYTES);
    const tail = await readAt(fh, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - EOCD_MIN_BYTES; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error('not a zip archive: no end of central directory record');
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff || entries === 0xffff) throw new Error('zip64 archives are not supported');
    const cd = await readAt(fh, cdSize, cdOffset);
    let p = 0;
    for (let n = 0; n < entries; n++) {
      if (cd.readUInt32LE(p) !== CENTRAL_SIG) throw new Error('corrupt zip central directory');
      const method = cd.readUInt16LE(p + 10);
      const compSize = cd.readUInt32LE(p + 20);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const unixMode = cd.readUInt32LE(p + 38) >>> 16;
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.subarray(p + 46, p + 46 + nameLen).toString('utf8');
      p += 46 + nameLen + extraLen + commentLen;

      const target = safeJoin(dest, name);
      if (name.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      const local = await readAt(fh, 30, localOffset);
      if (local.readUInt32LE(0) !== LOCAL_SIG) throw new Error(`corrupt zip entry "${name}"`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const raw = await readAt(fh, compSize, dataStart);
      let data: Buffer;
      if (method === METHOD_STORED) data = raw;
      else if (method === METHOD_DEFLATE) data = inflateRawSync(new Uint8Array(raw));
      else throw new Error(`zip entry "${name}" uses unsupported compression method ${method}`);
      await mkdir(safeJoin(dest, name + '/..'), { recursive: true });
      if ((unixMode & S_IFMT) === S_IFLNK) {
        const linkTarget = data.toString('utf8');
        if (linkTarget.startsWith('/')) throw new Error(`illegal symlink target in archive: "${name}" -> "${linkTarget}"`);
        safeJoin(dest, `${name}/../${linkTarget}`);
        await symlink(linkTarget, target);
        continue;
      }
      await writeFile(target, new Uint8Array(data), { mode: unixMode & 0o777 || 0o644 });
    }
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, len: number, position: number): Promise<Buffer> {
  const u = new Uint8Array(len);
  const { bytesRead } = await fh.read(u, 0, len, position);
  if (bytesRead < len) throw new Error('truncated zip archive');
  return Buffer.from(u.buffer, u.byteOffset, u.length);
}
