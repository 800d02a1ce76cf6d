// The simulated network between the servers and the clients. It carries Raft messages (each
// server's raft Transport) and RPC calls (a request to a host's handlers and the answer back).
// Every payload crosses as msgpack bytes, as on the wire, so no object is shared between hosts.
// Faults: loss, delay with spikes (hence reordering), duplication of Raft messages (Raft is made
// for it; an RPC is never duplicated, as TCP would not), directed partitions, and hosts that are
// down. An RPC fails as the real transport's calls do: 'connect' when nothing was sent (host down
// or unreachable), 'closed' when the host died with the call in flight, 'timeout' when the
// request or its answer went into a partition; the last two leave the outcome unknown. Loss on a
// link that works delays an RPC (TCP sends it again) rather than losing it.
import { NomadError, type ErrorKind } from '../../../src/structs/errors.js';
import type { SeededRng } from '../../../src/raft/rng.js';
import type { Message, SnapshotRequest } from '../../../src/raft/types.js';
import type { Transport, TransportHandler } from '../../../src/raft/transport/types.js';
import { decodeMsgpack, encodeMsgpack } from '../../../src/state/codec.js';
import type { HostLife, SimLoop } from './sim-loop.js';
import { RELIABLE, type NetworkFaults } from '../raft/sim-network.js';

/** How long a connection attempt to an unreachable host takes to fail. */
const CONNECT_TIMEOUT_MS = 1_000;
/** Linux's minimum TCP retransmission timeout, doubled at each retry of a lost segment. */
const TCP_RTO_MS = 200;
const MAX_RETRANSMISSIONS = 5;

export type RpcHandlers = Record<string, (args: unknown) => Promise<unknown>>;

export class SimRpcError extends Error {
  constructor(
    readonly code: 'connect' | 'closed' | 'timeout' | 'unknown_method',
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /** As the real transport's: true when the server certainly did not act on the request. */
  get notProcessed(): boolean {
    return this.code === 'connect' || this.code === 'unknown_method';
  }
}

interface Listener {
  readonly life: HostLife;
  readonly handlers: RpcHandlers;
  /** Calls being served: their callers hear 'closed' if this host dies. */
  readonly serving: Set<() => void>;
}

interface RaftEndpoint {
  readonly life: HostLife;
  handler: TransportHandler | null;
}

export interface NetStats {
  raftSent: number;
  raftDropped: number;
  rpcCalls: number;
  rpcFailed: number;
}

/** Copies a value through the wire encoding, as a real transport would deliver it. */
function overWire<T>(value: T): T {
  return value === undefined ? value : decodeMsgpack<T>(encodeMsgpack(value));
}

/** An error as the caller sees it after the wire: a NomadError keeps kind, message and where. */
function errorOverWire(e: unknown): Error {
  if (e instanceof NomadError) return new NomadError(e.kind as ErrorKind, e.message, e.where);
  return new NomadError('internal', e instanceof Error ? e.message : String(e));
}

export class SimNetwork {
  faults: NetworkFaults = { ...RELIABLE };
  readonly stats: NetStats = { raftSent: 0, raftDropped: 0, rpcCalls: 0, rpcFailed: 0 };
  private readonly blocked = new Set<string>();
  private readonly listeners = new Map<string, Listener>();
  private readonly raft = new Map<string, RaftEndpoint>();

  constructor(
    private readonly loop: SimLoop,
    private readonly rng: SeededRng,
  ) {}

  // ---- partitions ----

  block(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Hosts in different groups cannot reach each other (both directions). */
  partition(groups: readonly (readonly string[])[]): void {
    for (const a of groups) for (const b of groups) if (a !== b) for (const x of a) for (const y of b) this.block(x, y);
  }

  heal(): void {
    this.blocked.clear();
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  private delayMs(): number {
    const f = this.faults;
    const base = f.minDelayMs + this.rng.nextInt(Math.max(1, f.maxDelayMs - f.minDelayMs + 1));
    return this.rng.chance(f.spikeRate) ? base + this.rng.nextInt(f.maxDelayMs * 10 + 1) : base;
  }

  /**
   * The delay of a message on a TCP stream: a lost segment is sent again after the retransmission
   * timeout, so loss on a connection shows as delay, not as a message that never arrives.
   */
  private streamDelayMs(): number {
    let delayMs = this.delayMs();
    for (let tries = 0; tries < MAX_RETRANSMISSIONS && this.rng.chance(this.faults.dropRate); tries++) delayMs += TCP_RTO_MS << tries;
    return delayMs;
  }

  // ---- hosts ----

  /** A host's RPC handlers for this life (the listener of its RPC port). */
  listen(address: string, life: HostLife, handlers: RpcHandlers): void {
    this.listeners.set(address, { life, handlers, serving: new Set() });
  }

  /** The host died: calls it was serving break ('closed' to their callers). */
  hostDown(address: string): void {
    const l = this.listeners.get(address);
    if (l) {
      this.listeners.delete(address);
      for (const fail of [...l.serving]) fail();
    }
    this.raft.delete(address);
  }

  // ---- Raft ----

  raftTransport(address: string, life: HostLife): Transport {
    const endpoint: RaftEndpoint = { life, handler: null };
    this.raft.set(address, endpoint);
    const net = this;
    return {
      localAddress: address,
      setHandler(handler: TransportHandler): void {
        endpoint.handler = handler;
      },
      send(to: string, message: Message): void {
        if (life.isAlive) net.sendRaft(address, to, message);
      },
      sendSnapshot(to: string, request: SnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
        return net.sendSnapshot(address, life, to, request, data);
      },
      async close(): Promise<void> {
        if (net.raft.get(address) === endpoint) net.raft.delete(address);
      },
    };
  }

  private liveRaft(address: string): RaftEndpoint | null {
    const e = this.raft.get(address);
    return e && e.life.isAlive && e.handler ? e : null;
  }

  private sendRaft(from: string, to: string, message: Message): void {
    this.stats.raftSent++;
    if (this.isBlocked(from, to) || this.rng.chance(this.faults.dropRate)) {
      this.stats.raftDropped++;
      return;
    }
    const bytes = encodeMsgpack(message).slice();
    const copies = this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.loop.after(this.delayMs(), () => {
        const target = this.liveRaft(to);
        // A partition that formed while the message travelled drops it too.
        if (!target || this.isBlocked(from, to)) {
          this.stats.raftDropped++;
          return;
        }
        target.handler!.onMessage(decodeMsgpack<Message>(bytes), from);
      });
    }
  }

  private async sendSnapshot(from: string, life: HostLife, to: string, request: SnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
    const chunks: Uint8Array[] = [];
    for await (const c of data) chunks.push(c.slice());
    const lost = this.isBlocked(from, to) || this.rng.chance(this.faults.dropRate);
    await new Promise<void>((resolve) => life.after(this.delayMs() + (lost ? CONNECT_TIMEOUT_MS : 0), resolve));
    const target = this.liveRaft(to);
    if (lost || !target || this.isBlocked(from, to)) throw new SimRpcError('connect', `snapshot to ${to}: unreachable`);
    await target.handler!.onSnapshot(
      overWire(request),
      (async function* () {
        yield* chunks;
      })(),
      from,
    );
  }

  // ---- RPC ----

  /**
   * Calls `method` on the host at `to`; resolves with its answer or rejects with its error (a
   * NomadError) or a transport failure (SimRpcError). Only a live caller hears the outcome.
   */
  call(from: string, life: HostLife, to: string, method: string, args: unknown, timeoutMs: number): Promise<unknown> {
    this.stats.rpcCalls++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled || !life.isAlive) return;
        settled = true;
        life.clearTimeout(timer);
        if (!(outcome === null)) this.stats.rpcFailed++;
        fn();
      };
      let outcome: Error | null = null;
      const fail = (e: Error): void => {
        outcome = e;
        settle(() => reject(e));
      };
      const timer = life.setTimeout(() => fail(new SimRpcError('timeout', `${method} to ${to}: timed out after ${timeoutMs}ms`)), timeoutMs);
      if (this.isBlocked(from, to) || this.isBlocked(to, from)) {
        // A new connection fails to open; a pooled one carries the request into the void.
        if (this.rng.chance(0.5)) life.after(Math.min(timeoutMs, CONNECT_TIMEOUT_MS), () => fail(new SimRpcError('connect', `${method} to ${to}: connect timeout`)));
        return;
      }
      const listener = this.listeners.get(to);
      if (!listener || !listener.life.isAlive) {
        life.after(this.delayMs() * 2, () => fail(new SimRpcError('connect', `${method} to ${to}: connection refused`)));
        return;
      }
      const request = encodeMsgpack(args).slice();
      this.loop.after(this.streamDelayMs(), () => {
        if (!listener.life.isAlive || this.listeners.get(to) !== listener) {
          life.after(this.delayMs(), () => fail(new SimRpcError('closed', `${method} to ${to}: connection reset`)));
          return;
        }
        if (this.isBlocked(from, to)) return;
        const handler = listener.handlers[method];
        if (!handler) {
          life.after(this.delayMs(), () => fail(new SimRpcError('unknown_method', `${method}: no such method on ${to}`)));
          return;
        }
        const broken = (): void => {
          life.after(this.delayMs(), () => fail(new SimRpcError('closed', `${method} to ${to}: connection closed`)));
        };
        listener.serving.add(broken);
        const answer = (ok: boolean, value: unknown): void => {
          if (!listener.serving.delete(broken) || !listener.life.isAlive) return;
          if (this.isBlocked(to, from)) return; // answer lost: the caller times out
          let bytes: Uint8Array | null = null;
          let err: Error | null = null;
          if (ok) bytes = encodeMsgpack(value ?? null).slice();
          else err = errorOverWire(value);
          this.loop.after(this.streamDelayMs(), () => {
            if (err) fail(err);
            else settle(() => resolve(decodeMsgpack(bytes!)));
          });
        };
        let pending: Promise<unknown>;
        try {
          pending = handler(decodeMsgpack(request));
        } catch (e) {
          pending = Promise.reject(e);
        }
        pending.then(
          (v) => answer(true, v),
          (e) => answer(false, e),
        );
      });
    });
  }
}
