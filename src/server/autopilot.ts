// Autopilot (a leader duty): keeps the Raft configuration in step with the servers of the gossip
// pool. A server that joins is added as a non-voter and promoted to voter once it has been
// healthy for server_stabilization_time; a server that left gracefully (or was force-left) is
// removed; with cleanup_dead_servers, failed servers are removed too, but never so many that the
// healthy voters left could not form a quorum, and never below min_quorum. It also computes the
// health that /v1/operator/autopilot/health reports.
import { noMetrics, type Metrics } from '../structs/metrics.js';
import { type Clock, type TimerHandle } from '../structs/clock.js';
import type { OperatorHealthReply, ServerHealth } from '../structs/operator.js';
import { NS_PER_MS, rfc3339Seconds } from '../structs/time.js';
import type { AutopilotConfiguration, StateStoreView } from '../state/reader.js';
import type { ClusterConsensus } from './consensus.js';
import type { Logger } from './logger.js';
import type { ServerMember, ServerMembership } from './server-members.js';

export interface AutopilotOptions {
  region: string;
  selfId: string;
  membership: ServerMembership;
  consensus: ClusterConsensus;
  store: StateStoreView;
  clock: Clock;
  logger: Logger;
  /** How often the configuration is reconciled besides membership changes. */
  intervalMs?: number;
  /** Each pass is timed as Nomad's leader times reconciling serf members with Raft (nomad.leader.reconcile). */
  metrics?: Metrics;
}

function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${Math.round(ms * 1000) / 1000}ms`;
  return `${Math.round(ms) / 1000}s`;
}

/** The health of a server that is a cluster of one (dev mode): itself, leader and healthy. */
export function singleServerHealth(self: { id: string; name: string; address: string; version: string; lastLog: { index: number; term: number }; sinceMs: number }): OperatorHealthReply {
  return {
    Healthy: true,
    FailureTolerance: 0,
    Servers: [
      {
        ID: self.id,
        Name: self.name,
        Address: self.address,
        SerfStatus: 'alive',
        Version: self.version,
        Leader: true,
        LastContact: '0s',
        LastTerm: self.lastLog.term,
        LastIndex: self.lastLog.index,
        Healthy: true,
        Voter: true,
        StableSince: rfc3339Seconds(self.sinceMs),
      },
    ],
  };
}

export class Autopilot {
  private running = false;
  private timer: TimerHandle | null = null;
  private stopWatching: (() => void) | null = null;
  private reconciling: Promise<void> | null = null;
  private again = false;
  private readonly warned = new Set<string>();
  /** When each server last turned healthy (cleared when it turns unhealthy). */
  private readonly healthySinceMs = new Map<string, number>();

  constructor(private readonly opts: AutopilotOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.healthySinceMs.clear();
    this.stopWatching = this.opts.membership.onChange(() => this.kick());
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopWatching?.();
    this.stopWatching = null;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.reconciling;
  }

  /** Reconciles now (or right after the pass in progress). */
  kick(): void {
    if (!this.running) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.opts.clock.clearTimeout(this.timer);
    const metrics = this.opts.metrics ?? noMetrics;
    const start = metrics.now();
    this.reconciling = this.reconcile()
      .then(() => metrics.measureSince('nomad.leader.reconcile', start))
      .catch((e: Error) => this.opts.logger.warn('autopilot: reconcile failed', { error: e.message }))
      .finally(() => {
        this.reconciling = null;
        if (!this.running) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.timer = this.opts.clock.setTimeout(() => this.kick(), this.opts.intervalMs ?? 1_000);
      });
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.error(message);
  }

  private config(): AutopilotConfiguration {
    return this.opts.store.snapshot().autopilotConfig();
  }

  private regionMembers(): Map<string, ServerMember> {
    const out = new Map<string, ServerMember>();
    const duplicated = new Set<string>();
    for (const m of this.opts.membership.members()) {
      if (m.region !== this.opts.region || !m.id) continue;
      const other = out.get(m.id);
      // Two servers with one ID (a data_dir copied to another machine) cannot both be a peer.
      if (other && other.name !== m.name && other.status !== 'left' && m.status !== 'left') {
        duplicated.add(m.id);
        this.warnOnce(`dup:${m.id}:${m.name}`, `servers ${other.name} and ${m.name} share the server ID ${m.id} (a copied data_dir?): neither is added to the Raft peers until one of them gets its own data_dir`);
      }
      if (!other || other.status === 'left') out.set(m.id, m);
    }
    for (const id of duplicated) if (id !== this.opts.selfId) out.delete(id);
    return out;
  }

  /** One pass: at most one membership change, since Raft takes them one at a time. */
  private async reconcile(): Promise<void> {
    const { consensus, logger } = this.opts;
    if (!consensus.isLeader()) return;
    const cfg = this.config();
    const members = this.regionMembers();
    const peers = consensus.peers();
    const inConfig = new Map(peers.map((p) => [p.id, p]));
    const health = this.health(cfg);

    // Servers that left on purpose go first: they shrink the quorum they would otherwise hold.
    for (const p of peers) {
      const m = members.get(p.id);
      if (m && m.status === 'left') {
        logger.info('removing server', { server: `${m.name} (Addr: ${p.address})`, reason: 'left the cluster' });
        await consensus.removeServer(p.id);
        return;
      }
    }
    for (const m of members.values()) {
      if (m.status !== 'alive' || m.id === this.opts.selfId || inConfig.has(m.id)) continue;
      // bootstrap_expect = 1 makes a server bootstrap a cluster of its own: two of them are two
      // clusters, and joining one to the other would mix two logs.
      if (m.bootstrapExpect === 1 && [...members.values()].some((o) => o.id !== m.id && o.bootstrapExpect === 1)) {
        this.warnOnce(`bootstrap:${m.id}`, `not adding ${m.name} to the Raft peers: it and another server run with bootstrap_expect = 1, so each bootstrapped a cluster of its own; give every server the same bootstrap_expect`);
        continue;
      }
      logger.info('adding server', { server: `${m.name} (Addr: ${m.rpcAddr}) (DC: ${m.datacenter})`, as: 'non-voter' });
      await consensus.addNonVoter(m.id, m.rpcAddr);
      return;
    }
    const stableForMs = cfg.ServerStabilizationTime / NS_PER_MS;
    const now = this.opts.clock.nowMs();
    for (const h of health.Servers) {
      if (h.Voter || !h.Healthy) continue;
      const since = this.healthySinceMs.get(h.ID);
      if (since !== undefined && now - since >= stableForMs) {
        logger.info('promoting server to voter', { server: `${h.Name} (Addr: ${h.Address})` });
        await consensus.promote(h.ID);
        return;
      }
    }
    if (cfg.CleanupDeadServers) await this.removeDeadServer(cfg, health, members);
  }

  /** A failed (or unknown) server is removed if the healthy voters left still make a quorum. */
  private async removeDeadServer(cfg: AutopilotConfiguration, health: OperatorHealthReply, members: Map<string, ServerMember>): Promise<void> {
    const peers = this.opts.consensus.peers();
    const dead = peers.filter((p) => {
      // Only what the pool reports failed: a server the pool has not heard of yet (just after a
      // restart) may simply not have been gossiped about.
      return members.get(p.id)?.status === 'failed';
    });
    if (dead.length === 0) return;
    const voters = health.Servers.filter((h) => h.Voter);
    const healthyVoters = voters.filter((h) => h.Healthy).length;
    const victim = dead.find((p) => !p.voter) ?? dead[0]!;
    const votersAfter = voters.length - (victim.voter ? 1 : 0);
    if (victim.voter) {
      if (votersAfter < cfg.MinQuorum) return;
      // The remaining voters must still reach a quorum of the new configuration among the healthy.
      if (healthyVoters < Math.floor(votersAfter / 2) + 1) return;
      // Never remove half or more of the voters at once: a partition could look like death.
      if (dead.filter((d) => d.voter).length * 2 >= voters.length) return;
    }
    const name = members.get(victim.id)?.name ?? victim.id;
    this.opts.logger.info('removing server', { server: `${name} (Addr: ${victim.address})`, reason: 'failed (cleanup_dead_servers)' });
    await this.opts.consensus.removeServer(victim.id);
  }

  /** Health of every server of the configuration, as the leader sees it. */
  health(cfg: AutopilotConfiguration = this.config()): OperatorHealthReply {
    const { consensus, clock } = this.opts;
    const members = this.regionMembers();
    const now = clock.nowMs();
    const thresholdMs = cfg.LastContactThreshold / NS_PER_MS;
    const last = consensus.lastLog();
    const servers: ServerHealth[] = [];
    const self = members.get(this.opts.selfId);
    const stable = (id: string, healthy: boolean): string => {
      if (!healthy) {
        this.healthySinceMs.delete(id);
        return rfc3339Seconds(now);
      }
      if (!this.healthySinceMs.has(id)) this.healthySinceMs.set(id, now);
      return rfc3339Seconds(this.healthySinceMs.get(id)!);
    };
    servers.push({
      ID: this.opts.selfId,
      Name: self?.name ?? this.opts.selfId,
      Address: self?.rpcAddr ?? '',
      SerfStatus: self?.status ?? 'alive',
      Version: self?.build ?? '',
      Leader: true,
      LastContact: '0s',
      LastTerm: last.term,
      LastIndex: last.index,
      Healthy: true,
      Voter: true,
      StableSince: stable(this.opts.selfId, true),
    });
    for (const p of consensus.peers()) {
      const m = members.get(p.id);
      const behind = last.index - p.matchIndex;
      const healthy = (m?.status ?? 'failed') === 'alive' && p.lastContactMs !== null && p.lastContactMs <= thresholdMs && behind <= cfg.MaxTrailingLogs;
      servers.push({
        ID: p.id,
        Name: m?.name ?? p.id,
        Address: p.address,
        SerfStatus: m?.status ?? 'none',
        Version: m?.build ?? '',
        Leader: false,
        LastContact: p.lastContactMs === null ? 'never' : goDuration(p.lastContactMs),
        LastTerm: last.term,
        LastIndex: p.matchIndex,
        Healthy: healthy,
        Voter: p.voter,
        StableSince: stable(p.id, healthy),
      });
    }
    const voters = servers.filter((s) => s.Voter);
    const healthyVoters = voters.filter((s) => s.Healthy).length;
    const quorum = Math.floor(voters.length / 2) + 1;
    return {
      Healthy: servers.every((s) => s.Healthy),
      FailureTolerance: Math.max(0, healthyVoters - quorum),
      Servers: servers.sort((a, b) => a.Name.localeCompare(b.Name)),
    };
  }
}
