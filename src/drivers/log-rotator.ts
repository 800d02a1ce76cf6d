// A task's stdout or stderr as Nomad's logmon writes it: alloc/logs/<task>.<stdout|stderr>.<N>,
// N counting up from 0, a new file once the current one reaches max_file_size, and at most
// max_files kept (the oldest deleted). Writes are synchronous so that what a driver handed over
// is on disk, in order, when write returns; chunks are small (pipe reads), so this is cheap.
import { closeSync, fstatSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogFiles, LogSink } from './driver.js';

/** "<task>.stdout" or "<task>.stderr" in dir, rotated as the task's log block says. */
export type LogRotatorOptions = LogFiles;

/** Indexes of the existing files of one stream, ascending. */
export function logFileIndexes(dir: string, baseName: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const prefix = baseName + '.';
  const out: number[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const rest = n.slice(prefix.length);
    if (/^\d+$/.test(rest)) out.push(Number(rest));
  }
  return out.sort((a, b) => a - b);
}

export class LogRotator implements LogSink {
  /** The files this sink writes: a driver may hand them to a log collector of its own instead. */
  readonly files: LogRotatorOptions;
  private fd: number | null = null;
  private index = 0;
  private sizeBytes = 0;
  private closed = false;
  /** Bytes written since creation, for tests and metrics. */
  writtenBytes = 0;

  constructor(private readonly opts: LogRotatorOptions) {
    this.files = { ...opts };
    if (opts.maxFiles < 1) throw new Error(`log rotation: max_files must be at least 1, got ${opts.maxFiles}`);
    if (opts.maxFileSizeBytes < 1) throw new Error(`log rotation: max_file_size must be positive, got ${opts.maxFileSizeBytes}`);
    const existing = logFileIndexes(opts.dir, opts.baseName);
    // A restarted task continues the newest file, as logmon does.
    this.index = existing.length > 0 ? existing[existing.length - 1]! : 0;
    this.open();
  }

  private path(i: number): string {
    return join(this.opts.dir, `${this.opts.baseName}.${i}`);
  }

  private open(): void {
    this.fd = openSync(this.path(this.index), 'a');
    this.sizeBytes = fstatSync(this.fd).size;
    if (this.sizeBytes >= this.opts.maxFileSizeBytes) this.rotate();
  }

  private rotate(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.index++;
    this.fd = openSync(this.path(this.index), 'a');
    this.sizeBytes = 0;
    this.purge();
  }

  private purge(): void {
    const oldest = this.index - this.opts.maxFiles;
    for (const i of logFileIndexes(this.opts.dir, this.opts.baseName)) {
      if (i > oldest) break;
      try {
        unlinkSync(this.path(i));
      } catch {
        // already removed: nothing to do
      }
    }
  }

  write(chunk: Buffer): void {
    if (this.closed || this.fd === null) return;
    let off = 0;
    while (off < chunk.length) {
      const room = this.opts.maxFileSizeBytes - this.sizeBytes;
      if (room <= 0) {
        this.rotate();
        continue;
      }
      const n = Math.min(room, chunk.length - off);
      writeSync(this.fd, new Uint8Array(chunk.buffer, chunk.byteOffset + off, n));
      off += n;
      this.sizeBytes += n;
      this.writtenBytes += n;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
