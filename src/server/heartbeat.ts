// Heartbeat timers: the leader expects each ready node to check in within its TTL (plus a
// grace period); a node that does not is marked down. The TTL grows with the number of nodes so
// that the servers see at most `maxHeartbeatsPerSecond` heartbeats, and a random stagger
// spreads nodes that registered together.
import { type Clock, systemClock, type TimerHandle } from '../structs/clock.js';

export interface HeartbeatOptions {
  minHeartbeatTtlMs: number;
  maxHeartbeatsPerSecond: number;
  heartbeatGraceMs: number;
  /** TTL given to every known node when a server becomes leader: time for clients to find it. */
  failoverHeartbeatTtlMs: number;
  random: () => number;
  clock: Clock;
}

export const defaultHeartbeatOptions: HeartbeatOptions = {
  minHeartbeatTtlMs: 10_000,
  maxHeartbeatsPerSecond: 50,
  heartbeatGraceMs: 10_000,
  failoverHeartbeatTtlMs: 300_000,
  random: Math.random,
  clock: systemClock,
};

export class HeartbeatTimers {
  private readonly opts: HeartbeatOptions;
  private readonly timers = new Map<string, TimerHandle>();
  private enabled = false;

  constructor(
    private readonly onExpire: (nodeId: string) => void,
    opts: Partial<HeartbeatOptions> = {},
  ) {
    this.opts = { ...defaultHeartbeatOptions, ...opts };
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    if (!on) this.clearAll();
  }

  get count(): number {
    return this.timers.size;
  }

  /** The TTL for the next heartbeat, scaled with the node count: max(min, n / rate) plus stagger. */
  computeTtlMs(): number {
    const n = Math.max(1, this.timers.size);
    const scaled = Math.max(this.opts.minHeartbeatTtlMs, (n / this.opts.maxHeartbeatsPerSecond) * 1000);
    return Math.round(scaled + this.opts.random() * scaled);
  }

  /** Restarts a node's timer; returns the TTL to hand to the client. */
  reset(nodeId: string): number {
    const ttlMs = this.computeTtlMs();
    if (this.enabled) this.arm(nodeId, ttlMs + this.opts.heartbeatGraceMs);
    return ttlMs;
  }

  /** On gaining leadership: every node that was alive gets the generous failover TTL. */
  initialize(nodeIds: Iterable<string>): void {
    if (!this.enabled) return;
    for (const id of nodeIds) this.arm(id, this.opts.failoverHeartbeatTtlMs);
  }

  clear(nodeId: string): void {
    this.opts.clock.clearTimeout(this.timers.get(nodeId));
    this.timers.delete(nodeId);
  }

  clearAll(): void {
    for (const t of this.timers.values()) this.opts.clock.clearTimeout(t);
    this.timers.clear();
  }

  private arm(nodeId: string, afterMs: number): void {
    this.opts.clock.clearTimeout(this.timers.get(nodeId));
    const t = this.opts.clock.setTimeout(() => {
      this.timers.delete(nodeId);
      if (this.enabled) this.onExpire(nodeId);
    }, afterMs);
    this.timers.set(nodeId, t);
  }
}
