// The I/O edge of the gossip layer: a UDP socket and a TCP listener on the same port, a timer
// that wakes the core at its next deadline, and the keyring that seals every byte on the wire.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { toBytes } from './bytes.js';
import { DEFAULT_UDP_PAYLOAD_BYTES } from './constants.js';
import { GossipCore, type CoreOutput } from './core.js';
import { ENCRYPTION_OVERHEAD_BYTES, type Keyring } from './keyring.js';
import type { Rng } from './rng.js';
import { encodeFrame, readFrame, requestFrame } from './tcp-frames.js';
import type { GossipTimings } from './timings.js';
import type { Address, MemberEvent, Tags } from './types.js';

export interface GossipLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: GossipLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface DriverOptions {
  readonly name: string;
  readonly bindAddr: string;
  readonly bindPort: number;
  readonly advertiseAddr?: string;
  readonly advertisePort?: number;
  readonly tags: Tags;
  readonly timings: GossipTimings;
  readonly keyring: Keyring;
  readonly logger: GossipLogger;
  readonly rng: Rng;
  readonly udpPayloadBytes?: number;
  readonly tcpFallback?: boolean;
  readonly onEvent: (e: MemberEvent) => void;
}

export interface DriverCounters {
  /** Packets or streams no installed key could open (wrong key, plaintext, foreign). */
  decryptFailures: number;
  udpSendErrors: number;
  tcpErrors: number;
  streamsRejected: number;
}

/** Bound on concurrent inbound TCP exchanges. */
const MAX_INBOUND_STREAMS = 64;
/** Bound on a push-pull state: far above 10k members with full tags. */
const MAX_STREAM_BYTES = 16 * 1024 * 1024;
/** Upper bound on one timer sleep, so a clock oddity cannot stall the core for long. */
const MAX_SLEEP_MS = 1000;
/** How many times to look for a port free for both UDP and TCP when asked for port 0. */
const EPHEMERAL_PORT_TRIES = 10;

export class GossipDriver {
  readonly counters: DriverCounters = { decryptFailures: 0, udpSendErrors: 0, tcpErrors: 0, streamsRejected: 0 };
  private core: GossipCore | null = null;
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly inbound = new Set<Socket>();
  private closed = false;
  private readonly leaveWaiters = new Set<() => void>();
  boundPort = 0;

  constructor(private readonly opts: DriverOptions) {}

  get gossipCore(): GossipCore {
    if (this.core === null) throw new Error('gossip agent is not started');
    return this.core;
  }

  async start(): Promise<void> {
    if (this.core !== null) throw new Error('gossip agent already started');
    await this.bind();
    const o = this.opts;
    const maxPacketBytes = (o.udpPayloadBytes ?? DEFAULT_UDP_PAYLOAD_BYTES) - (o.keyring.enabled ? ENCRYPTION_OVERHEAD_BYTES : 0);
    this.core = new GossipCore({
      name: o.name,
      advertise: { addr: o.advertiseAddr ?? o.bindAddr, port: o.advertisePort ?? this.boundPort },
      tags: o.tags,
      timings: o.timings,
      rng: o.rng,
      startMs: now(),
      maxPacketBytes,
      tcpFallback: o.tcpFallback ?? true,
    });
    this.pump();
  }

  /** Runs `fn` against the core at the current time, then sends what it produced. */
  withCore<T>(fn: (core: GossipCore, nowMs: number) => T): T {
    const result = fn(this.gossipCore, now());
    this.pump();
    return result;
  }

  /** Push-pull joins with each address; resolves with how many answered. */
  async join(addrs: readonly string[]): Promise<number> {
    const core = this.gossipCore;
    const errors: string[] = [];
    const results = await Promise.all(
      addrs.map(async (a) => {
        try {
          const target = await resolveAddress(a, this.boundPort);
          const answer = await this.exchange(target, core.localState(true));
          if (!this.withCore((c, t) => c.mergePushPull(t, answer))) throw new Error('invalid answer');
          return 1;
        } catch (err) {
          errors.push(`${a}: ${(err as Error).message}`);
          return 0;
        }
      }),
    );
    const joined = results.reduce<number>((n, x) => n + x, 0);
    if (joined === 0 && addrs.length > 0) throw new Error(`failed to join any member: ${errors.join('; ')}`);
    for (const e of errors) this.opts.logger.warn(`gossip: join ${e}`);
    return joined;
  }

  /** Starts a leave and waits, bounded, until the rumor has spread. */
  async leave(): Promise<void> {
    this.withCore((c, t) => c.leave(t));
    if (this.gossipCore.isLeavePropagated) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(bound);
        this.leaveWaiters.delete(done);
        resolve();
      };
      const bound = setTimeout(done, this.opts.timings.leavePropagateMaxMs);
      this.leaveWaiters.add(done);
    });
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.core?.stop();
    for (const s of this.inbound) s.destroy();
    for (const w of [...this.leaveWaiters]) w();
    await Promise.all([
      new Promise<void>((r) => (this.udp === null ? r() : this.udp.close(() => r()))),
      new Promise<void>((r) => (this.tcp === null ? r() : this.tcp.close(() => r()))),
    ]);
  }

  // --- core pumping -------------------------------------------------------------------------

  private pump(): void {
    const core = this.core;
    if (core === null || this.closed) return;
    for (const o of core.drainOutputs()) this.perform(o);
    for (const e of core.drainEvents()) {
      try {
        this.opts.onEvent(e);
      } catch (err) {
        this.opts.logger.error(`gossip: event handler failed: ${(err as Error).message}`);
      }
    }
    if (core.isLeavePropagated) for (const w of [...this.leaveWaiters]) w();
    this.schedule(core.nextDeadlineMs());
  }

  private schedule(deadlineMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (!Number.isFinite(deadlineMs)) return;
    const delayMs = Math.min(MAX_SLEEP_MS, Math.max(0, deadlineMs - now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.withCore((c, t) => c.tick(t));
    }, delayMs);
  }

  private perform(o: CoreOutput): void {
    switch (o.kind) {
      case 'udp': {
        const sealed = this.opts.keyring.seal(o.bytes);
        this.udp?.send(sealed, o.to.port, o.to.addr, (err) => {
          if (err) this.counters.udpSendErrors++;
        });
        return;
      }
      case 'tcp-ping': {
        const timeoutMs = Math.max(1, o.deadlineMs - now());
        this.exchange(o.to, o.bytes, timeoutMs).then(
          (answer) => this.withCore((c, t) => c.tcpPingResult(t, o.seq, answer)),
          () => this.withCore((c, t) => c.tcpPingResult(t, o.seq, null)),
        );
        return;
      }
      case 'push-pull':
        this.exchange(o.to, o.bytes).then(
          (answer) => this.withCore((c, t) => c.mergePushPull(t, answer)),
          (err: Error) => this.opts.logger.debug(`gossip: push-pull with ${o.to.addr}:${o.to.port} failed: ${err.message}`),
        );
        return;
    }
  }

  /** One sealed TCP request/answer; the answer comes back opened. */
  private async exchange(to: Address, plain: Uint8Array, timeoutMs = this.opts.timings.tcpTimeoutMs): Promise<Uint8Array> {
    const kr = this.opts.keyring;
    try {
      const raw = await requestFrame(to.addr, to.port, kr.seal(plain), timeoutMs, MAX_STREAM_BYTES);
      const opened = kr.open(raw);
      if (opened === null) {
        this.counters.decryptFailures++;
        throw new Error('answer could not be decrypted');
      }
      return opened;
    } catch (err) {
      this.counters.tcpErrors++;
      throw err;
    }
  }

  // --- sockets ------------------------------------------------------------------------------

  private async bind(): Promise<void> {
    const { bindAddr, bindPort } = this.opts;
    const tries = bindPort === 0 ? EPHEMERAL_PORT_TRIES : 1;
    let lastErr: Error | null = null;
    for (let i = 0; i < tries; i++) {
      const tcp = createServer((s) => this.onStream(s));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host: bindAddr, port: bindPort, exclusive: true }, () => resolve());
        });
      } catch (err) {
        throw new Error(`gossip: cannot listen on tcp ${bindAddr}:${bindPort}: ${(err as Error).message}`);
      }
      const port = (tcp.address() as { port: number }).port;
      const udp = createSocket({ type: bindAddr.includes(':') ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind({ address: bindAddr, port, exclusive: true }, () => resolve());
        });
      } catch (err) {
        lastErr = err as Error;
        tcp.close();
        udp.close();
        continue;
      }
      tcp.on('error', (err) => this.opts.logger.error(`gossip: tcp listener: ${err.message}`));
      udp.on('error', (err) => this.opts.logger.error(`gossip: udp socket: ${err.message}`));
      udp.on('message', (msg, rinfo) => this.onPacket(toBytes(msg), { addr: rinfo.address, port: rinfo.port }));
      this.tcp = tcp;
      this.udp = udp;
      this.boundPort = port;
      return;
    }
    throw new Error(`gossip: cannot bind udp ${bindAddr}:${bindPort}: ${lastErr?.message ?? 'unknown error'}`);
  }

  private onPacket(msg: Uint8Array, from: Address): void {
    if (this.core === null || this.closed) return;
    const plain = this.opts.keyring.open(msg);
    if (plain === null) {
      this.counters.decryptFailures++;
      return;
    }
    this.withCore((c, t) => c.receivePacket(t, from, plain));
  }

  private onStream(socket: Socket): void {
    socket.on('error', () => {});
    if (this.core === null || this.closed || this.inbound.size >= MAX_INBOUND_STREAMS) {
      this.counters.streamsRejected++;
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    readFrame(socket, MAX_STREAM_BYTES, this.opts.timings.tcpTimeoutMs).then(
      (frame) => {
        const plain = this.opts.keyring.open(frame);
        if (plain === null) {
          this.counters.decryptFailures++;
          socket.destroy();
          return;
        }
        const answer = this.withCore((c, t) => c.handleStream(t, plain));
        if (answer === null) socket.destroy();
        else socket.end(encodeFrame(this.opts.keyring.seal(answer)));
      },
      () => {
        this.counters.tcpErrors++;
        socket.destroy();
      },
    );
  }
}

function now(): number {
  return Math.floor(performance.now());
}

/** "host", "host:port" or "[v6]:port" to an address, resolving names. */
export async function resolveAddress(spec: string, defaultPort: number): Promise<Address> {
  let host = spec.trim();
  let port = defaultPort;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (v6 !== null) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(host);
    if (m !== null) {
      host = m[1]!;
      port = Number(m[2]);
    }
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad port in "${spec}"`);
  if (host.length === 0) throw new Error(`empty host in "${spec}"`);
  const { address } = await lookup(host);
  return { addr: address, port };
}
