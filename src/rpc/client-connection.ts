// The caller's side of one connection: numbers requests, matches answers that come back in any
// order, enforces deadlines and cancellation (telling the server with CANCEL), paces uploads by
// the server's credit, and pings a server that has gone quiet while answers are owed.
import type { Socket } from 'node:net';
import { Channel } from './channel.js';
import type { ChannelLimits } from './channel.js';
import { decodePayload, encodePayload } from './codec.js';
import { errorFromWire, isRpcErrorCode, RpcError } from './errors.js';
import type { NomadError } from '../structs/errors.js';
import { InboundQueue } from './inbound-queue.js';
import { ReceiveWindow } from './receive-window.js';
import { SendCredit } from './send-credit.js';
import type { RpcLogger } from './types.js';
import { creditCost, decodeU32, encodeU32, FRAME_PAYLOAD_MAX_BYTES, FrameType, frameTypeName } from './wire.js';

export interface ClientConnectionLimits extends ChannelLimits {
  readonly maxInflight: number;
  /**
   * Calls that wait for one in flight to end, past maxInflight; more fail with 'overloaded'. A
   * burst (a follower forwarding the calls of thousands of nodes to a busy leader) then waits its
   * turn within each call's deadline instead of failing at once.
   */
  readonly maxQueuedCalls: number;
  /** One-way messages waiting to be written, in bytes; more are dropped. */
  readonly maxNotifyQueueBytes: number;
  /** With answers owed and nothing heard for this long, ping; no answer in as long again closes. */
  readonly keepaliveIntervalMs: number;
  /** Nothing in flight for this long closes the connection (the pool dials again when needed). */
  readonly idleTimeoutMs: number;
}

type Kind = 'call' | 'stream' | 'upload' | 'duplex';

interface Pending {
  readonly id: number;
  readonly kind: Kind;
  readonly method: string;
  done: boolean;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  unlisten: (() => void) | null;
  items: InboundQueue<unknown> | null;
  itemWindow: ReceiveWindow | null;
  credit: SendCredit | null;
}

/** A call waiting for a free slot (FIFO): sent when one in flight ends, failed at its deadline. */
interface QueuedCall {
  readonly method: string;
  readonly args: unknown;
  /** On the connection's clock; null: no deadline. */
  readonly deadlineMs: number | null;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  done: boolean;
  timer: NodeJS.Timeout | null;
  unlisten: (() => void) | null;
}

const TYPE_OF: Record<Kind, FrameType> = { call: FrameType.Call, stream: FrameType.Stream, upload: FrameType.Upload, duplex: FrameType.Duplex };

export class ClientConnection {
  readonly channel: Channel;
  private readonly pending = new Map<number, Pending>();
  /** Calls past maxInflight, oldest first; `queuedHead` is the next to send (no shift per call). */
  private queued: QueuedCall[] = [];
  private queuedHead = 0;
  /** Calls in the line not yet sent, timed out or cancelled. */
  private queuedLive = 0;
  private nextId = 1;
  private draining = false;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private pingSentAtMs: number | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** When a one-way message was last queued: a connection that only sends them is busy, not idle. */
  private lastNotifyAtMs = 0;
  private readonly closedPromise: Promise<void>;

  constructor(
    socket: Socket,
    readonly addr: string,
    private readonly limits: ClientConnectionLimits,
    private readonly logger: RpcLogger,
    private readonly nowMs: () => number,
    onClose: (conn: ClientConnection, error: RpcError) => void,
  ) {
    let closed!: () => void;
    this.closedPromise = new Promise<void>((resolve) => (closed = resolve));
    this.channel = new Channel(
      socket,
      limits,
      {
        onMessage: (type, id, bytes) => this.message(type, id, bytes),
        onFrame: (type, id, payload) => this.frame(type, id, payload),
        onClose: (error) => {
          this.draining = true;
          this.stopTimers();
          for (const p of [...this.pending.values()]) this.finish(p, error, false);
          this.failQueued(error);
          onClose(this, error);
          closed();
        },
        // Id 0 is the connection itself (GOAWAY).
        wants: (id) => id === 0 || this.pending.has(id),
      },
      logger,
      'server',
      nowMs,
    );
    this.armIdle();
  }

  /** Open and not told to go away: new requests may use it. */
  get usable(): boolean {
    return !this.draining && !this.channel.isClosed;
  }

  get inflightCount(): number {
    return this.pending.size;
  }

  call(method: string, args: unknown, timeoutMs: number | null, signal?: AbortSignal): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      // Behind calls already waiting too, so that none is overtaken.
      if (this.usable && (this.pending.size >= this.limits.maxInflight || this.queuedCount > 0) && !signal?.aborted && (timeoutMs === null || timeoutMs > 0)) {
        this.enqueue(method, args, timeoutMs, signal, resolve, reject);
        return;
      }
      this.open('call', method, args, timeoutMs, signal, resolve, reject);
    });
  }

  /** Calls waiting for a free slot. */
  get queuedCount(): number {
    return this.queuedLive;
  }

  private enqueue(method: string, args: unknown, timeoutMs: number | null, signal: AbortSignal | undefined, resolve: (v: unknown) => void, reject: (e: Error) => void): void {
    if (this.queuedCount >= this.limits.maxQueuedCalls) {
      reject(new RpcError('overloaded', `${this.limits.maxInflight} requests in flight to ${this.addr} and ${this.queuedCount} waiting`));
      return;
    }
    const q: QueuedCall = { method, args, deadlineMs: timeoutMs === null ? null : this.nowMs() + timeoutMs, signal, resolve, reject, done: false, timer: null, unlisten: null };
    const waited = (e: RpcError): void => {
      this.dropQueued(q);
      reject(e);
    };
    if (timeoutMs !== null) {
      q.timer = setTimeout(() => waited(new RpcError('timeout', `no answer from ${this.addr} to ${method} within ${Math.ceil(timeoutMs)} ms (it waited behind ${this.limits.maxInflight} requests in flight)`)), timeoutMs);
    }
    if (signal) {
      const onAbort = (): void => waited(new RpcError('cancelled', `${method} to ${this.addr} was cancelled`));
      signal.addEventListener('abort', onAbort, { once: true });
      q.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    this.queued.push(q);
    this.queuedLive++;
  }

  /** Takes a waiting call out of the line (it is skipped when its turn comes). */
  private dropQueued(q: QueuedCall): void {
    if (q.done) return;
    q.done = true;
    this.queuedLive--;
    if (q.timer) clearTimeout(q.timer);
    q.unlisten?.();
  }

  /** Sends waiting calls while there is room, with what is left of their deadlines. */
  private admitQueued(): void {
    while (this.queuedHead < this.queued.length && this.pending.size < this.limits.maxInflight && this.usable) {
      const q = this.queued[this.queuedHead++]!;
      if (q.done) continue;
      this.dropQueued(q);
      this.open('call', q.method, q.args, q.deadlineMs === null ? null : q.deadlineMs - this.nowMs(), q.signal, q.resolve, q.reject);
    }
    // The line's array is cut once it has been walked through, not per call.
    if (this.queuedHead > 0 && (this.queuedHead === this.queued.length || this.queuedHead >= 1024)) {
      this.queued = this.queued.slice(this.queuedHead);
      this.queuedHead = 0;
    }
  }

  private failQueued(error: Error): void {
    const line = this.queued.slice(this.queuedHead);
    this.queued = [];
    this.queuedHead = 0;
    for (const q of line) {
      if (q.done) continue;
      this.dropQueued(q);
      q.reject(error);
    }
  }

  stream(method: string, args: unknown, timeoutMs: number | null, signal?: AbortSignal): AsyncIterable<unknown> {
    return this.openItems('stream', method, args, null, timeoutMs, signal);
  }

  /** Sends `data` as an upload does while the server's items come back as a stream's. */
  duplex(method: string, args: unknown, data: AsyncIterable<Uint8Array>, timeoutMs: number | null, signal?: AbortSignal): AsyncIterable<unknown> {
    return this.openItems('duplex', method, args, data, timeoutMs, signal);
  }

  private openItems(kind: 'stream' | 'duplex', method: string, args: unknown, data: AsyncIterable<Uint8Array> | null, timeoutMs: number | null, signal?: AbortSignal): AsyncIterable<unknown> {
    let p: Pending | null = null;
    const window = new ReceiveWindow();
    const items = new InboundQueue<unknown>(
      (n) => {
        const grant = window.consumed(n);
        if (grant > 0 && p && !p.done) this.channel.writer.sendControl(FrameType.Window, p.id, encodeU32(grant));
      },
      // The consumer stopped reading: the server stops too.
      () => {
        if (p) this.finish(p, new RpcError('cancelled', 'the caller stopped reading the stream'), true);
      },
    );
    p = this.open(
      kind,
      method,
      args,
      timeoutMs,
      signal,
      () => items.end(),
      (e) => items.fail(e),
    );
    if (p) {
      p.items = items;
      p.itemWindow = window;
      if (data) {
        p.credit = new SendCredit();
        void this.pumpUpload(p, data);
      }
    }
    return items;
  }

  upload(method: string, args: unknown, data: AsyncIterable<Uint8Array>, timeoutMs: number | null, signal?: AbortSignal): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const p = this.open('upload', method, args, timeoutMs, signal, resolve, reject);
      if (!p) return;
      p.credit = new SendCredit();
      void this.pumpUpload(p, data);
    });
  }

  /** Queues a one-way message; false when it was dropped (connection going away, or its queue full). */
  notify(bytes: Uint8Array): boolean {
    if (!this.usable) return false;
    if (this.channel.writer.laneBytes(0) + bytes.length > this.limits.maxNotifyQueueBytes) return false;
    this.channel.writer.sendMessage(0, FrameType.Notify, 0, bytes);
    this.lastNotifyAtMs = this.nowMs();
    return true;
  }

  /** Says goodbye (GOAWAY), fails what is pending, resolves once the socket is closed. */
  close(reason = 'the caller closed the connection'): Promise<void> {
    this.draining = true;
    this.channel.goAway('closed', reason);
    return this.closedPromise;
  }

  // ---- requests -----------------------------------------------------------

  /** Sends a request; on a synchronous refusal calls reject and returns null. */
  private open(
    kind: Kind,
    method: string,
    args: unknown,
    timeoutMs: number | null,
    signal: AbortSignal | undefined,
    resolve: (v: unknown) => void,
    reject: (e: Error) => void,
  ): Pending | null {
    if (!this.usable) {
      reject(new RpcError('closed', `the connection to ${this.addr} is closing`));
      return null;
    }
    if (signal?.aborted) {
      reject(new RpcError('cancelled', `${method} was cancelled before it was sent`));
      return null;
    }
    if (timeoutMs !== null && timeoutMs <= 0) {
      reject(new RpcError('timeout', `${method} to ${this.addr}: the deadline passed before it was sent`));
      return null;
    }
    if (this.pending.size >= this.limits.maxInflight) {
      reject(new RpcError('overloaded', `${this.limits.maxInflight} requests already in flight to ${this.addr}`));
      return null;
    }
    let bytes: Uint8Array;
    try {
      bytes = encodePayload([method, args, timeoutMs === null ? null : Math.ceil(timeoutMs)]);
    } catch (e) {
      reject(new TypeError(`${method}: the arguments cannot be encoded: ${(e as Error).message}`));
      return null;
    }
    if (bytes.length > this.limits.maxMessageBytes) {
      reject(new RpcError('protocol', `${method}: the request is ${bytes.length} bytes, over the ${this.limits.maxMessageBytes}-byte limit`));
      return null;
    }
    const id = this.allocateId();
    const p: Pending = { id, kind, method, done: false, resolve, reject, timer: null, unlisten: null, items: null, itemWindow: null, credit: null };
    this.pending.set(id, p);
    this.disarmIdle();
    this.armKeepalive();
    if (timeoutMs !== null) {
      p.timer = setTimeout(() => this.finish(p, new RpcError('timeout', `no answer from ${this.addr} to ${method} within ${Math.ceil(timeoutMs)} ms`), true), timeoutMs);
    }
    if (signal) {
      const onAbort = (): void => this.finish(p, new RpcError('cancelled', `${method} to ${this.addr} was cancelled`), true);
      signal.addEventListener('abort', onAbort, { once: true });
      p.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    this.channel.writer.sendMessage(id, TYPE_OF[kind], id, bytes);
    return p;
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= 0xffffffff ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  /** Ends a request: with a value (error === null) or an error; `cancel` tells the server to stop. */
  private finish(p: Pending, error: Error | null, cancel: boolean, value?: unknown): void {
    if (p.done) return;
    p.done = true;
    if (p.timer) clearTimeout(p.timer);
    p.unlisten?.();
    this.pending.delete(p.id);
    if (this.queuedHead < this.queued.length) this.admitQueued();
    if (cancel && !this.channel.isClosed) {
      // What was not sent yet never leaves; the server drops what it has of the request.
      this.channel.writer.dropLane(p.id);
      this.channel.writer.sendControl(FrameType.Cancel, p.id);
    }
    this.channel.discardPartial(p.id);
    p.credit?.fail(error ?? new RpcError('closed', 'the upload was answered'));
    if (error) p.reject(error);
    else p.resolve(value);
    if (this.pending.size === 0) {
      this.stopKeepalive();
      this.armIdle();
    }
  }

  private async pumpUpload(p: Pending, data: AsyncIterable<Uint8Array>): Promise<void> {
    const credit = p.credit as SendCredit;
    try {
      for await (const chunk of data) {
        for (let pos = 0; pos < chunk.length; pos += FRAME_PAYLOAD_MAX_BYTES) {
          const piece = chunk.subarray(pos, Math.min(chunk.length, pos + FRAME_PAYLOAD_MAX_BYTES));
          await credit.take(creditCost(piece.length));
          if (p.done) return;
          this.channel.writer.sendFrame(p.id, FrameType.Data, 0, p.id, piece);
          await this.channel.writer.whenLaneShort(p.id);
          if (p.done) return;
        }
        if (p.done) return;
      }
      if (!p.done) this.channel.writer.sendFrame(p.id, FrameType.DataEnd, 0, p.id, null);
    } catch (e) {
      // The data source failed (or credit ended because the request did): the caller learns the first.
      if (!p.done) this.finish(p, e as Error, true);
    }
  }

  // ---- what the server sends ----------------------------------------------

  private message(type: FrameType, id: number, bytes: Uint8Array): void {
    if (type === FrameType.GoAway) {
      this.goAwayReceived(bytes);
      return;
    }
    const p = this.pending.get(id);
    if (!p) return; // the caller gave up on it already
    let value: unknown;
    try {
      value = decodePayload(bytes);
    } catch (e) {
      this.channel.violation(`undecodable ${frameTypeName(type)} for request ${id}: ${(e as Error).message}`);
      return;
    }
    switch (type) {
      case FrameType.Result:
        this.finish(p, null, false, p.kind === 'stream' || p.kind === 'duplex' ? undefined : value);
        return;
      case FrameType.Error: {
        const err: NomadError | RpcError = errorFromWire(value);
        this.finish(p, err, false);
        return;
      }
      case FrameType.Item:
        if (!p.items || !p.itemWindow) return this.channel.violation(`a stream item for request ${id}, which is not a stream`);
        if (!p.itemWindow.received(creditCost(bytes.length), this.limits.maxMessageBytes)) return this.channel.violation(`stream ${id} sent past its flow-control window`);
        p.items.push(value, creditCost(bytes.length));
        return;
      default:
        this.channel.violation(`a server sent a ${frameTypeName(type)} message`);
    }
  }

  private frame(type: FrameType, id: number, payload: Uint8Array): void {
    switch (type) {
      case FrameType.Window:
        if (payload.length !== 4) return this.channel.violation('a WINDOW frame without its 4-byte increment');
        this.pending.get(id)?.credit?.grant(decodeU32(payload));
        return;
      case FrameType.Pong:
        this.pingSentAtMs = null;
        return;
      case FrameType.Ping:
        this.channel.writer.sendControl(FrameType.Pong, id, payload.slice());
        return;
      default:
        this.channel.violation(`unknown or misdirected frame type ${frameTypeName(type)}`);
    }
  }

  private goAwayReceived(bytes: Uint8Array): void {
    let code: string = 'closed';
    let message = 'the server closed the connection';
    try {
      const v = decodePayload(bytes);
      if (Array.isArray(v) && typeof v[1] === 'string') {
        code = isRpcErrorCode(v[0]) ? v[0] : 'closed';
        message = v[1];
      }
    } catch {
      // A GOAWAY we cannot read still means goodbye.
    }
    this.draining = true;
    const error = new RpcError(code as RpcError['code'], `${this.addr}: ${message}`);
    if (code === 'tls' || code === 'protocol') this.logger.warn(`rpc: server ${this.addr} closed the connection: ${message}`);
    for (const p of [...this.pending.values()]) this.finish(p, error, false);
    this.failQueued(error);
    this.channel.destroy(error);
  }

  // ---- liveness -----------------------------------------------------------

  private armKeepalive(): void {
    if (this.keepaliveTimer) return;
    const interval = this.limits.keepaliveIntervalMs;
    this.keepaliveTimer = setInterval(() => {
      const now = this.nowMs();
      if (this.pingSentAtMs !== null && this.channel.lastReceivedAtMs > this.pingSentAtMs) this.pingSentAtMs = null;
      if (this.pingSentAtMs !== null) {
        if (now - this.pingSentAtMs >= interval) {
          const error = new RpcError('closed', `${this.addr} did not answer a keepalive ping within ${interval} ms`);
          this.logger.warn(`rpc: ${error.message}; closing the connection`);
          this.channel.destroy(error);
        }
        return;
      }
      if (now - this.channel.lastReceivedAtMs >= interval) {
        this.pingSentAtMs = now;
        this.channel.writer.sendControl(FrameType.Ping, 0, encodeU32(Math.floor(now) >>> 0));
      }
    }, Math.max(1, Math.floor(interval / 2)));
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    this.pingSentAtMs = null;
  }

  private armIdle(delayMs = this.limits.idleTimeoutMs): void {
    if (this.idleTimer || this.draining) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size > 0 || !this.usable) return;
      const quietMs = this.nowMs() - Math.max(this.lastNotifyAtMs, this.channel.lastReceivedAtMs);
      if (quietMs < this.limits.idleTimeoutMs) {
        this.armIdle(this.limits.idleTimeoutMs - quietMs);
        return;
      }
      this.logger.debug(`rpc: closing idle connection to ${this.addr}`);
      void this.close(`idle for ${this.limits.idleTimeoutMs} ms`);
    }, delayMs);
    this.idleTimer.unref();
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private stopTimers(): void {
    this.stopKeepalive();
    this.disarmIdle();
  }
}
