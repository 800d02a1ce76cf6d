// The log on disk: append-only segment files of checksummed records
//   [u32 payload length][u32 crc32(payload)][payload = msgpack entry]
// named by the index of their first entry. A batch is one synchronized write
// (O_DSYNC: durable when it returns). On open, a torn or corrupt tail (bad
// length, bad checksum, broken index sequence) is cut off: it was never
// acknowledged, so it is never applied.
import { closeSync, constants, openSync, promises as fsp, readFileSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { asBytes, concatBytes, readU32LE, writeU32LE } from '../bytes.js';
import { invariant } from '../invariant.js';
import type { Entry } from '../types.js';
import { crc32 } from './crc32.js';
import { decodeEntry, encodeEntry } from './entry-codec.js';
import { fsyncDir } from './fsutil.js';
import { StorageCorruptionError, type LogStore } from './types.js';

const HEADER_BYTES = 8;
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const SEGMENT_SUFFIX = '.seg';
/**
 * The active segment is opened for synchronized data writes (O_DSYNC): a write returns once it
 * is durable, as a write followed by fdatasync, but in one trip to the I/O thread instead of two.
 * The trip back in between waited for the event loop, which a busy server may hold for
 * milliseconds, before the fdatasync could even start.
 */
const ACTIVE_FLAGS = constants.O_RDWR | constants.O_DSYNC;
const NEW_ACTIVE_FLAGS = ACTIVE_FLAGS | constants.O_CREAT | constants.O_TRUNC;

export interface FileLogStoreOptions {
  /** A new segment starts once the active one exceeds this size. */
  readonly segmentMaxBytes?: number;
  /** Told about a tail cut off at open (for logging). */
  readonly onRepair?: (message: string) => void;
}

interface Segment {
  readonly firstIndex: number;
  readonly path: string;
  /** File offset of each entry, by position. */
  offsets: number[];
  sizeBytes: number;
}

function segmentName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

export class FileLogStore implements LogStore {
  private segments: Segment[] = [];
  private active: FileHandle | null = null;
  private emptyLast: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly segmentMaxBytes: number;

  private constructor(private readonly dir: string, options: FileLogStoreOptions) {
    this.segmentMaxBytes = options.segmentMaxBytes ?? 64 * 1024 * 1024;
    this.emptyLast = 0;
  }

  static async open(dir: string, options: FileLogStoreOptions = {}): Promise<FileLogStore> {
    await fsp.mkdir(dir, { recursive: true });
    const store = new FileLogStore(dir, options);
    await store.scan(options.onRepair ?? (() => undefined));
    return store;
  }

  private async scan(onRepair: (message: string) => void): Promise<void> {
    const names = (await fsp.readdir(this.dir)).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort();
    let expected = -1;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const path = join(this.dir, name);
      const firstIndex = Number(name.slice(0, -SEGMENT_SUFFIX.length));
      if (!Number.isSafeInteger(firstIndex) || (expected >= 0 && firstIndex !== expected)) {
        onRepair(`log segment ${name} does not continue the log at ${expected}; dropping it and later segments`);
        await this.dropFiles(names.slice(i));
        break;
      }
      const buf = asBytes(readFileSync(path));
      const offsets: number[] = [];
      let pos = 0;
      let index = firstIndex;
      let bad: string | null = null;
      while (pos < buf.length) {
        if (pos + HEADER_BYTES > buf.length) {
          bad = 'torn record header';
          break;
        }
        const len = readU32LE(buf, pos);
        const sum = readU32LE(buf, pos + 4);
        if (len > MAX_RECORD_BYTES || pos + HEADER_BYTES + len > buf.length) {
          bad = 'torn record';
          break;
        }
        const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
        if (crc32(payload) !== sum) {
          bad = 'checksum mismatch';
          break;
        }
        let e: Entry;
        try {
          e = decodeEntry(payload);
        } catch {
          bad = 'undecodable record';
          break;
        }
        if (e.index !== index) {
          bad = `index ${e.index} where ${index} was expected`;
          break;
        }
        offsets.push(pos);
        pos += HEADER_BYTES + len;
        index++;
      }
      if (bad !== null) {
        // Only the end of the log can be torn (a batch that was never acknowledged). Bad bytes with
        // good records after them, or in a segment that later segments continue, mean damage to
        // entries that were acknowledged: cutting there would lose committed data.
        const isLast = i === names.length - 1;
        if (!isLast || validRecordFollows(buf, pos, index)) {
          throw new StorageCorruptionError(`log segment ${path}: ${bad} at byte ${pos} (entry ${index}), with entries after it: the log is damaged in the middle; refusing to start rather than lose committed entries (restore this server's data_dir from a backup, or remove it so that the server catches up from the others)`);
        }
        onRepair(`log segment ${name}: ${bad} at byte ${pos}; truncating the log after index ${index - 1}`);
        const h = await fsp.open(path, 'r+');
        await h.truncate(pos);
        await h.sync();
        await h.close();
        await this.dropFiles(names.slice(i + 1));
        this.segments.push({ firstIndex, path, offsets, sizeBytes: pos });
        expected = index;
        break;
      }
      this.segments.push({ firstIndex, path, offsets, sizeBytes: pos });
      expected = index;
    }
    // Drop empty segments other than the last, they carry no entries.
    this.segments = this.segments.filter((s, i) => s.offsets.length > 0 || i === this.segments.length - 1);
    const last = this.segments[this.segments.length - 1];
    if (last) {
      this.emptyLast = last.firstIndex + last.offsets.length - 1;
      this.active = await fsp.open(last.path, ACTIVE_FLAGS);
    }
  }

  private async dropFiles(names: readonly string[]): Promise<void> {
    for (const n of names) await fsp.rm(join(this.dir, n), { force: true });
    if (names.length > 0) await fsyncDir(this.dir);
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  firstIndex(): number {
    for (const s of this.segments) if (s.offsets.length > 0) return s.firstIndex;
    return this.lastIndex() + 1;
  }

  lastIndex(): number {
    const last = this.segments[this.segments.length - 1];
    if (!last) return this.emptyLast;
    return last.firstIndex + last.offsets.length - 1;
  }

  storeEntries(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.serial(async () => {
      const from = (entries[0] as Entry).index;
      if (from <= this.lastIndex()) await this.truncateSuffix(from);
      const last = this.lastIndex();
      invariant(from === last + 1 || this.segments.length === 0, `log append at ${from} after last ${last}`);
      let seg = this.segments[this.segments.length - 1];
      if (!seg || seg.sizeBytes >= this.segmentMaxBytes || (seg.offsets.length === 0 && seg.firstIndex !== from)) {
        if (seg && seg.offsets.length === 0) await this.removeSegment(seg);
        seg = await this.newSegment(from);
      }
      const parts: Uint8Array[] = [];
      let size = 0;
      const offsets: number[] = [];
      for (const e of entries) {
        const payload = encodeEntry(e);
        const header = new Uint8Array(HEADER_BYTES);
        writeU32LE(header, 0, payload.length);
        writeU32LE(header, 4, crc32(payload));
        offsets.push(seg.sizeBytes + size);
        parts.push(header, payload);
        size += HEADER_BYTES + payload.length;
      }
      const buf = concatBytes(parts, size);
      const h = this.active as FileHandle;
      let written = 0;
      while (written < buf.length) {
        const r = await h.write(buf, written, buf.length - written, seg.sizeBytes + written);
        written += r.bytesWritten;
      }
      seg.sizeBytes += size;
      for (const o of offsets) seg.offsets.push(o);
    });
  }

  private async newSegment(firstIndex: number): Promise<Segment> {
    if (this.active) await this.active.close();
    const path = join(this.dir, segmentName(firstIndex));
    this.active = await fsp.open(path, NEW_ACTIVE_FLAGS);
    await fsyncDir(this.dir);
    const seg: Segment = { firstIndex, path, offsets: [], sizeBytes: 0 };
    this.segments.push(seg);
    return seg;
  }

  private async removeSegment(seg: Segment): Promise<void> {
    const i = this.segments.indexOf(seg);
    if (i === this.segments.length - 1 && this.active) {
      await this.active.close();
      this.active = null;
    }
    this.segments.splice(i, 1);
    await fsp.rm(seg.path, { force: true });
  }

  private async truncateSuffix(from: number): Promise<void> {
    while (this.segments.length > 0) {
      const seg = this.segments[this.segments.length - 1] as Segment;
      if (seg.firstIndex >= from) {
        await this.removeSegment(seg);
        continue;
      }
      const keep = from - seg.firstIndex;
      if (keep < seg.offsets.length) {
        const cut = seg.offsets[keep] as number;
        seg.offsets.length = keep;
        seg.sizeBytes = cut;
        const h = await fsp.open(seg.path, 'r+');
        await h.truncate(cut);
        await h.sync();
        await h.close();
      }
      break;
    }
    await fsyncDir(this.dir);
    this.emptyLast = from - 1;
    const last = this.segments[this.segments.length - 1];
    if (last && !this.active) this.active = await fsp.open(last.path, ACTIVE_FLAGS);
  }

  readRange(lo: number, hi: number): Promise<Entry[]> {
    invariant(lo >= this.firstIndex() && hi <= this.lastIndex(), `read [${lo}, ${hi}] outside [${this.firstIndex()}, ${this.lastIndex()}]`);
    const out: Entry[] = [];
    for (const seg of this.segments) {
      const segLast = seg.firstIndex + seg.offsets.length - 1;
      if (segLast < lo || seg.firstIndex > hi || seg.offsets.length === 0) continue;
      const a = Math.max(lo, seg.firstIndex) - seg.firstIndex;
      const b = Math.min(hi, segLast) - seg.firstIndex;
      const start = seg.offsets[a] as number;
      const end = b + 1 < seg.offsets.length ? (seg.offsets[b + 1] as number) : seg.sizeBytes;
      const buf = new Uint8Array(end - start);
      const fd = openSync(seg.path, 'r');
      try {
        let got = 0;
        while (got < buf.length) {
          const n = readSync(fd, buf, got, buf.length - got, start + got);
          invariant(n > 0, `short read in ${seg.path}`);
          got += n;
        }
      } finally {
        closeSync(fd);
      }
      let pos = 0;
      while (pos < buf.length) {
        const len = readU32LE(buf, pos);
        out.push(decodeEntry(buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len)));
        pos += HEADER_BYTES + len;
      }
    }
    return Promise.resolve(out);
  }

  compactPrefix(index: number): Promise<void> {
    return this.serial(async () => {
      // Whole segments only, and never the active one: the entry at a snapshot's
      // index stays so that a restart can check that the log continues the snapshot.
      let removed = false;
      while (this.segments.length > 1) {
        const seg = this.segments[0] as Segment;
        const next = this.segments[1] as Segment;
        if (next.firstIndex - 1 > index) break;
        this.segments.shift();
        await fsp.rm(seg.path, { force: true });
        removed = true;
      }
      if (removed) await fsyncDir(this.dir);
    });
  }

  reset(index: number): Promise<void> {
    return this.serial(async () => {
      if (this.active) await this.active.close();
      this.active = null;
      for (const seg of this.segments) await fsp.rm(seg.path, { force: true });
      this.segments = [];
      await fsyncDir(this.dir);
      this.emptyLast = index;
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      if (this.active) await this.active.close();
      this.active = null;
    });
  }
}

/** Whether a whole, checksummed record of a later entry starts somewhere after a bad one at `from`. */
function validRecordFollows(buf: Uint8Array, from: number, badIndex: number): boolean {
  for (let pos = from + 1; pos + HEADER_BYTES <= buf.length; pos++) {
    const len = readU32LE(buf, pos);
    if (len === 0 || len > MAX_RECORD_BYTES || pos + HEADER_BYTES + len > buf.length) continue;
    const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
    if (crc32(payload) !== readU32LE(buf, pos + 4)) continue;
    try {
      if (decodeEntry(payload).index > badIndex) return true;
    } catch {
      // not a record boundary
    }
  }
  return false;
}
