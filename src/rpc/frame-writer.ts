// The outbound side of a connection. Frames wait in lanes (one per request id, one for one-way
// messages) and leave one frame per lane in turn, so a small call queued behind a large upload
// waits for at most one frame of it, never for all of it. Control frames go first. The socket's
// own buffer is kept near its high-water mark: what is not written yet stays in the lanes, where
// it can still be dropped (cancel) and measured (notify's bound).
import type { Socket } from 'node:net';
import { encodeHeader, FLAG_MORE, FRAME_PAYLOAD_MAX_BYTES, FrameType } from './wire.js';

interface QueuedFrame {
  readonly header: Uint8Array;
  readonly payload: Uint8Array | null;
  readonly bytes: number;
}

interface Lane {
  readonly key: number;
  frames: QueuedFrame[];
  bytes: number;
  queued: boolean;
}

export class FrameWriter {
  private readonly control: QueuedFrame[] = [];
  private readonly lanes = new Map<number, Lane>();
  /** Lanes with frames to send, served round-robin. */
  private turn: Lane[] = [];
  private scheduled = false;
  private waitingDrain = false;
  private closed = false;
  /** Payload and header bytes written to the socket so far. */
  bytesWritten = 0;

  constructor(private readonly socket: Socket) {}

  /** A frame that jumps every lane (window grants, cancels, pings). */
  sendControl(type: FrameType, id: number, payload: Uint8Array | null = null): void {
    if (this.closed) return;
    this.control.push(frame(type, 0, id, payload));
    this.schedule();
  }

  /** One frame at the back of `laneKey`'s queue. */
  sendFrame(laneKey: number, type: FrameType, flags: number, id: number, payload: Uint8Array | null): void {
    if (this.closed) return;
    this.enqueue(laneKey, frame(type, flags, id, payload));
    this.schedule();
  }

  /** A whole message, split into frames of at most the protocol's payload size. */
  sendMessage(laneKey: number, type: FrameType, id: number, bytes: Uint8Array): void {
    if (this.closed) return;
    if (bytes.length <= FRAME_PAYLOAD_MAX_BYTES) {
      this.enqueue(laneKey, frame(type, 0, id, bytes));
    } else {
      for (let pos = 0; pos < bytes.length; pos += FRAME_PAYLOAD_MAX_BYTES) {
        const end = Math.min(bytes.length, pos + FRAME_PAYLOAD_MAX_BYTES);
        this.enqueue(laneKey, frame(type, end < bytes.length ? FLAG_MORE : 0, id, bytes.subarray(pos, end)));
      }
    }
    this.schedule();
  }

  /** Bytes waiting in a lane (not yet handed to the socket). */
  laneBytes(laneKey: number): number {
    return this.lanes.get(laneKey)?.bytes ?? 0;
  }

  /** Forgets what a lane still holds; returns how many frames were dropped. */
  dropLane(laneKey: number): number {
    const lane = this.lanes.get(laneKey);
    if (!lane) return 0;
    this.lanes.delete(laneKey);
    if (lane.queued) this.turn = this.turn.filter((l) => l !== lane);
    return lane.frames.length;
  }

  /** Writes a frame now, ahead of everything queued (the last words before closing). */
  writeNow(type: FrameType, id: number, payload: Uint8Array | null): void {
    if (this.closed || this.socket.destroyed) return;
    const f = frame(type, 0, id, payload);
    this.socket.write(f.header);
    if (f.payload && f.payload.length > 0) this.socket.write(f.payload);
  }

  close(): void {
    this.closed = true;
    this.control.length = 0;
    this.lanes.clear();
    this.turn = [];
  }

  private enqueue(laneKey: number, f: QueuedFrame): void {
    let lane = this.lanes.get(laneKey);
    if (!lane) {
      lane = { key: laneKey, frames: [], bytes: 0, queued: false };
      this.lanes.set(laneKey, lane);
    }
    lane.frames.push(f);
    lane.bytes += f.bytes;
    if (!lane.queued) {
      lane.queued = true;
      this.turn.push(lane);
    }
  }

  private next(): QueuedFrame | undefined {
    const c = this.control.shift();
    if (c) return c;
    const lane = this.turn.shift();
    if (!lane) return undefined;
    const f = lane.frames.shift() as QueuedFrame;
    lane.bytes -= f.bytes;
    if (lane.frames.length > 0) {
      this.turn.push(lane);
    } else {
      lane.queued = false;
      this.lanes.delete(lane.key);
    }
    return f;
  }

  private schedule(): void {
    if (this.scheduled || this.waitingDrain) return;
    this.scheduled = true;
    // Frames queued in the same turn of the event loop leave in one write.
    process.nextTick(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (this.closed || this.waitingDrain || this.socket.destroyed) return;
    const s = this.socket;
    s.cork();
    try {
      for (;;) {
        const f = this.next();
        if (!f) break;
        s.write(f.header);
        if (f.payload && f.payload.length > 0) s.write(f.payload);
        this.bytesWritten += f.bytes;
        if (s.writableNeedDrain) {
          this.waitingDrain = true;
          s.once('drain', () => {
            this.waitingDrain = false;
            this.pump();
          });
          break;
        }
      }
    } finally {
      s.uncork();
    }
  }
}

function frame(type: FrameType, flags: number, id: number, payload: Uint8Array | null): QueuedFrame {
  const n = payload ? payload.length : 0;
  return { header: encodeHeader(type, flags, id, n), payload, bytes: 10 + n };
}
