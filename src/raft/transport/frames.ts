// Wire framing for the TCP transport: [u32 length][u8 kind][payload], where
// length counts the kind byte and the payload.
import { readU32LE, writeU32LE } from '../bytes.js';

export enum FrameKind {
  /** msgpack [fromAddress, message] */
  Message = 1,
  /** msgpack [fromAddress, snapshot request]; chunks follow on the same connection */
  SnapshotHeader = 2,
  SnapshotChunk = 3,
  SnapshotEnd = 4,
}

export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export function encodeFrame(kind: FrameKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  writeU32LE(out, 0, payload.length + 1);
  out[4] = kind;
  out.set(payload, 5);
  return out;
}

/** Splits a byte stream into frames. */
export class FrameDecoder {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(private readonly onFrame: (kind: FrameKind, payload: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.pendingBytes < 4) return;
      const head = this.peek(4);
      const len = readU32LE(head, 0);
      if (len < 1 || len > MAX_FRAME_BYTES) throw new RangeError(`bad frame length ${len}`);
      if (this.pendingBytes < 4 + len) return;
      const frame = this.take(4 + len);
      this.onFrame(frame[4] as FrameKind, frame.subarray(5));
    }
  }

  private peek(n: number): Uint8Array {
    const first = this.pending[0] as Uint8Array;
    if (first.length >= n) return first;
    return this.flatten().subarray(0, n);
  }

  private take(n: number): Uint8Array {
    let first = this.pending[0] as Uint8Array;
    if (first.length < n) first = this.flatten();
    const out = first.subarray(0, n);
    if (first.length === n) this.pending.shift();
    else this.pending[0] = first.subarray(n);
    this.pendingBytes -= n;
    return out;
  }

  private flatten(): Uint8Array {
    const all = new Uint8Array(this.pendingBytes);
    let pos = 0;
    for (const p of this.pending) {
      all.set(p, pos);
      pos += p.length;
    }
    this.pending = [all];
    return all;
  }
}
