// The engine multiplexes a container's stdout and stderr on one stream when it has no TTY:
// frames of an 8-byte header (stream type, 3 zero bytes, big-endian length) and a payload.
import type { LogSink } from './driver.js';

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
