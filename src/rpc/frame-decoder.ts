// Splits a byte stream into frames, refusing any frame whose length is outside the protocol's
// bounds before buffering it: a peer can make us hold at most one frame's worth of bytes.
import { concatBytes } from '../raft/bytes.js';
import { FRAME_FIXED_BYTES, FRAME_HEADER_BYTES, FRAME_PAYLOAD_MAX_BYTES } from './wire.js';

/** The peer broke the protocol; the connection is closed with this message as the reason. */
export class ProtocolViolation extends Error {
  override name = 'ProtocolViolation';
}

/**
 * One frame. Its payload comes as the pieces of the socket's chunks it spans (most often one),
 * so that large frames are never copied here; whoever needs it whole joins them (joinParts).
 */
export type FrameHandler = (type: number, flags: number, id: number, parts: Uint8Array[], payloadBytes: number) => void;

/** The parts as one array (the part itself when there is one). */
export function joinParts(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts, bytes);
}

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly onFrame: FrameHandler, private readonly maxPayloadBytes = FRAME_PAYLOAD_MAX_BYTES) {}

  /** True while part of a frame has arrived and the rest has not. */
  get hasPartial(): boolean {
    return this.buffered > 0;
  }

  /** Payload parts handed to onFrame are views of the pushed chunks: those must not be reused. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // The length is checked as soon as its 4 bytes are in, before waiting for anything else.
    while (this.buffered >= 4) {
      const head = this.contiguous(4);
      const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      if (length < FRAME_FIXED_BYTES) throw new ProtocolViolation(`frame length ${length} is below the ${FRAME_FIXED_BYTES}-byte minimum`);
      const payloadBytes = length - FRAME_FIXED_BYTES;
      if (payloadBytes > this.maxPayloadBytes) {
        throw new ProtocolViolation(`frame of ${payloadBytes} payload bytes is over the ${this.maxPayloadBytes}-byte limit`);
      }
      if (this.buffered < FRAME_HEADER_BYTES + payloadBytes) return;
      const header = this.contiguous(FRAME_HEADER_BYTES);
      const type = header[4] as number;
      const flags = header[5] as number;
      const id = new DataView(header.buffer, header.byteOffset + 6, 4).getUint32(0);
      this.take(FRAME_HEADER_BYTES);
      this.onFrame(type, flags, id, this.take(payloadBytes), payloadBytes);
    }
  }

  /** The first n buffered bytes as one array (copying only when they straddle chunks). */
  private contiguous(n: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array;
    if (first.length >= n) return first;
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

  /** Removes the first n buffered bytes and returns them as views of the chunks they were in. */
  private take(n: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0] as Uint8Array;
      if (c.length <= n) {
        parts.push(c);
        this.chunks.shift();
        n -= c.length;
      } else {
        parts.push(c.subarray(0, n));
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
    return parts;
  }
}
