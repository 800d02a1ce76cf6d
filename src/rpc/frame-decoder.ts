// Splits a byte stream into frames, refusing any frame whose length is outside the protocol's
// bounds before buffering it: a peer can make us hold at most one frame's worth of bytes.
import { FRAME_FIXED_BYTES, FRAME_HEADER_BYTES, FRAME_PAYLOAD_MAX_BYTES } from './wire.js';

/** The peer broke the protocol; the connection is closed with this message as the reason. */
export class ProtocolViolation extends Error {
  override name = 'ProtocolViolation';
}

export type FrameHandler = (type: number, flags: number, id: number, payload: Uint8Array) => void;

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly onFrame: FrameHandler, private readonly maxPayloadBytes = FRAME_PAYLOAD_MAX_BYTES) {}

  /** True while part of a frame has arrived and the rest has not. */
  get hasPartial(): boolean {
    return this.buffered > 0;
  }

  /** Payloads handed to onFrame are views of `chunk` or fresh copies: never overwritten later. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const head = this.contiguous(FRAME_HEADER_BYTES);
      const view = new DataView(head.buffer, head.byteOffset, FRAME_HEADER_BYTES);
      const length = view.getUint32(0);
      if (length < FRAME_FIXED_BYTES) throw new ProtocolViolation(`frame length ${length} is below the ${FRAME_FIXED_BYTES}-byte minimum`);
      const payloadBytes = length - FRAME_FIXED_BYTES;
      if (payloadBytes > this.maxPayloadBytes) {
        throw new ProtocolViolation(`frame of ${payloadBytes} payload bytes is over the ${this.maxPayloadBytes}-byte limit`);
      }
      const total = FRAME_HEADER_BYTES + payloadBytes;
      if (this.buffered < total) return;
      const frame = this.take(total);
      this.onFrame(frame[4] as number, frame[5] as number, view.getUint32(6), frame.subarray(FRAME_HEADER_BYTES));
    }
  }

  /** The first n buffered bytes as one array (joining chunks only when a header straddles them). */
  private contiguous(n: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array;
    if (first.length >= n) return first;
    const joined = this.join(n);
    return joined;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array;
    if (first.length >= n) {
      this.consume(n);
      return first.subarray(0, n);
    }
    const out = this.join(n);
    this.consume(n);
    return out;
  }

  /** Copies the first n bytes into a fresh array without consuming them. */
  private join(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let pos = 0;
    for (const c of this.chunks) {
      const part = c.length <= n - pos ? c : c.subarray(0, n - pos);
      out.set(part, pos);
      pos += part.length;
      if (pos === n) break;
    }
    return out;
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0] as Uint8Array;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
}
