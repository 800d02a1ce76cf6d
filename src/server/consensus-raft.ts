// The replicated log of a server cluster: the Raft library behind the Consensus interface. Every
// server applies every committed entry to its FSM; the leader resolves its proposals with the
// FSM's result. Entries travel as log-entry-codec writes them, and decode to the values dev
// mode's single-node log hands its FSM (a msgpack round trip's), so the FSM sees the same either way.
import { NomadError } from '../structs/errors.js';
import { decodeEntry, encodeEntry, type EncodedEntry } from './log-entry-codec.js';
import type { FSM } from '../state/fsm.js';
import type { LogEntry } from '../state/log-entries.js';
import {
  LeadershipLostError,
  NotLeaderError,
  Raft,
  RaftError,
  RaftShutdownError,
  RaftTimeoutError,
  type Fsm,
  type FsmEntry,
  type FsmSnapshotData,
  type RaftClock,
  type RaftEvent,
  type RaftMetricsSink,
  type RaftStores,
  type ServerConfig,
  type Transport,
} from '../raft/index.js';
import type { ApplyResult, ClusterConsensus, ConsensusStats, PeerState } from './consensus.js';
import type { Logger } from './logger.js';

/** Nomad's raft timings at raft_multiplier 1, in our driver's ticks. */
const BASE_TICK_MS = 50;
/**
 * hashicorp/raft's HeartbeatTimeout and ElectionTimeout (1 s, which Nomad scales by
 * raft_multiplier): a follower stands for election after 1-2 s without hearing a leader.
 */
const ELECTION_TIMEOUT_TICKS = 1_000 / BASE_TICK_MS;
/** Between the servers of a new cluster standing for election in turn (see campaignAfterBootstrap). */
const CAMPAIGN_STAGGER_TICKS = 8;
/** The leader's heartbeats every tenth of the heartbeat timeout, as hashicorp/raft sends them. */
const HEARTBEAT_INTERVAL_TICKS = 100 / BASE_TICK_MS;

export interface RaftConsensusOptions {
  fsm: FSM;
  /** This server's Raft ID (its UUID, kept in data_dir/server/node-id). */
  serverId: string;
  transport: Transport;
  stores: RaftStores;
  logger: Logger;
  /** Scales every Raft timing, as Nomad's raft_multiplier (1 to 10). */
  raftMultiplier?: number;
  /** Entries applied since the last snapshot before the next is taken (raft_snapshot_threshold). */
  snapshotThresholdEntries?: number;
  /** How often the threshold is checked even when nothing is proposed (raft_snapshot_interval). */
  snapshotIntervalMs?: number;
  /** Entries kept in the log behind a snapshot (raft_trailing_logs). */
  trailingLogs?: number;
  /** Bytes of entries applied since the last snapshot before the next is taken (the Raft library's default otherwise). */
  snapshotThresholdBytes?: number;
  /** Bytes of entries kept in the log behind a snapshot at most (the Raft library's default otherwise). */
  trailingLogsMaxBytes?: number;
  /** Bound of one apply or barrier. */
  applyTimeoutMs?: number;
  clock?: RaftClock;
  randomSeed?: number;
  /** Where the driver's raft.* metrics go (the agent's registry satisfies the driver's sink). */
  metrics?: RaftMetricsSink;
}

function raftMultiplier(opts: RaftConsensusOptions): number {
  return Math.max(1, Math.min(10, Math.round(opts.raftMultiplier ?? 1)));
}

/**
 * The leader's own proposals, by the very bytes it proposed: a plain copy of each entry, taken
 * when proposed, as decoding the bytes would give it. The leader applies the copy instead of
 * decoding what it has just encoded (a copy costs a fraction of a decode). An entry whose bytes
 * are not these (another leader's, or read back from disk) is decoded as on any server.
 */
type OwnProposals = WeakMap<Uint8Array, LogEntry>;

/** What the raft library sees of the state: encoded entries in (log-entry-codec), the FSM's results out. */
function raftFsm(fsm: FSM, logger: Logger, defer: (fn: () => void) => void, own: OwnProposals): Fsm {
  return {
    apply(e: FsmEntry): unknown {
      let entry: LogEntry;
      const proposed = own.get(e.data);
      if (proposed !== undefined) {
        own.delete(e.data);
        entry = proposed;
      } else {
        try {
          entry = decodeEntry(e.data);
        } catch (err) {
          throw new NomadError('internal', `log entry at index ${e.index} cannot be decoded: ${(err as Error).message}`);
        }
      }
      try {
        return fsm.apply(e.index, entry);
      } catch (err) {
        // Every server refuses the entry alike and the state is unchanged; only the proposer reports it.
        if (!(err instanceof NomadError)) logger.error('applying a log entry failed', { index: e.index, type: entry.Type, error: (err as Error).message });
        throw err;
      }
    },
    snapshot(): FsmSnapshotData {
      // Capturing is O(1) (persistent tables): applies go on while the bytes are produced, a chunk
      // at a time, the event loop turning between chunks (the driver writes each before the next).
      const captured = fsm.captureSnapshot();
      return (async function* () {
        for (const chunk of captured.chunks()) {
          yield chunk;
          await new Promise<void>((resolve) => defer(resolve));
        }
      })();
    },
    restore(data: Uint8Array): Promise<void> {
      // The driver applies nothing while this runs; the event loop turns between chunks so that
      // heartbeats and RPC are answered while a large state loads.
      return fsm.restorePausing(data, () => new Promise<void>((resolve) => defer(resolve)));
    },
  };
}

/** Raft's errors as the server's: "No cluster leader" for everything that means "not now, not here". */
export function toNomadError(e: unknown): unknown {
  if (e instanceof NotLeaderError || e instanceof RaftShutdownError) return new NomadError('no_leader', 'No cluster leader');
  if (e instanceof LeadershipLostError) return new NomadError('no_leader', `leadership lost while committing log: ${e.message}`);
  if (e instanceof RaftTimeoutError) return new NomadError('unavailable', `timed out enqueuing operation: ${e.message}`);
  if (e instanceof RaftError) return new NomadError(e.code === 'RAFT_OVERLOADED' ? 'unavailable' : 'internal', e.message);
  return e;
}

export class RaftConsensus implements ClusterConsensus {
  private readonly listeners: Array<(isLeader: boolean) => void> = [];
  private leading = false;
  private readonly stopObserving: () => void;
  private snapshotTimer: unknown = null;
  private closed = false;

  private constructor(
    readonly raft: Raft,
    private readonly opts: RaftConsensusOptions,
    private readonly own: OwnProposals,
  ) {
    this.stopObserving = raft.observe((ev) => this.onRaftEvent(ev));
    this.armSnapshotTimer();
  }

  private get multiplier(): number {
    return raftMultiplier(this.opts);
  }

  static async open(opts: RaftConsensusOptions): Promise<RaftConsensus> {
    const multiplier = raftMultiplier(opts);
    const own: OwnProposals = new WeakMap();
    const raft = await Raft.create({
      id: opts.serverId,
      fsm: raftFsm(opts.fsm, opts.logger, opts.clock ? (fn) => opts.clock!.defer(fn) : (fn) => setImmediate(fn), own),
      transport: opts.transport,
      logStore: opts.stores.logStore,
      stableStore: opts.stores.stableStore,
      snapshotStore: opts.stores.snapshotStore,
      tickMs: BASE_TICK_MS * multiplier,
      electionTimeoutTicks: ELECTION_TIMEOUT_TICKS,
      heartbeatIntervalTicks: HEARTBEAT_INTERVAL_TICKS,
      snapshotThresholdEntries: opts.snapshotThresholdEntries ?? 8192,
      trailingLogs: opts.trailingLogs ?? 10_240,
      ...(opts.snapshotThresholdBytes !== undefined ? { snapshotThresholdBytes: opts.snapshotThresholdBytes } : {}),
      ...(opts.trailingLogsMaxBytes !== undefined ? { trailingLogsMaxBytes: opts.trailingLogsMaxBytes } : {}),
      defaultTimeoutMs: opts.applyTimeoutMs ?? 30_000,
      logger: (level, message) => opts.logger[level](`raft: ${message}`),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.randomSeed !== undefined ? { randomSeed: opts.randomSeed } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    return new RaftConsensus(raft, opts, own);
  }

  private get clock(): RaftClock | null {
    return this.opts.clock ?? null;
  }

  /**
   * raft_snapshot_interval: how often the thresholds are checked again, as hashicorp/raft does.
   * They are also checked as entries are applied; this check retries after a snapshot that
   * failed. It never snapshots below them: forced every 120 s, a state of a million allocations
   * cost every server seconds of CPU each time, all at once.
   */
  private armSnapshotTimer(): void {
    const everyMs = this.opts.snapshotIntervalMs ?? 120_000;
    const fire = (): void => {
      if (this.closed) return;
      this.raft.snapshotIfDue();
      this.armSnapshotTimer();
    };
    const c = this.clock;
    if (c) this.snapshotTimer = c.setTimeout(fire, everyMs);
    else {
      const t = setTimeout(fire, everyMs);
      t.unref();
      this.snapshotTimer = t;
    }
  }

  private onRaftEvent(ev: RaftEvent): void {
    const log = this.opts.logger;
    switch (ev.type) {
      case 'state': {
        log.info(`raft: entering ${ev.state.toLowerCase()} state`, { term: ev.term });
        const leading = ev.state === 'Leader';
        if (leading !== this.leading) {
          this.leading = leading;
          if (leading) log.info('raft: election won', { term: ev.term });
          for (const l of this.listeners.slice()) this.call(l, leading);
        }
        break;
      }
      case 'leader':
        if (ev.leader.id) log.info('raft: leader elected', { leader_id: ev.leader.id, leader_address: ev.leader.address ?? '', term: ev.leader.term });
        break;
      case 'configuration':
        log.info('raft: peer set updated', { index: ev.index, servers: ev.configuration.servers.map((s) => `${s.id}@${s.address}(${s.suffrage})`).join(' ') });
        break;
      case 'snapshot':
        log.info(ev.installed ? 'raft: snapshot installed from the leader' : 'raft: snapshot complete', { index: ev.meta.index, term: ev.meta.term });
        break;
    }
  }

  private call(l: (isLeader: boolean) => void, isLeader: boolean): void {
    try {
      l(isLeader);
    } catch (e) {
      this.opts.logger.error('leadership listener failed', { error: (e as Error).message });
    }
  }

  async apply(entry: LogEntry): Promise<ApplyResult> {
    if (!this.raft.isLeader()) throw new NomadError('no_leader', 'No cluster leader');
    let encoded: EncodedEntry;
    try {
      // The copy is taken now: the caller may change its objects once this returns.
      encoded = encodeEntry(entry);
    } catch (err) {
      throw new NomadError('bad_request', `log entry of type ${String(entry?.Type)} cannot be encoded: ${(err as Error).message}`);
    }
    if (encoded.decoded !== null) this.own.set(encoded.bytes, encoded.decoded);
    try {
      return await this.raft.apply(encoded.bytes);
    } catch (e) {
      throw toNomadError(e);
    }
  }

  isLeader(): boolean {
    return this.raft.isLeader();
  }

  leaderAddr(): string {
    const l = this.raft.leader();
    return l.id ? (l.address ?? '') : '';
  }

  leaderId(): string {
    return this.raft.leader().id ?? '';
  }

  onLeadershipChange(listener: (isLeader: boolean) => void): void {
    this.listeners.push(listener);
  }

  async barrier(): Promise<number> {
    try {
      return await this.raft.barrier();
    } catch (e) {
      throw toNomadError(e);
    }
  }

  /** On the leader: an index that, once applied, makes a read see every write acknowledged before. */
  async readIndex(timeoutMs?: number): Promise<number> {
    try {
      return await this.raft.readIndex(timeoutMs);
    } catch (e) {
      throw toNomadError(e);
    }
  }

  async captureState(barrier: boolean): Promise<{ index: number; term: number; data: Uint8Array }> {
    if (barrier) await this.barrier();
    // Both in one turn: no entry is applied between reading the position and capturing the state.
    const position = this.raft.appliedPosition();
    const captured = this.opts.fsm.captureSnapshot();
    return { index: position.index, term: position.term, data: captured.encode() };
  }

  async restoreState(data: Uint8Array, minIndex: number): Promise<number> {
    if (!this.raft.isLeader()) throw new NomadError('no_leader', 'No cluster leader');
    // Raft hands the bytes to the state machine of every server: they must be good here first.
    this.opts.fsm.checkSnapshot(data);
    try {
      return (await this.raft.restore(data, minIndex, this.opts.applyTimeoutMs ?? 30_000)).index;
    } catch (e) {
      throw toNomadError(e);
    }
  }

  lastContactMs(): number {
    if (this.raft.isLeader()) return 0;
    return Math.round(this.raft.lastContactMs() ?? 0);
  }

  stats(): ConsensusStats {
    const s = this.raft.stats();
    const lastContactMs = this.raft.lastContactMs();
    const config = this.raft.configuration();
    const state = this.raft.state();
    return {
      state,
      term: Number(s.term),
      appliedIndex: Number(s.applied_index),
      commitIndex: Number(s.commit_index),
      lastLogIndex: Number(s.last_log_index),
      lastLogTerm: Number(s.last_log_term),
      lastContactMs: state === 'Leader' ? 0 : Math.round(lastContactMs ?? 0),
      numPeers: Number(s.num_peers),
      configuration: config.servers.map((c) => ({ ID: c.id, Address: c.address, Voter: c.suffrage === 'voter' })),
      lastSnapshotIndex: Number(s.last_snapshot_index),
      lastSnapshotTerm: Number(s.last_snapshot_term),
      fsmPending: Number(s.fsm_pending),
      configurationIndex: config.index,
      lastContactKnown: lastContactMs !== null || state === 'Leader',
    };
  }

  /** True once this server has a term, a log or a snapshot: it must never bootstrap again. */
  hasExistingState(): boolean {
    return this.raft.hasExistingState();
  }

  get serverId(): string {
    return this.raft.id;
  }

  async bootstrap(servers: Array<{ id: string; address: string }>): Promise<void> {
    const config: ServerConfig[] = servers.map((s) => ({ id: s.id, address: s.address, suffrage: 'voter' }));
    try {
      await this.raft.bootstrap(config);
    } catch (e) {
      throw toNomadError(e);
    }
    this.campaignAfterBootstrap(config.map((s) => s.id));
  }

  /**
   * Every server of a new cluster bootstraps the same list. Rather than all waiting an election
   * timeout (1-2 s), they stand for election in the order of their IDs, a few heartbeats apart:
   * the lowest at once, the next only if no leader is known by then (the lowest may have found
   * the cluster bootstrapped by another and not bootstrapped itself), and so on; votes never split
   * between two servers that started together.
   */
  private campaignAfterBootstrap(ids: string[]): void {
    const rank = [...ids].sort().indexOf(this.raft.id);
    if (rank < 0) return;
    const stand = (): void => {
      if (!this.closed && this.raft.campaign()) this.opts.logger.info('raft: new cluster: standing for election without waiting for a timeout', { rank });
    };
    if (rank === 0) stand();
    else this.later(stand, rank * CAMPAIGN_STAGGER_TICKS * BASE_TICK_MS * this.multiplier);
  }

  private later(fn: () => void, delayMs: number): void {
    const c = this.clock;
    if (c) c.setTimeout(fn, delayMs);
    else setTimeout(fn, delayMs).unref();
  }

  peers(): PeerState[] {
    return this.raft.peers().map((p) => ({ id: p.id, address: p.address, voter: p.suffrage === 'voter', matchIndex: p.matchIndex, lastContactMs: p.lastContactMs }));
  }

  lastLog(): { index: number; term: number } {
    return this.raft.lastLog();
  }

  async addNonVoter(id: string, address: string): Promise<void> {
    await this.membership(() => this.raft.addNonVoter(id, address));
  }

  async promote(id: string): Promise<void> {
    await this.membership(() => this.raft.promote(id));
  }

  async removeServer(id: string): Promise<void> {
    await this.membership(() => this.raft.removeServer(id));
  }

  async transferLeadership(): Promise<void> {
    await this.membership(() => this.raft.transferLeadership());
  }

  private async membership(change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (e) {
      throw toNomadError(e);
    }
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = this.clock;
    if (c) c.clearTimeout(this.snapshotTimer);
    else clearTimeout(this.snapshotTimer as NodeJS.Timeout);
    const wasLeader = this.leading;
    this.leading = false;
    this.stopObserving();
    await this.raft.shutdown();
    if (wasLeader) for (const l of this.listeners.slice()) this.call(l, false);
  }
}
