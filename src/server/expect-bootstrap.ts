// bootstrap_expect: a new cluster starts once the expected number of servers of this region have
// found each other in the gossip pool. Every one of them bootstraps the same configuration (all
// of them as voters, sorted by ID), so they agree on the first leader's quorum. Never two
// clusters: a server with any Raft state never bootstraps, and before bootstrapping each peer is
// asked whether it already belongs to a cluster; if one does, this server waits to be added to
// that cluster by its leader instead.
import { type Clock, type TimerHandle } from '../structs/clock.js';
import type { ClusterConsensus } from './consensus.js';
import type { PeerRpc } from './forwarding.js';
import type { Logger } from './logger.js';
import type { ServerMember, ServerMembership } from './server-members.js';

export const STATUS_PEERS_METHOD = 'Status.Peers';
/** The first pause before asking a peer that did not answer again. */
const FIRST_RETRY_MS = 100;

/** What a server answers to Status.Peers: the addresses of its Raft configuration, if any. */
export interface StatusPeersReply {
  Peers: string[];
  HasState: boolean;
}

export interface ExpectBootstrapOptions {
  expect: number;
  region: string;
  selfId: string;
  membership: ServerMembership;
  consensus: ClusterConsensus;
  peers: PeerRpc;
  clock: Clock;
  logger: Logger;
  /**
   * Pause before asking the peers again after one did not answer: the first retry soon (a server
   * seen in gossip may not have its RPC handlers up yet), then doubling up to this bound.
   */
  retryMs?: number;
}

export class ExpectBootstrap {
  private done = false;
  private checking = false;
  private retryTimer: TimerHandle | null = null;
  private retryDelayMs = FIRST_RETRY_MS;
  private readonly stopWatching: () => void;

  constructor(private readonly opts: ExpectBootstrapOptions) {
    this.stopWatching = opts.membership.onChange(() => void this.check());
    if (opts.expect % 2 === 0) {
      opts.logger.warn(`bootstrap_expect is even (${opts.expect}): a cluster of an even number of servers tolerates no more failures than one server fewer`);
    }
  }

  /** Looks at the pool now (call once at start; membership changes call it again). */
  check(): Promise<void> {
    if (this.done || this.checking) return Promise.resolve();
    this.checking = true;
    return this.attempt()
      .catch((e: Error) => this.opts.logger.error('bootstrap attempt failed', { error: e.message }))
      .finally(() => {
        this.checking = false;
      });
  }

  stop(): void {
    this.done = true;
    this.stopWatching();
    this.opts.clock.clearTimeout(this.retryTimer);
  }

  private async attempt(): Promise<void> {
    const { consensus, logger } = this.opts;
    if (consensus.hasExistingState()) {
      logger.info('server has existing Raft state: not bootstrapping');
      this.stop();
      return;
    }
    const servers = this.candidates();
    if (servers.length < this.opts.expect) return;
    const conflicting = servers.find((s) => s.bootstrapExpect !== this.opts.expect);
    if (conflicting) {
      logger.error(`member ${conflicting.name} has bootstrap_expect ${conflicting.bootstrapExpect}, this server ${this.opts.expect}: not bootstrapping until they agree`);
      return;
    }
    for (const s of servers) {
      if (s.id === this.opts.selfId) continue;
      let reply: StatusPeersReply;
      try {
        reply = await this.opts.peers.call<StatusPeersReply>(s.rpcAddr, STATUS_PEERS_METHOD, {}, { timeoutMs: 5_000 });
      } catch (e) {
        logger.warn(`bootstrap: could not ask ${s.name} (${s.rpcAddr}) for its peers; trying again`, { error: (e as Error).message });
        this.retryLater();
        return;
      }
      if (reply.HasState || reply.Peers.length > 0) {
        logger.info(`bootstrap: ${s.name} already belongs to a cluster (peers ${reply.Peers.join(', ') || 'none'}); waiting to be added to it`);
        this.stop();
        return;
      }
    }
    if (consensus.hasExistingState()) return this.stop();
    const config = servers.map((s) => ({ id: s.id, address: s.rpcAddr })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    logger.info(`found expected number of peers, attempting to bootstrap cluster...`, { peers: config.map((c) => c.address).join(',') });
    this.stop();
    await consensus.bootstrap(config);
  }

  /** Alive servers of this region, this one included; none while two of them share an ID. */
  private candidates(): ServerMember[] {
    const byId = new Map<string, ServerMember>();
    for (const m of this.opts.membership.members()) {
      if (m.region !== this.opts.region || m.status !== 'alive' || !m.id) continue;
      const other = byId.get(m.id);
      if (other && other.name !== m.name) {
        this.opts.logger.error(`servers ${other.name} and ${m.name} share the server ID ${m.id} (a copied data_dir?): not bootstrapping`);
        return [];
      }
      byId.set(m.id, m);
    }
    return [...byId.values()];
  }

  private retryLater(): void {
    this.opts.clock.clearTimeout(this.retryTimer);
    const maxMs = this.opts.retryMs ?? 1_000;
    const delayMs = Math.min(this.retryDelayMs, maxMs);
    this.retryDelayMs = Math.min(delayMs * 2, maxMs);
    this.retryTimer = this.opts.clock.setTimeout(() => void this.check(), delayMs);
  }
}
