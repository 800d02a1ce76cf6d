// Many gossip cores in one process on a simulated network and clock. Everything random comes
// from the seed, so a run replays exactly. The network models latency, per-member packet loss,
// partitions, crashed members, and TCP as reliable-but-slower under loss.

import { GossipCore, type CoreOutput } from '../../../src/gossip/core.js';
import { encodeMessage } from '../../../src/gossip/codec.js';
import { MsgType, DELEGATE_CUR, DELEGATE_MAX, DELEGATE_MIN, PROTOCOL_CUR, PROTOCOL_MAX, PROTOCOL_MIN, DEFAULT_UDP_PAYLOAD_BYTES } from '../../../src/gossip/constants.js';
import { seededRng, type Rng } from '../../../src/gossip/rng.js';
import { resolveTimings, type GossipTimings } from '../../../src/gossip/timings.js';
import type { Address, MemberEvent } from '../../../src/gossip/types.js';
import { EventQueue } from '../event-queue.js';

export interface SimOptions {
  readonly seed: number;
  readonly timings?: Partial<GossipTimings>;
  readonly minLatencyMs?: number;
  readonly maxLatencyMs?: number;
  readonly tcpFallback?: boolean;
}

export interface SimNode {
  readonly name: string;
  readonly addr: Address;
  core: GossipCore;
  up: boolean;
  /** Probability that a UDP packet to or from this member is lost. */
  lossRate: number;
  /** Members in different groups cannot reach each other. */
  group: number;
  wakeAtMs: number;
  generation: number;
}

export interface ObservedEvent {
  readonly observer: string;
  readonly event: MemberEvent;
}

/** Linux's minimum TCP retransmission timeout: the cost of each lost segment. */
const TCP_RTO_MS = 200;
const VSN = [PROTOCOL_MIN, PROTOCOL_MAX, PROTOCOL_CUR, DELEGATE_MIN, DELEGATE_MAX, DELEGATE_CUR] as const;

export class SimCluster {
  nowMs = 0;
  readonly timings: GossipTimings;
  readonly nodes = new Map<string, SimNode>();
  private readonly byAddr = new Map<string, SimNode>();
  private readonly queue = new EventQueue();
  private readonly net: Rng;
  private readonly minLatencyMs: number;
  private readonly maxLatencyMs: number;
  private readonly listeners: ((e: ObservedEvent) => void)[] = [];
  private nextIndex = 0;
  /** Probability that any UDP packet is lost, on top of per-member loss. */
  linkLossRate = 0;
  udpPackets = 0;
  udpBytes = 0;
  tcpBytes = 0;

  constructor(readonly opts: SimOptions) {
    this.timings = resolveTimings(opts.timings ?? {});
    this.net = seededRng(opts.seed ^ 0x5eed);
    this.minLatencyMs = opts.minLatencyMs ?? 1;
    this.maxLatencyMs = opts.maxLatencyMs ?? 5;
  }

  onEvent(fn: (e: ObservedEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Starts `size` members that already know each other (a converged cluster at time now). */
  bootstrap(size: number): SimNode[] {
    const created: SimNode[] = [];
    for (let i = 0; i < size; i++) created.push(this.addNode(`node-${i}`));
    const states = created.map((n) => ({ name: n.name, addr: n.addr.addr, port: n.addr.port, meta: { role: 'server' }, inc: 0, state: 'alive' as const, vsn: VSN }));
    const all = encodeMessage({ type: MsgType.PushPull, join: false, from: 'bootstrap', states });
    for (const n of created) {
      n.core.seedState(this.nowMs, all);
      this.afterInput(n);
    }
    return created;
  }

  /** A new member process: it knows only itself until it joins. */
  addNode(name: string): SimNode {
    const index = this.nextIndex++;
    const addr = { addr: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, port: 4648 };
    const node: SimNode = { name, addr, core: this.newCore(name, addr, 0), up: true, lossRate: 0, group: 0, wakeAtMs: Infinity, generation: 0 };
    this.nodes.set(name, node);
    this.byAddr.set(key(addr), node);
    this.afterInput(node);
    return node;
  }

  /** Push-pull join of `node` through the members named in `via`; calls back with the count. */
  join(node: SimNode, via: readonly string[], done?: (joined: number) => void): void {
    let pending = via.length;
    let joined = 0;
    for (const v of via) {
      const target = this.nodes.get(v);
      if (target === undefined) throw new Error(`unknown member ${v}`);
      this.tcpExchange(node, target.addr, node.core.localState(true), this.timings.tcpTimeoutMs, (answer) => {
        if (answer !== null && node.core.mergePushPull(this.nowMs, answer)) joined++;
        this.afterInput(node);
        if (--pending === 0) done?.(joined);
      });
    }
  }

  /** Crash: the member stops answering at once. */
  kill(name: string): void {
    const n = this.mustGet(name);
    n.up = false;
    n.core.stop();
    n.generation++;
  }

  /** The crashed member's process starts again, fresh, at the same address. */
  restart(name: string, via: readonly string[]): void {
    const n = this.mustGet(name);
    n.generation++;
    n.core = this.newCore(name, n.addr, n.generation);
    n.up = true;
    n.wakeAtMs = Infinity;
    this.afterInput(n);
    this.join(n, via);
  }

  /** Graceful leave, then shutdown once the rumor spread (bounded), as the agent does. */
  leave(name: string): void {
    const n = this.mustGet(name);
    n.core.leave(this.nowMs);
    this.afterInput(n);
    const gen = n.generation;
    const deadline = this.nowMs + this.timings.leavePropagateMaxMs;
    const check = (): void => {
      if (n.generation !== gen || !n.up) return;
      if (n.core.isLeavePropagated || this.nowMs >= deadline) {
        this.kill(name);
        return;
      }
      this.queue.push(this.nowMs + 50, check);
    };
    this.queue.push(this.nowMs + 50, check);
  }

  forceLeave(observer: string, target: string): boolean {
    const n = this.mustGet(observer);
    const ok = n.core.forceLeave(this.nowMs, target);
    this.afterInput(n);
    return ok;
  }

  /** Runs the simulation until `untilMs`, or until `stop` returns true (checked after each event). */
  run(untilMs: number, stop?: () => boolean): boolean {
    while (this.queue.peekMs() <= untilMs) {
      const e = this.queue.pop()!;
      this.nowMs = e.atMs;
      e.run();
      if (stop !== undefined && stop()) return true;
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
    return stop !== undefined && stop();
  }

  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  mustGet(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`unknown member ${name}`);
    return n;
  }

  // --- plumbing -----------------------------------------------------------------------------

  private newCore(name: string, addr: Address, generation: number): GossipCore {
    const index = [...this.nodes.keys()].indexOf(name);
    return new GossipCore({
      name,
      advertise: addr,
      tags: { role: 'server' },
      timings: this.timings,
      rng: seededRng((this.opts.seed * 7919 + (index < 0 ? this.nodes.size : index) * 104729 + generation * 31) >>> 0),
      startMs: this.nowMs,
      maxPacketBytes: DEFAULT_UDP_PAYLOAD_BYTES,
      tcpFallback: this.opts.tcpFallback ?? true,
    });
  }

  private afterInput(n: SimNode): void {
    if (!n.up) return;
    for (const o of n.core.drainOutputs()) this.route(n, o);
    for (const event of n.core.drainEvents()) for (const l of this.listeners) l({ observer: n.name, event });
    const d = n.core.nextDeadlineMs();
    if (d < n.wakeAtMs) {
      n.wakeAtMs = d;
      const gen = n.generation;
      this.queue.push(Math.max(d, this.nowMs), () => {
        if (n.generation !== gen || n.wakeAtMs !== d) return;
        n.wakeAtMs = Infinity;
        n.core.tick(this.nowMs);
        this.afterInput(n);
      });
    }
  }

  private latency(): number {
    return this.minLatencyMs + this.net() * (this.maxLatencyMs - this.minLatencyMs);
  }

  private reachable(from: SimNode, to: SimNode | undefined): to is SimNode {
    return to !== undefined && to.up && from.up && from.group === to.group;
  }

  private route(from: SimNode, o: CoreOutput): void {
    switch (o.kind) {
      case 'udp': {
        this.udpPackets++;
        this.udpBytes += o.bytes.length;
        const to = this.byAddr.get(key(o.to));
        if (this.net() < this.linkLossRate || this.net() < from.lossRate || (to !== undefined && this.net() < to.lossRate)) return;
        const gen = to?.generation;
        this.queue.push(this.nowMs + this.latency(), () => {
          if (!this.reachable(from, to) || to.generation !== gen) return;
          to.core.receivePacket(this.nowMs, from.addr, o.bytes);
          this.afterInput(to);
        });
        return;
      }
      case 'tcp-ping': {
        const gen = from.generation;
        this.tcpExchange(from, o.to, o.bytes, Math.max(0, o.deadlineMs - this.nowMs), (answer) => {
          if (from.generation !== gen) return;
          from.core.tcpPingResult(this.nowMs, o.seq, answer);
          this.afterInput(from);
        });
        return;
      }
      case 'push-pull': {
        const gen = from.generation;
        this.tcpExchange(from, o.to, o.bytes, this.timings.tcpTimeoutMs, (answer) => {
          if (from.generation !== gen || answer === null) return;
          from.core.mergePushPull(this.nowMs, answer);
          this.afterInput(from);
        });
        return;
      }
    }
  }

  /** A request and its answer over TCP: each lost segment costs a retransmission timeout. */
  private tcpExchange(from: SimNode, toAddr: Address, bytes: Uint8Array, timeoutMs: number, done: (answer: Uint8Array | null) => void): void {
    this.tcpBytes += bytes.length;
    const to = this.byAddr.get(key(toAddr));
    const loss = Math.max(this.linkLossRate, from.lossRate, to?.lossRate ?? 0);
    const delay = (): number => {
      let d = this.latency();
      for (let rto = TCP_RTO_MS; this.net() < loss && rto < 60_000; rto *= 2) d += rto;
      return d;
    };
    const startMs = this.nowMs;
    const there = delay();
    const back = delay();
    if (!this.reachable(from, to) || there + back > timeoutMs) {
      this.queue.push(startMs + timeoutMs, () => done(null));
      return;
    }
    const gen = to.generation;
    this.queue.push(startMs + there, () => {
      if (!this.reachable(from, to) || to.generation !== gen) {
        this.queue.push(startMs + timeoutMs, () => done(null));
        return;
      }
      const answer = to.core.handleStream(this.nowMs, bytes);
      this.afterInput(to);
      if (answer !== null) this.tcpBytes += answer.length;
      this.queue.push(this.nowMs + back, () => done(this.reachable(from, to) ? answer : null));
    });
  }
}

function key(a: Address): string {
  return `${a.addr}:${a.port}`;
}
