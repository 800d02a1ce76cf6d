// Streams a task's stdout/stderr across its rotated files (<task>.<type>.<N>) as Nomad's
// frames: {File, Offset, Data(base64)}, with origin/offset to pick the starting point and
// follow to keep streaming as the task writes and rotates.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamFrame } from '../rpc/client-endpoints.js';
import { logFileIndexes } from '../drivers/log-rotator.js';

/** Data per frame, as Nomad's framer. */
export const FRAME_SIZE_BYTES = 64 * 1024;
/** While following, files are re-checked at least this often even without a watch event. */
const FOLLOW_RECHECK_MS = 250;

export interface LogStreamOptions {
  logsDir: string;
  task: string;
  type: 'stdout' | 'stderr';
  origin: 'start' | 'end';
  offset: number;
  follow: boolean;
  signal?: AbortSignal;
}

/** A file's size, or null when it is gone. */
export async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** The (file index, position) to start reading from. */
async function startPoint(dir: string, base: string, indexes: number[], origin: 'start' | 'end', offset: number): Promise<{ idx: number; pos: number }> {
  const sizes = await Promise.all(indexes.map((i) => sizeOf(join(dir, `${base}.${i}`)).then((s) => s ?? 0)));
  if (origin === 'start') {
    let left = offset;
    for (let k = 0; k < indexes.length; k++) {
      if (left < sizes[k]! || k === indexes.length - 1) return { idx: indexes[k]!, pos: Math.min(left, sizes[k]!) };
      left -= sizes[k]!;
    }
  } else {
    let left = offset;
    for (let k = indexes.length - 1; k >= 0; k--) {
      if (left <= sizes[k]! || k === 0) return { idx: indexes[k]!, pos: Math.max(0, sizes[k]! - left) };
      left -= sizes[k]!;
    }
  }
  return { idx: indexes[0] ?? 0, pos: 0 };
}

/** Resolves on a change in a directory, after the recheck interval, or on abort. */
export class DirWaiter {
  private watcher: FSWatcher | null = null;
  private wake: (() => void) | null = null;

  constructor(dir: string, signal?: AbortSignal) {
    try {
      this.watcher = watch(dir, () => this.wake?.());
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = null; // fall back to rechecking on the interval
    }
    signal?.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  wait(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, FOLLOW_RECHECK_MS);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.wake?.();
  }
}

/** Frames of a file's bytes from `pos` up to `size`, at most FRAME_SIZE_BYTES each. */
export async function* framesOf(path: string, file: string, pos: number, size: number, buf: Buffer, signal?: AbortSignal): AsyncGenerator<StreamFrame> {
  const fh = await open(path, 'r');
  try {
    while (pos < size && !signal?.aborted) {
      const { bytesRead } = await fh.read(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), 0, Math.min(FRAME_SIZE_BYTES, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      yield { File: file, Offset: pos, Data: buf.subarray(0, bytesRead).toString('base64') };
    }
  } finally {
    await fh.close();
  }
}

export async function* streamLogs(opts: LogStreamOptions): AsyncGenerator<StreamFrame> {
  const { logsDir, signal } = opts;
  const base = `${opts.task}.${opts.type}`;
  const rel = (i: number): string => `alloc/logs/${base}.${i}`;
  let waiter: DirWaiter | null = null;
  try {
    let indexes = logFileIndexes(logsDir, base);
    while (indexes.length === 0) {
      if (!opts.follow || signal?.aborted) return;
      waiter ??= new DirWaiter(logsDir, signal);
      await waiter.wait();
      indexes = logFileIndexes(logsDir, base);
    }
    let { idx, pos } = await startPoint(logsDir, base, indexes, opts.origin, Math.max(0, opts.offset));
    const buf = Buffer.alloc(FRAME_SIZE_BYTES);
    while (!signal?.aborted) {
      const path = join(logsDir, `${base}.${idx}`);
      let progressed = false;
      const size = await sizeOf(path);
      if (size !== null && size < pos) {
        pos = 0;
        yield { File: rel(idx), Offset: 0, FileEvent: 'file truncated' };
      }
      if (size !== null && size > pos) {
        for await (const frame of framesOf(path, rel(idx), pos, size, buf, signal)) {
          pos = frame.Offset!;
          progressed = true;
          yield frame;
        }
      }
      if (progressed) continue; // the file may have grown while we sent
      // At the end of this file: move on to the next one when rotation created it.
      const next = logFileIndexes(logsDir, base).find((i) => i > idx);
      if (next !== undefined) {
        // Read what the old file got before rotation, then move on.
        const finalSize = await sizeOf(path);
        if (finalSize !== null && finalSize > pos) continue;
        idx = next;
        pos = 0;
        continue;
      }
      if (!opts.follow) return;
      waiter ??= new DirWaiter(logsDir, signal);
      await waiter.wait();
    }
  } finally {
    waiter?.close();
  }
}
