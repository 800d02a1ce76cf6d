// The server's membership in the servers' gossip pool (Nomad's serf LAN pool): the gossip agent
// on the serf address, Nomad's tags and member name, Serf-style log lines for membership events,
// and the shapes /v1/agent/members, /v1/agent/self and the keyring endpoints answer with.
import { GossipAgent, toNomadStatus, type Member } from '../gossip/index.js';
import { formatAddress } from '../gossip/types.js';
import { GossipSnapshot } from './gossip-snapshot.js';
import type { AgentMember } from '../structs/agent-member.js';
import type { KeyringOp, KeyringResponse } from '../http/agent-info.js';
import type { ResolvedAddresses } from './addresses.js';
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';
import { memberName, serverTags, splitHostPort } from './agent-self.js';
import type { ServerMember, ServerMembership } from '../server/server-members.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';

export interface ServerGossipOptions {
  config: AgentConfig;
  addrs: ResolvedAddresses;
  nodeName: string;
  serverId: string;
  /** The server's logger ("nomad"): lines read "nomad: serf: EventMemberJoin: ...". */
  logger: Logger;
  /** Where the members seen are remembered across restarts (data_dir/server/serf/snapshot); none in dev mode. */
  snapshotPath?: string | null;
  /** Serf's membership event counters (nomad.serf.member.*) and memberlist's message counts. */
  metrics?: Metrics;
}

export interface JoinResult {
  num_joined: number;
  error: string;
}

export class ServerGossip {
  /** Names removed from the view by `force-leave -prune`, until they come back alive. */
  private readonly pruned = new Set<string>();
  /** Serf's member clock moves on every membership change; here a count of events seen. */
  private memberTime = 0;
  private readonly changeListeners = new Set<() => void>();
  private snapshot: GossipSnapshot | null = null;
  /** The gossip core's message counts at the last collection, to report what happened since. */
  private reported = { alive: 0, suspect: 0, dead: 0 };

  private constructor(
    private readonly gossip: GossipAgent,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Binds the gossip sockets; joining others is left to the caller (it may take long). */
  static async start(opts: ServerGossipOptions): Promise<ServerGossip> {
    const { config: c, addrs } = opts;
    const [advIp, advPort] = splitHostPort(addrs.advertise.serf);
    const gossip = new GossipAgent({
      name: memberName(c, opts.nodeName),
      bindAddr: addrs.bindIp.serf,
      bindPort: c.ports.serf,
      advertiseAddr: advIp,
      advertisePort: Number(advPort),
      tags: serverTags(c, addrs, opts.serverId),
      ...(c.server.encrypt ? { encryptKey: c.server.encrypt } : {}),
      logger: opts.logger,
    });
    const sg = new ServerGossip(gossip, opts.logger, opts.metrics ?? noMetrics);
    if (opts.snapshotPath) sg.snapshot = GossipSnapshot.open(opts.snapshotPath, (m) => opts.logger.warn(`serf: snapshot: ${m}`));
    sg.watchEvents();
    try {
      await gossip.start();
    } catch (e) {
      await gossip.shutdown().catch(() => undefined);
      throw new Error(`Failed to start gossip on ${addrs.bindIp.serf}:${c.ports.serf}: ${(e as Error).message}`);
    }
    if (sg.snapshot) void sg.rejoinPrevious(sg.snapshot, c.server.rejoinAfterLeave);
    return sg;
  }

  /**
   * Joins the members known before a restart (in the background, as Serf does at start): a
   * server that crashed finds its pool, and its region the federation, by itself.
   */
  private async rejoinPrevious(snapshot: GossipSnapshot, rejoinAfterLeave: boolean): Promise<void> {
    const previous = snapshot.previousPool();
    if (previous.addrs.length === 0) return;
    if (previous.left && !rejoinAfterLeave) {
      this.log.info('serf: ignoring previously known members: this server left the pool gracefully (rejoin_after_leave = false)');
      return;
    }
    this.log.info(`serf: attempting re-join to previously known members: ${previous.addrs.join(', ')}`);
    try {
      const n = await this.gossip.join(previous.addrs);
      this.log.info(`serf: re-joined ${n} previously known member(s)`);
    } catch (e) {
      this.log.warn(`serf: failed to re-join any previously known member: ${(e as Error).message}`);
    }
  }

  get name(): string {
    return this.gossip.name;
  }

  members(): AgentMember[] {
    return this.gossip.members().filter((m) => !this.pruned.has(m.name)).map(toAgentMember);
  }

  /** The servers of the pool as the server layer sees them (bootstrap_expect, autopilot). */
  serverMembership(): ServerMembership {
    return {
      // A pruned server was forced out: it counts as left, so that autopilot removes it from Raft.
      members: () =>
        this.gossip
          .members()
          .filter((m) => m.tags['role'] === 'nomad')
          .map((m) => (this.pruned.has(m.name) ? { ...toServerMember(m), status: 'left' as const } : toServerMember(m))),
      onChange: (listener) => {
        this.changeListeners.add(listener);
        return () => this.changeListeners.delete(listener);
      },
    };
  }

  localMember(): AgentMember {
    return toAgentMember(this.gossip.localMember());
  }

  /** As Nomad's /v1/agent/join: never throws for a failed join, the error travels in the answer. */
  async join(addrs: string[]): Promise<JoinResult> {
    try {
      const n = await this.gossip.join(addrs);
      return { num_joined: n, error: '' };
    } catch (e) {
      return { num_joined: 0, error: (e as Error).message };
    }
  }

  /** Throws when no address answered: for start-up and retry joins. */
  joinOrThrow(addrs: string[]): Promise<number> {
    return this.gossip.join(addrs);
  }

  /**
   * Serf's force-leave: a failed member becomes left; with prune, a failed, leaving or left member
   * disappears from this agent's view. Unknown or alive members are left alone without an error,
   * as Serf does (an alive member would refute the accusation anyway).
   */
  forceLeave(node: string, prune: boolean): void {
    const m = this.gossip.members().find((x) => x.name === node);
    if (m === undefined) {
      this.log.debug(`serf: force-leave of unknown member ${node} ignored`);
      return;
    }
    const status = toNomadStatus(m.status);
    if (status === 'failed') this.gossip.forceLeave(node);
    if (prune && status !== 'alive') {
      this.pruned.add(node);
      this.log.info(`serf: EventMemberReap (forced): ${node} ${m.addr}`);
    }
  }

  /** The "serf" section of /v1/agent/self, with Serf's keys. */
  stats(): Record<string, string> {
    const s = this.gossip.stats();
    const visible = this.gossip.members().filter((m) => !this.pruned.has(m.name));
    const count = (st: string): number => visible.filter((m) => toNomadStatus(m.status) === st).length;
    return {
      coordinate_resets: '0',
      encrypted: String(s.encrypted),
      event_queue: '0',
      event_time: '1',
      failed: String(count('failed')),
      health_score: String(s.healthScore),
      intent_queue: '0',
      left: String(count('left')),
      member_time: String(Math.max(1, this.memberTime)),
      members: String(visible.length),
      query_queue: '0',
      query_time: '1',
    };
  }

  /** The local keyring. Nomad asks every member through Serf queries; this answers for itself. */
  keyring(op: KeyringOp, key: string): KeyringResponse {
    const ring = this.gossip.keyring;
    if (op === 'install') ring.install(key);
    else if (op === 'use') ring.use(key);
    else if (op === 'remove') ring.remove(key);
    const keys: Record<string, number> = {};
    if (op === 'list') for (const k of ring.list().keys) keys[k] = 1;
    return { Messages: {}, Keys: keys, NumNodes: 1 };
  }

  /** Graceful leave: the others see this server `left`. Bounded by the library. */
  async leave(): Promise<void> {
    this.log.info('serf: leaving the gossip pool');
    this.snapshot?.leaving();
    await this.gossip.leave();
  }

  async shutdown(): Promise<void> {
    await this.gossip.shutdown();
  }

  private watchEvents(): void {
    const g = this.gossip;
    g.on('member-join', (m) => {
      // A pruned name that comes back alive is a member again.
      this.pruned.delete(m.name);
      this.logEvent('EventMemberJoin', m, 'adding server');
    });
    g.on('member-failed', (m) => this.logEvent('EventMemberFailed', m, 'removing server'));
    g.on('member-leave', (m) => this.logEvent('EventMemberLeave', m, 'removing server'));
    g.on('member-update', (m) => this.logEvent('EventMemberUpdate', m, null));
    g.on('member-reap', (m) => {
      this.pruned.delete(m.name);
      this.logEvent('EventMemberReap', m, null);
    });
  }

  /** memberlist's message counters: what the gossip core handled since the last collection. */
  emitMetrics(): void {
    const c = this.gossip.stats().core;
    const now = { alive: c.aliveMessages, suspect: c.suspectMessages, dead: c.deadMessages };
    for (const kind of ['alive', 'suspect', 'dead'] as const) {
      const delta = now[kind] - this.reported[kind];
      if (delta > 0) this.metrics.incrCounter(`memberlist.msg.${kind}`, delta);
    }
    this.reported = now;
  }

  /** Serf's line for the event, then the server's own view of it, as Nomad logs both. */
  private logEvent(kind: string, m: Member, serverLine: string | null): void {
    this.memberTime++;
    if (this.snapshot && m.name !== this.gossip.name) {
      if (toNomadStatus(m.status) === 'alive') this.snapshot.alive(m.name, formatAddress(m));
      else this.snapshot.gone(m.name);
    }
    const counter = SERF_EVENT_COUNTERS[kind];
    if (counter) this.metrics.incrCounter(counter);
    this.log.info(`serf: ${kind}: ${m.name} ${m.addr}`);
    if (serverLine !== null && m.tags['role'] === 'nomad') this.log.info(serverLine, { server: serverLabel(m) });
    for (const l of [...this.changeListeners]) {
      try {
        l();
      } catch (e) {
        this.log.error('a listener of membership changes failed', { error: (e as Error).message });
      }
    }
  }
}

/** Serf's counter of each membership event. */
const SERF_EVENT_COUNTERS: Record<string, string> = {
  EventMemberJoin: 'serf.member.join',
  EventMemberFailed: 'serf.member.failed',
  EventMemberLeave: 'serf.member.left',
  EventMemberUpdate: 'serf.member.update',
  EventMemberReap: 'serf.member.reap',
};

/** Nomad's way of naming a server in its logs: "name (Addr: ip:rpcport) (DC: dc)". */
function serverLabel(m: Member): string {
  return `${m.name} (Addr: ${m.tags['rpc_addr'] ?? m.addr}:${m.tags['port'] ?? ''}) (DC: ${m.tags['dc'] ?? ''})`;
}

function toServerMember(m: Member): ServerMember {
  const expect = Number(m.tags['expect'] ?? 0);
  return {
    name: m.name,
    id: m.tags['id'] ?? '',
    region: m.tags['region'] ?? '',
    datacenter: m.tags['dc'] ?? '',
    rpcAddr: `${m.tags['rpc_addr'] ?? m.addr}:${m.tags['port'] ?? '4647'}`,
    status: toNomadStatus(m.status),
    bootstrapExpect: Number.isFinite(expect) ? expect : 0,
    build: m.tags['build'] ?? '',
  };
}

export function toAgentMember(m: Member): AgentMember {
  return {
    Name: m.name,
    Addr: m.addr,
    Port: m.port,
    Tags: { ...m.tags },
    Status: toNomadStatus(m.status),
    ProtocolMin: m.protocolMin,
    ProtocolMax: m.protocolMax,
    ProtocolCur: m.protocolCur,
    DelegateMin: m.delegateMin,
    DelegateMax: m.delegateMax,
    DelegateCur: m.delegateCur,
  };
}
