// The client's state file: an append-only log of keyed records, each framed and checksummed:
//
//   magic u32 "NCS1" | payload length u32 | CRC-32 of the payload u32 | payload (msgpack [key, value])
//
// A value of null deletes its key; the last record of a key wins. Why a log of our own rather
// than an embedded database: what the client keeps is small (its allocations and their tasks),
// written a little at a time, read once at start-up; a checksum per record means a damaged
// record (a torn write at a crash, a bad sector) costs that record alone: reading resumes at the
// next valid record, and everything else is kept. The log is rewritten whole (to a temporary
// file, synced, renamed over the old one) when it has grown to several times what it holds.
import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { Packr } from 'msgpackr';
import { crc32 } from '../../raft/storage/crc32.js';
import { asBytes, concatBytes } from '../../raft/bytes.js';

const MAGIC = 0x4e435331; // "NCS1"
const HEADER_BYTES = 12;
/** A record larger than this is not one we wrote: treat it as damage. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** Rewrite once the file holds this many times its live records (and at least the floor). */
const COMPACT_RATIO = 4;
const COMPACT_FLOOR_BYTES = 1024 * 1024;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, variableMapSize: true });

export interface LoadReport {
  records: number;
  /** Bytes skipped as damaged, and where each damaged stretch began. */
  damagedBytes: number;
  damagedAt: number[];
}

function frame(key: string, value: unknown): Uint8Array {
  const payload = asBytes(packr.pack([key, value]));
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, payload.length);
  view.setUint32(8, crc32(payload));
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The valid record at `off`, or null. */
function recordAt(buf: Uint8Array, view: DataView, off: number): { key: string; value: unknown; end: number } | null {
  if (off + HEADER_BYTES > buf.length || view.getUint32(off) !== MAGIC) return null;
  const len = view.getUint32(off + 4);
  if (len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > buf.length) return null;
  const payload = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
  if (crc32(payload) !== view.getUint32(off + 8)) return null;
  try {
    const decoded = packr.unpack(payload) as unknown;
    if (!Array.isArray(decoded) || typeof decoded[0] !== 'string') return null;
    return { key: decoded[0], value: decoded[1] ?? null, end: off + HEADER_BYTES + len };
  } catch {
    return null;
  }
}

export class RecordLog {
  private readonly live = new Map<string, unknown>();
  private liveBytes = new Map<string, number>();
  private fd: number;
  private fileBytes = 0;
  private pending: Uint8Array[] = [];
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private closed = false;
  readonly report: LoadReport;

  private constructor(
    private readonly path: string,
    private readonly sync: boolean,
  ) {
    this.report = this.load();
    this.fd = openSync(path, 'a', 0o600);
    // A damaged stretch is dropped for good: the next start reads a clean file.
    if (this.report.damagedBytes > 0) this.compactNow();
  }

  /** Opens (creating) the log at `path` and reads what it holds. `sync`: each write reaches the disk before it counts as done. */
  static open(path: string, opts: { sync?: boolean } = {}): RecordLog {
    return new RecordLog(path, opts.sync ?? true);
  }

  private load(): LoadReport {
    const report: LoadReport = { records: 0, damagedBytes: 0, damagedAt: [] };
    if (!existsSync(this.path)) return report;
    const buf = asBytes(readFileSync(this.path));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.fileBytes = buf.length;
    let off = 0;
    while (off < buf.length) {
      const r = recordAt(buf, view, off);
      if (r) {
        this.keep(r.key, r.value, r.end - off);
        report.records++;
        off = r.end;
        continue;
      }
      // Damage: resume at the next offset where a whole valid record starts.
      report.damagedAt.push(off);
      let next = off + 1;
      for (; next + HEADER_BYTES <= buf.length; next++) if (view.getUint32(next) === MAGIC && recordAt(buf, view, next)) break;
      if (next + HEADER_BYTES > buf.length) next = buf.length;
      report.damagedBytes += Math.min(next, buf.length) - off;
      off = next;
    }
    return report;
  }

  private keep(key: string, value: unknown, bytes: number): void {
    if (value === null) {
      this.live.delete(key);
      this.liveBytes.delete(key);
    } else {
      this.live.set(key, value);
      this.liveBytes.set(key, bytes);
    }
  }

  get(key: string): unknown {
    return this.live.get(key) ?? null;
  }

  /** Keys and values under a prefix ("alloc/"). */
  entries(prefix = ''): Array<[string, unknown]> {
    return [...this.live.entries()].filter(([k]) => k.startsWith(prefix));
  }

  /** Records a value (null deletes); written with whatever else is put in the same turn. */
  put(key: string, value: unknown): void {
    if (this.closed) return;
    const rec = frame(key, value);
    this.keep(key, value, rec.length);
    this.pending.push(rec);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.writing = this.writing.then(() => this.writePending());
      });
    }
  }

  /** Resolves once everything put so far is written (and synced). */
  async flush(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    await this.writing;
    if (this.pending.length > 0) {
      this.writing = this.writing.then(() => this.writePending());
      await this.writing;
    }
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0 || this.closed) return;
    const data = concatBytes(this.pending);
    this.pending = [];
    const h = await fsp.open(this.path, 'a');
    try {
      await h.write(data);
      if (this.sync) await h.datasync();
    } finally {
      await h.close();
    }
    this.fileBytes += data.length;
    let liveTotal = 0;
    for (const n of this.liveBytes.values()) liveTotal += n;
    if (this.fileBytes > COMPACT_FLOOR_BYTES && this.fileBytes > COMPACT_RATIO * liveTotal) this.compactNow();
  }

  /** Rewrites the log with the live records only: temporary file, sync, rename, sync the directory. */
  private compactNow(): void {
    const parts: Uint8Array[] = [];
    for (const [k, v] of this.live) parts.push(frame(k, v));
    const data = concatBytes(parts);
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dfd = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a', 0o600);
    this.fileBytes = data.length;
  }

  /** Bytes in the file now (tests, metrics). */
  get sizeBytes(): number {
    return this.fileBytes;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    fdatasyncSync(this.fd);
    closeSync(this.fd);
  }
}
