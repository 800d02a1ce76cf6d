// The outbound side of a connection. Frames wait in lanes (one per request id, one for one-way
// messages) and leave one frame per lane in turn, so a small call queued behind a large upload
// waits for at most one frame of it, never for all of it. Control frames go first. The socket's
// own buffer is kept near its high-water mark: what is not written yet stays in the lanes, where
// it can still be dropped (cancel) and measured (notify's bound).
import type { Socket } from 'node:net';
import { asBytes } from '../raft/bytes.js';
import { encodeHeader, FLAG_MORE, FRAME_FIXED_BYTES, FRAME_HEADER_BYTES, FRAME_PAYLOAD_MAX_BYTES, FrameType } from './wire.js';

interface QueuedFrame {
  readonly type: FrameType;
  readonly flags: number;
  readonly id: number;
  readonly payload: Uint8Array | null;
  /** Header and payload. */
  readonly bytes: number;
}

/** Frames are copied into buffers of this size, so many small frames leave in one write. */
const BATCH_BYTES = 64 * 1024;
/** Payloads above this are written as they are rather than copied into a batch. */
const COPY_MAX_BYTES = 4 * 1024;

interface Lane {
  readonly key: number;
  frames: QueuedFrame[];
  bytes: number;
  queued: boolean;
}

/** A producer waiting in whenLaneShort() is released once its lane holds no more than this. */
const LANE_SHORT_BYTES = 16 * 1024;

export class FrameWriter {
  private readonly control: QueuedFrame[] = [];
  private readonly lanes = new Map<number, Lane>();
  /** Lanes with frames to send, served round-robin. */
  private turn: Lane[] = [];
  private scheduled = false;
  private waitingDrain = false;
  private closed = false;
  private readonly laneWaiters = new Map<number, (() => void)[]>();
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

  /**
   * Resolves once the lane is short (at most 16 KiB queued), or the writer closed: a
   * producer that awaits this between writes lets the event loop run and the socket drain,
   * however fast it produces.
   */
  whenLaneShort(laneKey: number): Promise<void> {
    if (this.closed || this.laneBytes(laneKey) <= LANE_SHORT_BYTES) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const list = this.laneWaiters.get(laneKey);
      if (list) list.push(resolve);
      else this.laneWaiters.set(laneKey, [resolve]);
    });
  }

  /** Forgets what a lane still holds; returns how many frames were dropped. */
  dropLane(laneKey: number): number {
    const lane = this.lanes.get(laneKey);
    if (!lane) return 0;
    this.lanes.delete(laneKey);
    if (lane.queued) this.turn = this.turn.filter((l) => l !== lane);
    this.releaseWaiters(laneKey);
    return lane.frames.length;
  }

  private releaseWaiters(laneKey: number): void {
    const list = this.laneWaiters.get(laneKey);
    if (!list) return;
    this.laneWaiters.delete(laneKey);
    for (const w of list) w();
  }

  /** Writes a frame now, ahead of everything queued (the last words before closing). */
  writeNow(type: FrameType, id: number, payload: Uint8Array | null): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeHeader(type, 0, id, payload ? payload.length : 0));
    if (payload && payload.length > 0) this.socket.write(payload);
  }

  close(): void {
    this.closed = true;
    this.control.length = 0;
    this.lanes.clear();
    this.turn = [];
    for (const key of [...this.laneWaiters.keys()]) this.releaseWaiters(key);
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
    if (lane.bytes <= LANE_SHORT_BYTES && this.laneWaiters.has(lane.key)) this.releaseWaiters(lane.key);
    return f;
  }

  private schedule(): void {
    if (this.scheduled || this.waitingDrain) return;
    this.scheduled = true;
    // Frames queued in the same turn of the event loop leave in one write. setImmediate, not
    // nextTick: a fast producer and a socket that drains at once would otherwise keep the
    // process in ticks and microtasks, never reading its sockets (a CANCEL, a WINDOW, another
    // connection's heartbeat) until its credit ran out.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (this.closed || this.waitingDrain || this.socket.destroyed) return;
    const s = this.socket;
    let buf = Buffer.allocUnsafe(BATCH_BYTES);
    let start = 0;
    let pos = 0;
    const flush = (): void => {
      if (pos > start) s.write(asBytes(buf.subarray(start, pos)));
      start = pos;
    };
    s.cork();
    try {
      for (;;) {
        const f = this.next();
        if (!f) break;
        const n = f.payload ? f.payload.length : 0;
        const copy = n <= COPY_MAX_BYTES;
        if (buf.length - pos < FRAME_HEADER_BYTES + (copy ? n : 0)) {
          flush();
          buf = Buffer.allocUnsafe(BATCH_BYTES);
          start = pos = 0;
        }
        buf.writeUInt32BE(FRAME_FIXED_BYTES + n, pos);
        buf[pos + 4] = f.type;
        buf[pos + 5] = f.flags;
        buf.writeUInt32BE(f.id, pos + 6);
        pos += FRAME_HEADER_BYTES;
        if (n > 0 && copy) {
          buf.set(f.payload as Uint8Array, pos);
          pos += n;
        } else if (n > 0) {
          flush();
          s.write(f.payload as Uint8Array);
        }
        this.bytesWritten += f.bytes;
        if (s.writableLength + (pos - start) >= s.writableHighWaterMark) {
          flush();
          this.waitingDrain = true;
          s.once('drain', () => {
            this.waitingDrain = false;
            this.schedule();
          });
          break;
        }
      }
      flush();
    } finally {
      s.uncork();
    }
  }
}

function frame(type: FrameType, flags: number, id: number, payload: Uint8Array | null): QueuedFrame {
  return { type, flags, id, payload, bytes: FRAME_HEADER_BYTES + (payload ? payload.length : 0) };
}
