// Snapshots on disk, one directory each: state.bin (the FSM's bytes) and
// meta.json (metadata, size, crc32). Written under a temporary name and
// renamed when complete, so a crash leaves either the whole snapshot or none.
// The newest `retain` are kept.
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { asBytes, concatBytes } from '../bytes.js';
import { invariant } from '../invariant.js';
import type { SnapshotMeta } from '../types.js';
import { crc32 } from './crc32.js';
import { fsyncDir } from './fsutil.js';
import { StorageCorruptionError } from './types.js';
import type { OpenedSnapshot, SnapshotSink, SnapshotStore } from './types.js';

const TMP_SUFFIX = '.tmp';
const STATE_FILE = 'state.bin';
const META_FILE = 'meta.json';

interface StoredMeta {
  readonly meta: SnapshotMeta;
  readonly sizeBytes: number;
  readonly crc32: number;
}

export interface FileSnapshotStoreOptions {
  readonly retain?: number;
  readonly onCorrupt?: (message: string) => void;
}

export class FileSnapshotStore implements SnapshotStore {
  private seq = 0;
  private readonly retain: number;
  private readonly onCorrupt: (message: string) => void;

  private constructor(private readonly dir: string, options: FileSnapshotStoreOptions) {
    this.retain = options.retain ?? 2;
    invariant(this.retain >= 1, 'retain at least one snapshot');
    this.onCorrupt = options.onCorrupt ?? (() => undefined);
  }

  static async open(dir: string, options: FileSnapshotStoreOptions = {}): Promise<FileSnapshotStore> {
    await fsp.mkdir(dir, { recursive: true });
    // Leftovers of snapshots interrupted by a crash.
    for (const name of await fsp.readdir(dir)) {
      if (name.endsWith(TMP_SUFFIX)) await fsp.rm(join(dir, name), { recursive: true, force: true });
    }
    return new FileSnapshotStore(dir, options);
  }

  async create(meta: SnapshotMeta): Promise<SnapshotSink> {
    const name = `${meta.term}-${meta.index}-${Date.now()}-${this.seq++}`;
    const tmpDir = join(this.dir, name + TMP_SUFFIX);
    await fsp.mkdir(tmpDir);
    const file: FileHandle = await fsp.open(join(tmpDir, STATE_FILE), 'w');
    let crc = 0;
    let sizeBytes = 0;
    let done = false;
    const finish = async (): Promise<void> => {
      invariant(!done, 'snapshot finished twice');
      done = true;
      await file.close();
    };
    return {
      write: async (chunk: Uint8Array) => {
        invariant(!done, 'write to a finished snapshot');
        crc = crc32(chunk, crc);
        sizeBytes += chunk.length;
        let written = 0;
        while (written < chunk.length) written += (await file.write(chunk, written, chunk.length - written)).bytesWritten;
      },
      commit: async () => {
        await file.sync();
        await finish();
        const stored: StoredMeta = { meta, sizeBytes, crc32: crc };
        const mh = await fsp.open(join(tmpDir, META_FILE), 'w');
        await mh.writeFile(JSON.stringify(stored));
        await mh.sync();
        await mh.close();
        await fsyncDir(tmpDir);
        await fsp.rename(tmpDir, join(this.dir, name));
        await fsyncDir(this.dir);
        await this.reap();
        return meta;
      },
      cancel: async () => {
        if (!done) await finish();
        await fsp.rm(tmpDir, { recursive: true, force: true });
      },
    };
  }

  private async listStored(): Promise<{ name: string; stored: StoredMeta }[]> {
    const out: { name: string; stored: StoredMeta }[] = [];
    for (const name of await fsp.readdir(this.dir)) {
      if (name.endsWith(TMP_SUFFIX)) continue;
      try {
        const stored = JSON.parse(await fsp.readFile(join(this.dir, name, META_FILE), 'utf8')) as StoredMeta;
        out.push({ name, stored });
      } catch {
        this.onCorrupt(`snapshot ${name}: unreadable metadata, ignored`);
      }
    }
    out.sort((a, b) => b.stored.meta.index - a.stored.meta.index || b.stored.meta.term - a.stored.meta.term || (a.name < b.name ? 1 : -1));
    return out;
  }

  private async reap(): Promise<void> {
    const all = await this.listStored();
    for (const old of all.slice(this.retain)) await fsp.rm(join(this.dir, old.name), { recursive: true, force: true });
  }

  async discardAbove(index: number): Promise<void> {
    let removed = false;
    for (const s of await this.listStored()) {
      if (s.stored.meta.index <= index) continue;
      await fsp.rm(join(this.dir, s.name), { recursive: true, force: true });
      removed = true;
    }
    if (removed) await fsyncDir(this.dir);
  }

  async list(): Promise<SnapshotMeta[]> {
    return (await this.listStored()).map((s) => s.stored.meta);
  }

  async openLatest(): Promise<OpenedSnapshot | null> {
    for (const { name, stored } of await this.listStored()) {
      const path = join(this.dir, name, STATE_FILE);
      let data: Uint8Array;
      try {
        data = asBytes(await fsp.readFile(path));
      } catch {
        this.onCorrupt(`snapshot ${name}: state unreadable, trying an older one`);
        continue;
      }
      if (data.length !== stored.sizeBytes || crc32(data) !== stored.crc32) {
        this.onCorrupt(`snapshot ${name}: checksum mismatch, trying an older one`);
        continue;
      }
      return this.opened(path, stored, data);
    }
    return null;
  }

  /**
   * `verified` is the whole state just read and checked: readAll() hands it over instead of
   * reading and checking it again (a restart restores a snapshot of hundreds of MB right after
   * opening it). Held only until the first read of either kind, so that a snapshot streamed to a
   * follower is not also kept whole in memory.
   */
  private opened(path: string, stored: StoredMeta, verified: Uint8Array | null): OpenedSnapshot {
    let held = verified;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      held = null;
      let crc = 0;
      let size = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
        const c = asBytes(chunk as Buffer);
        crc = crc32(c, crc);
        size += c.length;
        yield c;
      }
      if (size !== stored.sizeBytes || crc !== stored.crc32) throw new StorageCorruptionError(`${path}: checksum mismatch while streaming`);
    }
    return {
      meta: stored.meta,
      sizeBytes: stored.sizeBytes,
      chunks,
      readAll: async () => {
        const data = held;
        held = null;
        if (data !== null) return data;
        const parts: Uint8Array[] = [];
        for await (const c of chunks()) parts.push(c);
        return concatBytes(parts, stored.sizeBytes);
      },
    };
  }

  async close(): Promise<void> {}
}
