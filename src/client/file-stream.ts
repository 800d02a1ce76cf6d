// Follows one file of an allocation (GET /v1/client/fs/stream: `nomad alloc fs -f`) as Nomad's
// frames, from an offset counted from the start or the end, as it grows; a truncated file is
// announced and read again from its start.
import { dirname } from 'node:path';
import type { StreamFrame } from '../rpc/client-endpoints.js';
import { DirWaiter, FRAME_SIZE_BYTES, framesOf, sizeOf } from './logs-stream.js';

export interface FileStreamOptions {
  /** The file's host path (already confined to the allocation directory). */
  path: string;
  /** How the file is named in frames (the path the caller asked for). */
  name: string;
  origin: 'start' | 'end';
  offset: number;
  signal?: AbortSignal;
}

export async function* streamFile(opts: FileStreamOptions): AsyncGenerator<StreamFrame> {
  const { path, signal } = opts;
  const initial = (await sizeOf(path)) ?? 0;
  let pos = opts.origin === 'end' ? Math.max(0, initial - opts.offset) : Math.min(initial, Math.max(0, opts.offset));
  const buf = Buffer.alloc(FRAME_SIZE_BYTES);
  const waiter = new DirWaiter(dirname(path), signal);
  try {
    while (!signal?.aborted) {
      const size = await sizeOf(path);
      if (size === null) {
        yield { File: opts.name, Offset: pos, FileEvent: 'file deleted' };
        return;
      }
      if (size < pos) {
        pos = 0;
        yield { File: opts.name, Offset: 0, FileEvent: 'file truncated' };
      }
      let progressed = false;
      for await (const frame of framesOf(path, opts.name, pos, size, buf, signal)) {
        pos = frame.Offset!;
        progressed = true;
        yield frame;
      }
      if (!progressed) await waiter.wait();
    }
  } finally {
    waiter.close();
  }
}
