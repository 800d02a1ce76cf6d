// The caller's side of the RPC transport, one per agent: a connection per peer address, dialed
// on demand, shared by every call to that peer, closed when idle. A peer that cannot be reached
// is left alone for a backoff period, during which calls to it fail at once with 'connect'.
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type * as tls from 'node:tls';
import { systemRandom } from '../structs/clock.js';
import type { Random } from '../structs/clock.js';
import { backoffDelayMs, resolveBackoff } from './backoff.js';
import type { ReconnectBackoff } from './backoff.js';
import { ClientConnection } from './client-connection.js';
import type { ClientConnectionLimits } from './client-connection.js';
import { encodePayload } from './codec.js';
import { dial } from './dial.js';
import { RpcError } from './errors.js';
import { clientSecureContext } from './tls.js';
import type { RpcTlsClientOptions } from './tls.js';
import type { RpcCallOptions, RpcLogger } from './types.js';

export interface RpcPoolOptions {
  logger: RpcLogger;
  tls?: RpcTlsClientOptions;
  /** TCP connect plus TLS handshake. Default 5 s. */
  connectTimeoutMs?: number;
  /** Requests in flight on one connection; more calls wait in line (below). Default 2048. */
  maxInflightPerConnection?: number;
  /** Calls waiting in line on one connection for a free slot; more fail with 'overloaded'. Default 8192. */
  maxQueuedCallsPerConnection?: number;
  reconnectBackoff?: ReconnectBackoff;
  /** Bound of a call() that names none. Default 60 s (blocking queries pass their own). */
  defaultCallTimeoutMs?: number;
  /** A connection with nothing in flight and no traffic for this long is closed. Default 2 min. */
  idleTimeoutMs?: number;
  /** With answers owed and nothing heard for this long, ping the server. Default 15 s. */
  keepaliveIntervalMs?: number;
  /** One-way messages queued per peer, in bytes, before more are dropped. Default 16 MiB. */
  maxNotifyQueueBytes?: number;
  /** Largest request, answer or stream item. Default 64 MiB. */
  maxMessageBytes?: number;
  /** A frame begun and not finished for this long closes the connection. Default 30 s. */
  stalledFrameTimeoutMs?: number;
  /** For the backoff's jitter (the server context's randomness); the system's by default. */
  random?: Random;
}

interface Peer {
  readonly addr: string;
  conn: ClientConnection | null;
  dialing: Promise<ClientConnection> | null;
  /** Failed dials in a row. */
  failures: number;
  retryAtMs: number;
  lastError: string;
  /** One-way messages waiting for the connection being dialed. */
  backlog: Uint8Array[];
  backlogBytes: number;
}

export class RpcPool {
  private readonly peers = new Map<string, Peer>();
  private readonly limits: ClientConnectionLimits;
  private readonly backoff: Required<ReconnectBackoff>;
  private readonly tlsSetup: { options: RpcTlsClientOptions; context: tls.SecureContext } | null;
  private readonly connectTimeoutMs: number;
  private readonly defaultCallTimeoutMs: number;
  private readonly random: Random;
  private readonly logger: RpcLogger;
  private closed = false;
  private readonly closing = new AbortController();
  /** One-way messages dropped (peer down, queue full) since start. */
  droppedNotifies = 0;

  constructor(opts: RpcPoolOptions) {
    this.logger = opts.logger;
    const maxMessageBytes = opts.maxMessageBytes ?? 64 * 1024 * 1024;
    this.limits = {
      maxInflight: opts.maxInflightPerConnection ?? 2048,
      maxQueuedCalls: opts.maxQueuedCallsPerConnection ?? 8192,
      maxNotifyQueueBytes: opts.maxNotifyQueueBytes ?? 16 * 1024 * 1024,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 15_000,
      idleTimeoutMs: opts.idleTimeoutMs ?? 120_000,
      maxMessageBytes,
      maxReassemblyBytes: 4 * maxMessageBytes,
      stalledFrameTimeoutMs: opts.stalledFrameTimeoutMs ?? 30_000,
    };
    this.backoff = resolveBackoff(opts.reconnectBackoff);
    this.tlsSetup = opts.tls ? { options: opts.tls, context: clientSecureContext(opts.tls) } : null;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.defaultCallTimeoutMs = opts.defaultCallTimeoutMs ?? 60_000;
    this.random = opts.random ?? systemRandom;
  }

  async call<T = unknown>(addr: string, method: string, args: unknown, opts: RpcCallOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.defaultCallTimeoutMs;
    const deadline = this.now() + timeoutMs;
    const conn = await this.connection(addr, deadline, timeoutMs, opts.signal);
    return (await conn.call(method, args, deadline - this.now(), opts.signal)) as T;
  }

  /** Items the handler writes, in order; ends when it returns, throws its error. Starts when first read. */
  stream(addr: string, method: string, args: unknown, opts: RpcCallOptions = {}): AsyncIterable<unknown> {
    const pool = this;
    return {
      async *[Symbol.asyncIterator]() {
        const deadline = opts.timeoutMs === undefined ? null : pool.now() + opts.timeoutMs;
        const conn = await pool.connection(addr, deadline, opts.timeoutMs ?? null, opts.signal);
        yield* conn.stream(method, args, deadline === null ? null : deadline - pool.now(), opts.signal);
      },
    };
  }

  /** Sends `data` to a duplex handler (paced as an upload) while its items come back (as a stream's). */
  duplex(addr: string, method: string, args: unknown, data: AsyncIterable<Uint8Array>, opts: RpcCallOptions = {}): AsyncIterable<unknown> {
    const pool = this;
    return {
      async *[Symbol.asyncIterator]() {
        const deadline = opts.timeoutMs === undefined ? null : pool.now() + opts.timeoutMs;
        const conn = await pool.connection(addr, deadline, opts.timeoutMs ?? null, opts.signal);
        yield* conn.duplex(method, args, data, deadline === null ? null : deadline - pool.now(), opts.signal);
      },
    };
  }

  /** Sends `data` (paced by the server's credit) to an upload handler and resolves with its answer. */
  async upload<T = unknown>(addr: string, method: string, args: unknown, data: AsyncIterable<Uint8Array>, opts: RpcCallOptions = {}): Promise<T> {
    const deadline = opts.timeoutMs === undefined ? null : this.now() + opts.timeoutMs;
    const conn = await this.connection(addr, deadline, opts.timeoutMs ?? null, opts.signal);
    return (await conn.upload(method, args, data, deadline === null ? null : deadline - this.now(), opts.signal)) as T;
  }

  /** A one-way message; false when dropped (peer in backoff, queue full, pool closed). Never waits. */
  notify(addr: string, method: string, args: unknown): boolean {
    if (this.closed) return this.dropped();
    const bytes = encodePayload([method, args]);
    const peer = this.peer(addr);
    if (peer.conn?.usable) return peer.conn.notify(bytes) || this.dropped();
    if (!peer.dialing && this.now() < peer.retryAtMs) return this.dropped();
    if (peer.backlogBytes + bytes.length > this.limits.maxNotifyQueueBytes) return this.dropped();
    peer.backlog.push(bytes);
    peer.backlogBytes += bytes.length;
    if (!peer.dialing) this.startDial(peer).catch(() => undefined);
    return true;
  }

  /** Closes every connection; pending requests fail with 'closed', and so does every later one. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    const dials = [...this.peers.values()].map((p) => p.dialing).filter((d): d is Promise<ClientConnection> => d !== null);
    await Promise.allSettled(dials);
    await Promise.all([...this.peers.values()].map((p) => p.conn?.close('the RPC pool is closing')));
    this.peers.clear();
  }

  /** Connections open now (for tests and metrics). */
  get connectionCount(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.conn?.usable) n++;
    return n;
  }

  private now(): number {
    return performance.now();
  }

  private dropped(): false {
    this.droppedNotifies++;
    return false;
  }

  private peer(addr: string): Peer {
    let p = this.peers.get(addr);
    if (!p) {
      p = { addr, conn: null, dialing: null, failures: 0, retryAtMs: 0, lastError: '', backlog: [], backlogBytes: 0 };
      this.peers.set(addr, p);
    }
    return p;
  }

  /** The peer's connection, dialing it if needed; fails at once while the peer is in backoff. */
  private async connection(addr: string, deadlineMs: number | null, timeoutMs: number | null, signal: AbortSignal | undefined): Promise<ClientConnection> {
    if (this.closed) throw new RpcError('closed', 'the RPC pool is closed');
    if (signal?.aborted) throw new RpcError('cancelled', `the call to ${addr} was cancelled before it was sent`);
    const peer = this.peer(addr);
    if (peer.conn?.usable) return peer.conn;
    if (!peer.dialing) {
      const waitMs = peer.retryAtMs - this.now();
      if (waitMs > 0) throw new RpcError('connect', `${addr} is unreachable (${peer.lastError}); next attempt in ${Math.ceil(waitMs)} ms`);
      peer.dialing = this.startDial(peer);
    }
    return this.awaitDial(peer.dialing, addr, deadlineMs, timeoutMs, signal);
  }

  /** Waits for a dial, but no longer than the caller's deadline or signal allow. */
  private awaitDial(dialing: Promise<ClientConnection>, addr: string, deadlineMs: number | null, timeoutMs: number | null, signal: AbortSignal | undefined): Promise<ClientConnection> {
    if (deadlineMs === null && !signal) return dialing;
    return new Promise<ClientConnection>((resolve, reject) => {
      const timer =
        deadlineMs === null
          ? null
          : setTimeout(() => finish(new RpcError('timeout', `could not connect to ${addr} within the call's ${timeoutMs} ms`)), Math.max(0, deadlineMs - this.now()));
      const onAbort = (): void => finish(new RpcError('cancelled', `the call to ${addr} was cancelled while connecting`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (e: Error | null, conn?: ClientConnection): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve(conn as ClientConnection);
      };
      dialing.then(
        (c) => finish(null, c),
        (e: Error) => finish(e),
      );
    });
  }

  private startDial(peer: Peer): Promise<ClientConnection> {
    const dialing = this.dialPeer(peer).finally(() => {
      if (peer.dialing === dialing) peer.dialing = null;
    });
    peer.dialing = dialing;
    return dialing;
  }

  private async dialPeer(peer: Peer): Promise<ClientConnection> {
    let socket: net.Socket;
    try {
      socket = await dial(peer.addr, { connectTimeoutMs: this.connectTimeoutMs, tls: this.tlsSetup, logger: this.logger, signal: this.closing.signal });
    } catch (e) {
      const err = e instanceof RpcError ? e : new RpcError('connect', `cannot connect to ${peer.addr}: ${(e as Error).message}`);
      peer.failures++;
      const delayMs = backoffDelayMs(peer.failures, this.backoff, () => this.random.float());
      peer.retryAtMs = this.now() + delayMs;
      peer.lastError = err.message;
      this.droppedNotifies += peer.backlog.length;
      peer.backlog = [];
      peer.backlogBytes = 0;
      const line = `rpc: ${err.message}; next attempt in ${delayMs} ms`;
      // A refused certificate was logged by the dial already; a peer going down is worth one warning.
      if (peer.failures === 1 && err.code === 'connect') this.logger.warn(line);
      else this.logger.debug(line);
      throw err;
    }
    if (this.closed) {
      socket.destroy();
      throw new RpcError('closed', 'the RPC pool is closed');
    }
    const conn = new ClientConnection(socket, peer.addr, this.limits, this.logger, () => this.now(), (c) => {
      if (peer.conn === c) peer.conn = null;
      if (!peer.conn && !peer.dialing && peer.failures === 0 && this.peers.get(peer.addr) === peer) this.peers.delete(peer.addr);
    });
    peer.conn = conn;
    peer.failures = 0;
    peer.retryAtMs = 0;
    for (const bytes of peer.backlog) if (!conn.notify(bytes)) this.droppedNotifies++;
    peer.backlog = [];
    peer.backlogBytes = 0;
    return conn;
  }
}
