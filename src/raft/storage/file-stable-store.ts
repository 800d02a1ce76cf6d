// Term and vote on disk: one small checksummed record, replaced atomically
// (write, fsync, rename, fsync directory). Changes only on elections.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { asBytes, concatBytes, readU32LE, writeU32LE } from '../bytes.js';
import type { HardState, UnconfirmedRestore } from '../types.js';
import { crc32 } from './crc32.js';
import { packr } from './entry-codec.js';
import { writeFileAtomic } from './fsutil.js';
import { StorageCorruptionError } from './types.js';
import type { StableStore } from './types.js';

const FILE_NAME = 'raft-stable.bin';

export class FileStableStore implements StableStore {
  private readonly path: string;

  private constructor(dir: string) {
    this.path = join(dir, FILE_NAME);
  }

  static async open(dir: string): Promise<FileStableStore> {
    await fsp.mkdir(dir, { recursive: true });
    return new FileStableStore(dir);
  }

  async load(): Promise<HardState> {
    let buf: Uint8Array;
    try {
      buf = asBytes(await fsp.readFile(this.path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { term: 0, vote: null };
      throw e;
    }
    const len = buf.length >= 8 ? readU32LE(buf, 0) : -1;
    const payload = buf.subarray(8, 8 + Math.max(0, len));
    if (len < 0 || buf.length !== 8 + len || crc32(payload) !== readU32LE(buf, 4)) {
      // The file is replaced by rename, so a bad one is damage, not a torn write.
      throw new StorageCorruptionError(`${this.path}: checksum mismatch in the stable store`);
    }
    const v = packr.unpack(payload) as { term: number; vote: string | null; restore?: UnconfirmedRestore | null };
    return v.restore ? { term: v.term, vote: v.vote ?? null, restore: v.restore } : { term: v.term, vote: v.vote ?? null };
  }

  async save(state: HardState): Promise<void> {
    const payload = asBytes(packr.pack({ term: state.term, vote: state.vote, restore: state.restore ?? null }));
    const header = new Uint8Array(8);
    writeU32LE(header, 0, payload.length);
    writeU32LE(header, 4, crc32(payload));
    await writeFileAtomic(this.path, concatBytes([header, payload]));
  }

  async close(): Promise<void> {}
}
