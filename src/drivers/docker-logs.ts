// The engine multiplexes a container's stdout and stderr on one stream when it has no TTY:
// frames of an 8-byte header (stream type, 3 zero bytes, big-endian length) and a payload.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSink } from './driver.js';
import { logFileIndexes } from './log-rotator.js';

const HEADER_BYTES = 8;
const STDOUT = 1;
const STDERR = 2;

export class StdStreamDemuxer {
  private pending = new Uint8Array(0);

  constructor(
    private readonly stdout: LogSink,
    private readonly stderr: LogSink,
  ) {}

  push(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.pending.length + chunk.length);
    merged.set(this.pending);
    merged.set(chunk, this.pending.length);
    this.pending = merged;
    while (this.pending.length >= HEADER_BYTES) {
      const type = this.pending[0]!;
      const size = new DataView(this.pending.buffer, this.pending.byteOffset, HEADER_BYTES).getUint32(4);
      if (this.pending.length < HEADER_BYTES + size) return;
      // slice copies: the sink may keep the buffer while we reuse ours.
      const payload = Buffer.from(this.pending.slice(HEADER_BYTES, HEADER_BYTES + size).buffer);
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      // stdin echo (0) has nowhere to go; anything else unknown is treated as stdout.
      if (type === STDERR) this.stderr.write(payload);
      else if (type === STDOUT || type > STDERR) this.stdout.write(payload);
    }
  }
}

/**
 * The file system stamps a file's mtime from a coarse clock (one scheduler tick, up to 10 ms):
 * the last messages a previous client wrote may carry an engine time a little past its files'
 * mtime. Within this much past it a message is compared with what the files end with.
 */
const COARSE_MTIME_US = 20_000;
/** How much of a stream's newest log file is read back to recognise messages already written. */
const TAIL_BYTES = 64 * 1024;

/** Where one stream's captured output ends: its newest file's mtime and last bytes. */
export interface CapturedEnd {
  mtimeUs: number;
  tail: Buffer;
}

/** The end of what `sink`'s files hold; null when they hold nothing. */
export function capturedEnd(sink: LogSink): CapturedEnd | null {
  const f = sink.files;
  if (!f) return null;
  const indexes = logFileIndexes(f.dir, f.baseName);
  const newest = indexes[indexes.length - 1];
  if (newest === undefined) return null;
  const path = join(f.dir, `${f.baseName}.${newest}`);
  try {
    const st = statSync(path);
    const length = Math.min(st.size, TAIL_BYTES);
    const tail = new Uint8Array(length);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, tail, 0, length, st.size - length);
    } finally {
      closeSync(fd);
    }
    return { mtimeUs: Math.floor(st.mtimeMs * 1000), tail: Buffer.from(tail.buffer) };
  } catch {
    return null;
  }
}

/**
 * For a stream asked with timestamps=1 after a client restart: each message starts with the
 * engine's RFC 3339 time and a space, which is cut off. Messages a previous client already
 * wrote are dropped: those stamped before the files' last write, and, just past it (the coarse
 * mtime), those the files end with.
 */
export class StampedSink implements LogSink {
  /** Messages just past the mtime found in the tail so far; once one is not, all that follow are new. */
  private matched = '';
  private boundaryPassed = false;

  constructor(
    private readonly sink: LogSink,
    private readonly end: CapturedEnd | null,
  ) {}

  get files(): LogSink['files'] {
    return this.sink.files;
  }

  write(chunk: Buffer): void {
    const space = chunk.indexOf(0x20);
    const stampUs = space > 0 ? stampMicros(chunk.subarray(0, space).toString('latin1')) : null;
    // Without a readable time the message is kept whole: losing output is worse than a stray prefix.
    if (stampUs === null) return this.sink.write(chunk);
    const message = chunk.subarray(space + 1);
    if (this.end && !this.boundaryPassed) {
      if (stampUs <= this.end.mtimeUs) return;
      if (stampUs <= this.end.mtimeUs + COARSE_MTIME_US) {
        const candidate = this.matched + message.toString('latin1');
        if (this.end.tail.toString('latin1').includes(candidate)) {
          this.matched = candidate;
          return;
        }
      }
      this.boundaryPassed = true;
    }
    this.sink.write(message);
  }
}

/** 2006-01-02T15:04:05.999999999Z to microseconds since the epoch; null when it is not such a time. */
export function stampMicros(text: string): number | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) return null;
  const secondsMs = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(secondsMs)) return null;
  return secondsMs * 1000 + Math.floor(Number((m[2] ?? '').padEnd(9, '0')) / 1000);
}
