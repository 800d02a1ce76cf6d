// The RPC listener (port 4647): one TCP port for every agent-to-agent exchange. The first byte
// of a connection picks plain framed RPC or TLS (then framed RPC inside it); anything else is
// closed with one log line naming the peer and why.
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { asBytes } from '../raft/bytes.js';
import { encodePayload } from './codec.js';
import { HandlerRegistry } from './handler-registry.js';
import { ServerConnection } from './server-connection.js';
import { describeForeignBytes } from './sniff.js';
import { createTlsAcceptor, describeSubject, refuseClientCertificate } from './tls.js';
import type { RpcTlsServerOptions } from './tls.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import type { RpcDuplexHandler, RpcHandler, RpcLogger, RpcNotifyHandler, RpcRequestContext, RpcStreamHandler, RpcUploadHandler } from './types.js';
import { encodeHeader, FrameType, PROTOCOL_BYTE_RPC_V1, PROTOCOL_BYTE_TLS } from './wire.js';

export interface RpcServerOptions {
  bindHost: string;
  /** 0 picks a free port. */
  port: number;
  logger: RpcLogger;
  tls?: RpcTlsServerOptions;
  /** Open connections at most; more are closed as they come. Default 4096. */
  maxConnections?: number;
  /** Open connections from one IP address at most (Nomad's limits.rpc_max_conns_per_client). Default 100. */
  maxConnectionsPerClientIp?: number;
  /** Requests running at once on one connection; more are answered 'overloaded'. Default 2048. */
  maxInflightPerConnection?: number;
  /** Largest request, answer or stream item. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Partly received messages of one connection together. Default 4 x maxMessageBytes. */
  maxReassemblyBytes?: number;
  /** Time for the first byte (and the TLS handshake) of a new connection (Nomad's limits.rpc_handshake_timeout). Default 5 s. */
  handshakeTimeoutMs?: number;
  /** A connection with nothing in flight and no traffic for this long is closed. Default 5 min. */
  idleTimeoutMs?: number;
  /** A frame begun and not finished for this long closes the connection. Default 30 s. */
  stalledFrameTimeoutMs?: number;
  /** Each connection that speaks the protocol counts as Nomad's nomad.rpc.accept_conn. */
  metrics?: Metrics;
}

const DEFAULTS = {
  maxConnections: 4096,
  maxConnectionsPerClientIp: 100,
  maxInflightPerConnection: 2048,
  maxMessageBytes: 64 * 1024 * 1024,
  handshakeTimeoutMs: 5000,
  idleTimeoutMs: 5 * 60_000,
  stalledFrameTimeoutMs: 30_000,
};

/** How long close() lets connections flush their GOAWAY before cutting them. */
const CLOSE_GRACE_MS = 1000;

interface Accepting {
  readonly raw: net.Socket;
  readonly peer: string;
  readonly timer: NodeJS.Timeout;
}

export class RpcServer {
  private readonly registry = new HandlerRegistry();
  private readonly listener: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly perIp = new Map<string, number>();
  private readonly connections = new Set<ServerConnection>();
  /** Raw sockets that carry framed RPC (directly or under TLS). */
  private readonly framed = new WeakSet<net.Socket>();
  /** Sockets whose TLS handshake is under way, by "ip:port". */
  private readonly tlsPending = new Map<string, Accepting>();
  private readonly tlsAcceptor: tls.Server | null;
  private readonly opts: Required<Omit<RpcServerOptions, 'tls' | 'maxReassemblyBytes' | 'metrics'>> & { maxReassemblyBytes: number };
  private readonly metrics: Metrics;
  private closing = false;
  private bound: { host: string; port: number } | null = null;
  /** Connections closed for bad input (foreign bytes, limits, TLS refusals, protocol violations) since start. */
  refusedConnections = 0;

  constructor(private readonly options: RpcServerOptions) {
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULTS.maxMessageBytes;
    this.metrics = options.metrics ?? noMetrics;
    this.opts = {
      bindHost: options.bindHost,
      port: options.port,
      logger: options.logger,
      maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
      maxConnectionsPerClientIp: options.maxConnectionsPerClientIp ?? DEFAULTS.maxConnectionsPerClientIp,
      maxInflightPerConnection: options.maxInflightPerConnection ?? DEFAULTS.maxInflightPerConnection,
      maxMessageBytes,
      maxReassemblyBytes: options.maxReassemblyBytes ?? 4 * maxMessageBytes,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
      stalledFrameTimeoutMs: options.stalledFrameTimeoutMs ?? DEFAULTS.stalledFrameTimeoutMs,
    };
    this.tlsAcceptor = options.tls ? createTlsAcceptor(options.tls, this.opts.handshakeTimeoutMs) : null;
    this.tlsAcceptor?.on('secureConnection', (s: tls.TLSSocket) => this.secured(s));
    this.tlsAcceptor?.on('tlsClientError', (e: Error, s: tls.TLSSocket) => this.tlsFailed(e, s));
    this.listener = net.createServer({ noDelay: true }, (s) => this.accept(s));
  }

  handle(method: string, h: RpcHandler): void {
    this.registry.add(method, { kind: 'call', fn: h });
  }

  handleStream(method: string, h: RpcStreamHandler): void {
    this.registry.add(method, { kind: 'stream', fn: h });
  }

  handleUpload(method: string, h: RpcUploadHandler): void {
    this.registry.add(method, { kind: 'upload', fn: h });
  }

  handleDuplex(method: string, h: RpcDuplexHandler): void {
    this.registry.add(method, { kind: 'duplex', fn: h });
  }

  handleNotify(method: string, h: RpcNotifyHandler): void {
    this.registry.add(method, { kind: 'notify', fn: h });
  }

  /** Stops answering a method (new requests get 'unknown_method'). */
  unhandle(method: string): void {
    this.registry.remove(method);
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  get address(): { host: string; port: number } | null {
    return this.bound;
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(this.opts.port, this.opts.bindHost, () => {
        this.listener.off('error', reject);
        resolve();
      });
    });
    const a = this.listener.address() as net.AddressInfo;
    this.bound = { host: a.address, port: a.port };
    return this.bound;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const listenerClosed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const c of this.connections) c.channel.goAway('closed', 'the server is shutting down');
    for (const a of this.tlsPending.values()) a.raw.destroy();
    const cut = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, CLOSE_GRACE_MS);
    // Connections still in their handshake have no protocol to be told in.
    for (const s of this.sockets) if (!this.framed.has(s)) s.destroy();
    await listenerClosed;
    clearTimeout(cut);
  }

  private refuse(peer: string, socket: net.Socket, reason: string): void {
    this.refusedConnections++;
    this.opts.logger.warn(`rpc: closing connection from ${peer}: ${reason}`);
    socket.destroy();
  }

  private accept(raw: net.Socket): void {
    const ip = raw.remoteAddress ?? '?';
    const peer = `${ip}:${raw.remotePort ?? 0}`;
    raw.on('error', () => undefined); // reported through 'close' and the reasons below
    if (this.closing) {
      raw.destroy();
      return;
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.sockets.size >= this.opts.maxConnections) {
      this.refuse(peer, raw, `${this.sockets.size} connections already open (limit ${this.opts.maxConnections})`);
      return;
    }
    if (fromIp >= this.opts.maxConnectionsPerClientIp) {
      this.refuse(peer, raw, `${fromIp} connections already open from ${ip} (limit ${this.opts.maxConnectionsPerClientIp} per client)`);
      return;
    }
    this.sockets.add(raw);
    this.perIp.set(ip, fromIp + 1);
    raw.once('close', () => {
      this.sockets.delete(raw);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    });
    raw.setKeepAlive(true, 30_000);
    const timer = setTimeout(() => this.refuse(peer, raw, `no protocol byte${this.tlsAcceptor ? ' or TLS handshake' : ''} within ${this.opts.handshakeTimeoutMs} ms`), this.opts.handshakeTimeoutMs);
    timer.unref();
    raw.once('close', () => clearTimeout(timer));
    raw.once('data', (data: Buffer) => {
      const chunk = asBytes(data);
      const first = chunk[0] as number;
      const rest = chunk.subarray(1);
      if (first === PROTOCOL_BYTE_RPC_V1) {
        if (this.tlsAcceptor && (this.options.tls?.mode ?? 'tls-only') === 'tls-only') {
          this.refuse(peer, raw, 'plain connection on a TLS-only RPC port');
          return;
        }
        clearTimeout(timer);
        this.startConnection(raw, raw, rest, null);
        return;
      }
      if (first === PROTOCOL_BYTE_TLS) {
        if (!this.tlsAcceptor) {
          this.refuse(peer, raw, 'TLS asked for, and this RPC port has no TLS configured');
          return;
        }
        raw.pause();
        if (rest.length > 0) raw.unshift(Buffer.from(rest.buffer, rest.byteOffset, rest.length));
        this.tlsPending.set(peer, { raw, peer, timer });
        raw.once('close', () => this.tlsPending.delete(peer));
        this.tlsAcceptor.emit('connection', raw);
        return;
      }
      this.refuse(peer, raw, describeForeignBytes(chunk));
    });
  }

  private tlsFailed(e: Error, s: tls.TLSSocket): void {
    // A handshake that failed may have closed the socket already; its raw socket knew the peer.
    const raw = (s as unknown as { _parent?: net.Socket })._parent;
    const peer = s.remoteAddress ? `${s.remoteAddress}:${s.remotePort ?? 0}` : raw?.remoteAddress ? `${raw.remoteAddress}:${raw.remotePort ?? 0}` : 'an unknown peer';
    const a = this.tlsPending.get(peer);
    this.tlsPending.delete(peer);
    // OpenSSL's messages carry a file and line after the reason: the reason is enough.
    const reason = (e.message.split('\n')[0] ?? '').replace(/^.*:SSL routines:[^:]*:([^:]*):.*$/, '$1');
    this.refuse(peer, a?.raw ?? (s as unknown as net.Socket), `TLS handshake failed: ${reason}`);
  }

  private secured(s: tls.TLSSocket): void {
    const peer = `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`;
    const a = this.tlsPending.get(peer);
    this.tlsPending.delete(peer);
    s.on('error', () => undefined);
    const why = refuseClientCertificate(this.options.tls as RpcTlsServerOptions, s, peer);
    if (why) {
      if (a) clearTimeout(a.timer);
      this.refusedConnections++;
      this.opts.logger.warn(`rpc: refused TLS peer ${peer} (subject ${describeSubject(s.getPeerCertificate())}): ${why}`);
      // Tell the caller why, in the protocol it is about to speak, then close.
      const payload = encodePayload(['tls', `the server refused this client's certificate: ${why}`]);
      s.write(encodeHeader(FrameType.GoAway, 0, 0, payload.length));
      s.end(payload);
      setTimeout(() => s.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    const tlsInfo: RpcRequestContext['tls'] = { peerCertificate: s.getPeerCertificate(), authorized: s.authorized };
    s.once('data', (data: Buffer) => {
      const chunk = asBytes(data);
      if (a) clearTimeout(a.timer);
      if (chunk[0] !== PROTOCOL_BYTE_RPC_V1) {
        this.refuse(peer, s, `inside TLS: ${describeForeignBytes(chunk)}`);
        return;
      }
      this.startConnection(a?.raw ?? s, s, chunk.subarray(1), tlsInfo);
    });
  }

  private startConnection(raw: net.Socket, socket: net.Socket, firstBytes: Uint8Array, tlsInfo: RpcRequestContext['tls']): void {
    this.framed.add(raw);
    this.metrics.incrCounter('nomad.rpc.accept_conn');
    const conn = new ServerConnection(
      socket,
      this.registry,
      {
        maxInflight: this.opts.maxInflightPerConnection,
        maxMessageBytes: this.opts.maxMessageBytes,
        maxReassemblyBytes: this.opts.maxReassemblyBytes,
        stalledFrameTimeoutMs: this.opts.stalledFrameTimeoutMs,
      },
      this.opts.logger,
      tlsInfo,
      () => performance.now(),
      (c) => this.connections.delete(c),
      () => this.refusedConnections++,
    );
    this.connections.add(conn);
    socket.setTimeout(this.opts.idleTimeoutMs, () => {
      // A long blocking query is quiet but not idle.
      if (conn.inflightCount > 0) return;
      this.opts.logger.debug(`rpc: closing idle connection from ${conn.channel.remoteAddr}`);
      conn.channel.goAway('closed', `idle for ${this.opts.idleTimeoutMs} ms`);
    });
    if (firstBytes.length > 0) conn.channel.feed(firstBytes);
  }
}
