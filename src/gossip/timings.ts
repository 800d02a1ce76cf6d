// Protocol timings. The defaults are memberlist's LAN profile plus Serf's reconnect/reap timers.

export interface GossipTimings {
  /** Time between failure-detector probes (before health scaling). */
  readonly probeIntervalMs: number;
  /** Time to wait for a direct ack before asking others to probe indirectly. */
  readonly probeTimeoutMs: number;
  /** Members asked to probe on our behalf when a direct probe fails. */
  readonly indirectChecks: number;
  /** Broadcast retransmits = retransmitMult * ceil(log10(n + 1)). */
  readonly retransmitMult: number;
  /** Suspicion minimum = suspicionMult * max(1, log10(n)) * probeIntervalMs. */
  readonly suspicionMult: number;
  /** Suspicion maximum = suspicionMaxTimeoutMult * minimum; confirmations shrink it toward the min. */
  readonly suspicionMaxTimeoutMult: number;
  /** Full-state TCP exchange with one random member; scaled up for large clusters. */
  readonly pushPullIntervalMs: number;
  /** Period of piggyback-only gossip of queued broadcasts. */
  readonly gossipIntervalMs: number;
  /** Members each gossip round sends to. */
  readonly gossipNodes: number;
  /** How long a dead member still receives gossip so that it can learn it must refute. */
  readonly gossipToTheDeadMs: number;
  /** Local health multiplier cap (Lifeguard): probe interval scales up to this factor. */
  readonly awarenessMaxMultiplier: number;
  /** How often a random failed member is tried again (Serf reconnect). */
  readonly reconnectIntervalMs: number;
  /** A failed member is reaped after this long (Serf reconnect timeout). */
  readonly reconnectTimeoutMs: number;
  /** A left member is reaped after this long (Serf tombstone timeout). */
  readonly tombstoneTimeoutMs: number;
  /** How often reaping runs. */
  readonly reapIntervalMs: number;
  /** After this long a dead member's name may be claimed by a new address. */
  readonly deadNodeReclaimMs: number;
  /** Bound on any TCP exchange (connect + request + response). */
  readonly tcpTimeoutMs: number;
  /** Bound on the wait for a graceful leave to spread before returning. */
  readonly leavePropagateMaxMs: number;
}

const HOUR_MS = 3_600_000;

export const LAN_TIMINGS: GossipTimings = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  awarenessMaxMultiplier: 8,
  reconnectIntervalMs: 30_000,
  reconnectTimeoutMs: 24 * HOUR_MS,
  tombstoneTimeoutMs: 24 * HOUR_MS,
  reapIntervalMs: 15_000,
  deadNodeReclaimMs: 30_000,
  tcpTimeoutMs: 10_000,
  leavePropagateMaxMs: 5_000,
});

export const WAN_TIMINGS: GossipTimings = Object.freeze({
  ...LAN_TIMINGS,
  probeIntervalMs: 5000,
  probeTimeoutMs: 3000,
  suspicionMult: 6,
  pushPullIntervalMs: 60_000,
  gossipIntervalMs: 500,
  gossipNodes: 4,
  gossipToTheDeadMs: 60_000,
  tcpTimeoutMs: 30_000,
});

export const LOCAL_TIMINGS: GossipTimings = Object.freeze({
  ...LAN_TIMINGS,
  probeTimeoutMs: 200,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  gossipIntervalMs: 100,
  gossipToTheDeadMs: 15_000,
  tcpTimeoutMs: 1000,
});

export type TimingsProfile = 'lan' | 'wan' | 'local';

/** Merges overrides onto a profile and rejects values the protocol cannot work with. */
export function resolveTimings(overrides: Partial<GossipTimings> = {}, profile: TimingsProfile = 'lan'): GossipTimings {
  const base = profile === 'wan' ? WAN_TIMINGS : profile === 'local' ? LOCAL_TIMINGS : LAN_TIMINGS;
  const t: GossipTimings = { ...base, ...overrides };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(t)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) problems.push(`${key} must be a finite number >= 0`);
  }
  if (t.probeIntervalMs <= 0) problems.push('probeIntervalMs must be > 0');
  if (t.gossipIntervalMs <= 0) problems.push('gossipIntervalMs must be > 0');
  if (t.probeTimeoutMs >= t.probeIntervalMs) problems.push('probeTimeoutMs must be below probeIntervalMs');
  if (t.suspicionMult < 1) problems.push('suspicionMult must be >= 1');
  if (t.suspicionMaxTimeoutMult < 1) problems.push('suspicionMaxTimeoutMult must be >= 1');
  if (t.awarenessMaxMultiplier < 1) problems.push('awarenessMaxMultiplier must be >= 1');
  if (t.retransmitMult < 1) problems.push('retransmitMult must be >= 1');
  if (problems.length > 0) throw new RangeError(`invalid gossip timings: ${problems.join('; ')}`);
  return Object.freeze(t);
}
