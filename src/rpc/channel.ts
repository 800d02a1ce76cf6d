// One connection in framed mode, either side: frames in (decoded, messages reassembled within
// limits), frames out (the lane writer), and closing with a reason the peer is told (GOAWAY)
// and the log records.
import type { Socket } from 'node:net';
import { asBytes } from '../raft/bytes.js';
import { encodePayload } from './codec.js';
import { RpcError } from './errors.js';
import type { RpcErrorCode } from './errors.js';
import { FrameDecoder, joinParts, ProtocolViolation } from './frame-decoder.js';
import { FrameWriter } from './frame-writer.js';
import type { RpcLogger } from './types.js';
import { FLAG_MORE, FrameType, frameTypeName, isMessageType } from './wire.js';

export interface ChannelLimits {
  /** Largest message (request, answer, stream item) once its frames are joined. */
  readonly maxMessageBytes: number;
  /** All partly received messages of the connection together. */
  readonly maxReassemblyBytes: number;
  /** A frame begun and not finished for this long closes the connection. */
  readonly stalledFrameTimeoutMs: number;
}

export interface ChannelHandlers {
  /** A whole message (its frames joined). */
  onMessage(type: FrameType, id: number, bytes: Uint8Array): void;
  /** A control frame (not part of a message, not data). */
  onFrame(type: FrameType, id: number, payload: Uint8Array): void;
  /** An upload's DATA frame: its payload in the pieces it arrived in (never copied). */
  onData?(id: number, parts: Uint8Array[], payloadBytes: number): void;
  /** Once, when the socket is gone; `error` says why, for whoever still waits on it. */
  onClose(error: RpcError): void;
  /**
   * Whether a message for `id` still has a taker. Frames of messages nobody waits for (the
   * answer to a request the caller gave up on) are dropped as they come, never joined.
   */
  wants?(id: number): boolean;
  /** The peer broke the protocol (already logged; the connection is closing). */
  onViolation?(reason: string): void;
}

interface Partial {
  readonly type: FrameType;
  readonly parts: Uint8Array[];
  bytes: number;
}

/** How long a closing connection may take to flush its last frames before it is cut. */
const CLOSE_GRACE_MS = 2000;

export class Channel {
  readonly writer: FrameWriter;
  readonly remoteAddr: string;
  private readonly decoder: FrameDecoder;
  private readonly partials = new Map<number, Partial>();
  private partialBytes = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private closeError: RpcError | null = null;
  private closedFlag = false;
  /** When bytes last arrived, on the clock the owner passed (for keepalive). */
  lastReceivedAtMs = 0;
  bytesReceived = 0;

  constructor(
    readonly socket: Socket,
    private readonly limits: ChannelLimits,
    private readonly handlers: ChannelHandlers,
    private readonly logger: RpcLogger,
    /** Who is on the other end, for log lines: "client 1.2.3.4:5" or "server 1.2.3.4:4647". */
    private readonly peerLabel: string,
    private readonly nowMs: () => number,
  ) {
    this.remoteAddr = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.writer = new FrameWriter(socket);
    this.decoder = new FrameDecoder((type, flags, id, parts, bytes) => this.frame(type, flags, id, parts, bytes));
    this.lastReceivedAtMs = nowMs();
    socket.on('data', (chunk: Buffer) => this.data(asBytes(chunk)));
    socket.on('error', (e: Error) => {
      if (!this.closeError) this.closeError = new RpcError('closed', `connection with ${this.remoteAddr} failed: ${e.message}`);
    });
    socket.once('close', () => this.closed());
  }

  get isClosed(): boolean {
    return this.closedFlag || this.closeError !== null;
  }

  /** Feeds bytes that arrived before the channel took over the socket. */
  feed(bytes: Uint8Array): void {
    this.data(bytes);
  }

  /** Forgets a message partly received for `id` (its sender cancelled it). */
  discardPartial(id: number): void {
    const p = this.partials.get(id);
    if (!p) return;
    this.partials.delete(id);
    this.partialBytes -= p.bytes;
  }

  /** Tells the peer why (GOAWAY [code, message]), then closes once that is written. */
  goAway(code: RpcErrorCode, message: string): void {
    if (this.isClosed) return;
    this.closeError = new RpcError(code, message);
    this.writer.writeNow(FrameType.GoAway, 0, encodePayload([code, message]));
    this.writer.close();
    this.socket.end();
    // Kept referenced: whoever awaits the close needs it to end, even if the peer never reads.
    const cut = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.socket.once('close', () => clearTimeout(cut));
  }

  /** Closes at once, for a reason of our own (the peer is not told). */
  destroy(error: RpcError): void {
    if (!this.closeError) this.closeError = error;
    this.writer.close();
    this.socket.destroy();
  }

  /** The peer broke the protocol: one log line naming it and why, then GOAWAY and close. */
  violation(reason: string): void {
    if (this.isClosed) return;
    this.logger.warn(`rpc: closing connection with ${this.peerLabel} ${this.remoteAddr}: ${reason}`);
    this.handlers.onViolation?.(reason);
    this.goAway('protocol', reason);
  }

  private data(chunk: Uint8Array): void {
    if (this.isClosed) return;
    this.lastReceivedAtMs = this.nowMs();
    this.bytesReceived += chunk.length;
    try {
      this.decoder.push(chunk);
    } catch (e) {
      if (e instanceof ProtocolViolation) {
        this.violation(e.message);
        return;
      }
      // A bug of ours: this connection is lost, the process is not.
      this.logger.error(`rpc: internal error on connection with ${this.peerLabel} ${this.remoteAddr}: ${(e as Error).stack ?? String(e)}`);
      this.destroy(new RpcError('closed', `connection with ${this.remoteAddr} closed after an internal error`));
      return;
    }
    if (this.isClosed) return;
    if (this.decoder.hasPartial) {
      if (this.stallTimer) this.stallTimer.refresh();
      else {
        this.stallTimer = setTimeout(
          () => this.violation(`half a frame, then nothing for ${this.limits.stalledFrameTimeoutMs} ms`),
          this.limits.stalledFrameTimeoutMs,
        );
        this.stallTimer.unref();
      }
    } else if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  private frame(type: number, flags: number, id: number, parts: Uint8Array[], bytes: number): void {
    if (this.isClosed) return;
    if (!isMessageType(type)) {
      if (flags & FLAG_MORE) throw new ProtocolViolation(`a ${frameTypeName(type)} frame cannot be continued`);
      if (type === FrameType.Data && this.handlers.onData) this.handlers.onData(id, parts, bytes);
      else this.handlers.onFrame(type as FrameType, id, joinParts(parts, bytes));
      return;
    }
    const payload = joinParts(parts, bytes);
    if (this.handlers.wants && !this.handlers.wants(id)) {
      this.discardPartial(id);
      return;
    }
    const partial = this.partials.get(id);
    if (!partial && !(flags & FLAG_MORE)) {
      this.checkMessageSize(payload.length);
      this.handlers.onMessage(type as FrameType, id, payload);
      return;
    }
    const p = partial ?? { type: type as FrameType, parts: [], bytes: 0 };
    if (p.type !== type) throw new ProtocolViolation(`a ${frameTypeName(type)} frame continues a ${frameTypeName(p.type)} message of id ${id}`);
    if (!partial) this.partials.set(id, p);
    p.parts.push(payload);
    p.bytes += payload.length;
    this.partialBytes += payload.length;
    this.checkMessageSize(p.bytes);
    if (this.partialBytes > this.limits.maxReassemblyBytes) {
      throw new ProtocolViolation(`over ${this.limits.maxReassemblyBytes} bytes of unfinished messages`);
    }
    if (flags & FLAG_MORE) return;
    this.partials.delete(id);
    this.partialBytes -= p.bytes;
    this.handlers.onMessage(p.type, id, joinParts(p.parts, p.bytes));
  }

  private checkMessageSize(bytes: number): void {
    if (bytes > this.limits.maxMessageBytes) throw new ProtocolViolation(`message of over ${this.limits.maxMessageBytes} bytes`);
  }

  private closed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.writer.close();
    this.handlers.onClose(this.closeError ?? new RpcError('closed', `connection with ${this.remoteAddr} closed`));
  }
}
