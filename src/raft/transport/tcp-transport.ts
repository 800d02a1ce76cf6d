// Raft over TCP. One outbound connection per peer carries messages one way
// (replies come back on the peer's own connection), so AppendEntries are
// pipelined naturally. Snapshots stream on a connection of their own so that
// heartbeats are never stuck behind them. When a peer is slow or down,
// messages beyond a bound are dropped: Raft retries on its own.
import * as net from 'node:net';
import { asBytes } from '../bytes.js';
import { packr } from '../storage/entry-codec.js';
import type { Message, SnapshotRequest } from '../types.js';
import { AsyncChunkQueue } from './async-queue.js';
import { encodeFrame, FrameDecoder, FrameKind } from './frames.js';
import type { Transport, TransportHandler } from './types.js';

export interface TcpTransportOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Address announced to peers; defaults to host:port actually bound. */
  readonly advertise?: string;
  /** Bytes allowed to wait in a peer's socket buffer before messages are dropped. */
  readonly maxBufferedBytesPerPeer?: number;
  readonly connectTimeoutMs?: number;
  /** Wait at least this long before reconnecting to a peer that failed. */
  readonly reconnectBackoffMs?: number;
  /** A snapshot stream that makes no progress for this long is abandoned. */
  readonly snapshotIdleTimeoutMs?: number;
}

interface Peer {
  socket: net.Socket | null;
  connected: boolean;
  /** Frames written while connecting (bounded by maxBufferedBytesPerPeer). */
  backlog: Uint8Array[];
  backlogBytes: number;
  retryAtMs: number;
  flushScheduled: boolean;
}

function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`bad address "${address}" (want host:port)`);
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export class TcpTransport implements Transport {
  private handler: TransportHandler | null = null;
  private readonly peers = new Map<string, Peer>();
  private readonly inbound = new Set<net.Socket>();
  private closed = false;
  private address = '';
  private readonly maxBufferedBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectBackoffMs: number;
  private readonly snapshotIdleTimeoutMs: number;
  dropped = 0;

  private constructor(private readonly server: net.Server, private readonly options: TcpTransportOptions) {
    this.maxBufferedBytes = options.maxBufferedBytesPerPeer ?? 64 * 1024 * 1024;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.reconnectBackoffMs = options.reconnectBackoffMs ?? 100;
    this.snapshotIdleTimeoutMs = options.snapshotIdleTimeoutMs ?? 30_000;
  }

  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = net.createServer();
    const t = new TcpTransport(server, options);
    server.on('connection', (s) => t.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as net.AddressInfo;
    t.address = options.advertise ?? `${options.host}:${bound.port}`;
    return t;
  }

  get localAddress(): string {
    return this.address;
  }

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  // ---- outbound messages --------------------------------------------------

  send(address: string, message: Message): void {
    if (this.closed) return;
    const frame = encodeFrame(FrameKind.Message, asBytes(packr.pack([this.address, message])));
    const peer = this.peer(address);
    if (peer.connected && peer.socket) {
      if (peer.socket.writableLength > this.maxBufferedBytes) {
        this.dropped++;
        return;
      }
      // Cork until the end of this turn of the event loop: many small messages, one write.
      if (!peer.flushScheduled) {
        peer.flushScheduled = true;
        peer.socket.cork();
        const s = peer.socket;
        process.nextTick(() => {
          peer.flushScheduled = false;
          s.uncork();
        });
      }
      peer.socket.write(frame);
      return;
    }
    if (peer.backlogBytes + frame.length > this.maxBufferedBytes) {
      this.dropped++;
      return;
    }
    peer.backlog.push(frame);
    peer.backlogBytes += frame.length;
    this.connect(address, peer);
  }

  private peer(address: string): Peer {
    let p = this.peers.get(address);
    if (!p) {
      p = { socket: null, connected: false, backlog: [], backlogBytes: 0, retryAtMs: 0, flushScheduled: false };
      this.peers.set(address, p);
    }
    return p;
  }

  private connect(address: string, peer: Peer): void {
    if (peer.socket || this.closed) return;
    const now = Date.now();
    if (now < peer.retryAtMs) {
      // Still backing off: what waits now is stale by the time we reconnect.
      peer.backlog = [];
      peer.backlogBytes = 0;
      return;
    }
    let target: { host: string; port: number };
    try {
      target = parseAddress(address);
    } catch {
      peer.backlog = [];
      peer.backlogBytes = 0;
      return;
    }
    const socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    peer.socket = socket;
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      peer.connected = true;
      for (const f of peer.backlog) socket.write(f);
      peer.backlog = [];
      peer.backlogBytes = 0;
    });
    socket.on('data', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      if (peer.socket === socket) {
        peer.socket = null;
        peer.connected = false;
        peer.backlog = [];
        peer.backlogBytes = 0;
        peer.retryAtMs = Date.now() + this.reconnectBackoffMs;
      }
    });
    socket.on('error', () => undefined);
  }

  // ---- snapshots ----------------------------------------------------------

  async sendSnapshot(address: string, request: SnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.closed) throw new Error('transport closed');
    const target = parseAddress(address);
    const socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    let failure: Error | null = null;
    socket.on('error', (e) => {
      failure = e;
    });
    socket.setTimeout(this.snapshotIdleTimeoutMs, () => socket.destroy(new Error('snapshot stream idle')));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('close', () => reject(failure ?? new Error('connection closed')));
      });
      const write = async (frame: Uint8Array): Promise<void> => {
        if (failure) throw failure;
        if (!socket.write(frame)) {
          await new Promise<void>((resolve, reject) => {
            socket.once('drain', resolve);
            socket.once('close', () => reject(failure ?? new Error('connection closed')));
          });
        }
      };
      await write(encodeFrame(FrameKind.SnapshotHeader, asBytes(packr.pack([this.address, request]))));
      for await (const chunk of data) await write(encodeFrame(FrameKind.SnapshotChunk, chunk));
      await write(encodeFrame(FrameKind.SnapshotEnd, new Uint8Array(0)));
      await new Promise<void>((resolve, reject) => {
        socket.end(() => resolve());
        socket.once('close', () => (failure ? reject(failure) : resolve()));
      });
    } finally {
      socket.destroy();
    }
  }

  // ---- inbound ------------------------------------------------------------

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    let snapshot: AsyncChunkQueue | null = null;
    const decoder = new FrameDecoder((kind, payload) => {
      switch (kind) {
        case FrameKind.Message: {
          const [from, message] = packr.unpack(payload) as [string, Message];
          this.handler?.onMessage(message, from);
          return;
        }
        case FrameKind.SnapshotHeader: {
          const [from, request] = packr.unpack(payload) as [string, SnapshotRequest];
          const queue = new AsyncChunkQueue(16, () => socket.pause(), () => socket.resume());
          snapshot = queue;
          const handler = this.handler;
          if (!handler) {
            socket.destroy();
            return;
          }
          handler.onSnapshot(request, queue, from).catch(() => socket.destroy());
          socket.setTimeout(this.snapshotIdleTimeoutMs, () => socket.destroy(new Error('snapshot stream idle')));
          return;
        }
        case FrameKind.SnapshotChunk:
          // Copy: the decoder's buffers are reused for the next frames.
          snapshot?.push(payload.slice());
          return;
        case FrameKind.SnapshotEnd:
          snapshot?.end();
          snapshot = null;
          return;
        default:
          socket.destroy(new Error(`unknown frame kind ${String(kind)}`));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(asBytes(chunk));
      } catch (e) {
        socket.destroy(e as Error);
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.inbound.delete(socket);
      (snapshot as AsyncChunkQueue | null)?.fail(new Error('snapshot connection closed early'));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peers.values()) p.socket?.destroy();
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
