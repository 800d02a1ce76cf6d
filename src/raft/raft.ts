// The driver: owns the core, the stores, the transport and the FSM, and turns
// the core's Ready batches into I/O in the order Raft requires: a received
// snapshot first, then term/vote and entries made durable, then messages sent,
// then committed entries applied to the FSM, in order, exactly once.
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeConfiguration, findServer, validateConfiguration, voters } from './configuration.js';
import type { MembershipChange } from './configuration.js';
import { DEFAULT_CORE_OPTIONS, RaftCore } from './core.js';
import type { ProposeResult } from './core.js';
import { LeadershipLostError, NotLeaderError, RaftError, RaftShutdownError, RaftTimeoutError } from './errors.js';
import type { Fsm } from './fsm.js';
import { invariant } from './invariant.js';
import { NO_RAFT_METRICS, Summary } from './metrics.js';
import type { RaftMetrics, RaftMetricsSink } from './metrics.js';
import type { Ready } from './ready.js';
import { SeededRng } from './rng.js';
import type { LogStore, SnapshotSink, SnapshotStore, StableStore } from './storage/types.js';
import type { Transport, TransportHandler } from './transport/types.js';
import type { Configuration, Entry, HardState, Message, RoleName, ServerConfig, ServerId, SnapshotMeta, SnapshotRequest } from './types.js';
import { EntryKind } from './types.js';

/**
 * Time as the driver sees it: the process's monotonic clock and timers by default; a simulation
 * passes its own so that a whole cluster runs on one seeded clock.
 */
export interface RaftClock {
  /** Milliseconds on a clock that never goes back. */
  nowMs(): number;
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `fn` on the next turn, after the work in progress (batches proposals of one turn). */
  defer(fn: () => void): void;
}

export const processClock: RaftClock = {
  nowMs: () => performance.now(),
  setTimeout: (fn, delayMs) => {
    const t = setTimeout(fn, delayMs);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (fn) => {
    setImmediate(fn);
  },
};

export interface RaftLogger {
  (level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface RaftOptions {
  readonly id: ServerId;
  readonly fsm: Fsm;
  readonly transport: Transport;
  readonly logStore: LogStore;
  readonly stableStore: StableStore;
  readonly snapshotStore: SnapshotStore;
  /**
   * One core tick. Defaults: 50 ms ticks, a heartbeat every 2 ticks (100 ms, as
   * hashicorp/raft) and an election timeout of 16 ticks (800 ms, drawn in
   * [800, 1600) ms; hashicorp/raft uses 1 s).
   */
  readonly tickMs?: number;
  readonly heartbeatIntervalTicks?: number;
  readonly electionTimeoutTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Take a snapshot once this many entries were applied since the last one. */
  readonly snapshotThresholdEntries?: number;
  /**
   * ... or once this many bytes of entries were (256 MiB by default), or as many bytes as the last
   * snapshot holds when that is more. The log behind the last snapshot is held in memory: counted
   * in entries alone, a log of large entries (plans of a thousand allocations) would hold
   * gigabytes before a snapshot let it go. A snapshot costs in proportion to the whole state, so
   * once the state outgrows the bound, waiting for as many new bytes as the state has keeps the
   * snapshots' work a fixed share of the writes' instead of one snapshot after another.
   */
  readonly snapshotThresholdBytes?: number;
  /**
   * How far past both thresholds a server may wait, as a share of them (0.5 by default): each
   * server draws its own point in [threshold, threshold x (1 + jitter)), anew after every
   * snapshot. Servers that hold the same log would otherwise all cross a threshold at the same
   * entry and snapshot together, a cluster-wide pause in proportion to the whole state;
   * hashicorp/raft spreads them with a random delay before its check instead.
   */
  readonly snapshotThresholdJitter?: number;
  /** Entries kept in the log behind a snapshot, for followers slightly behind. At least 1. */
  readonly trailingLogs?: number;
  /** ... and at most this many bytes of them (64 MiB by default); a follower further behind gets a snapshot. */
  readonly trailingLogsMaxBytes?: number;
  readonly maxEntriesPerAppend?: number;
  readonly maxInflightAppends?: number;
  /** apply()/barrier() calls waiting for commitment beyond this are refused (overloaded). */
  readonly maxPendingApplies?: number;
  /** Default bound for apply, barrier, readIndex, membership changes and transfers. */
  readonly defaultTimeoutMs?: number;
  /** Seed for election timeouts; random by default. */
  readonly randomSeed?: number;
  readonly logger?: RaftLogger;
  readonly clock?: RaftClock;
  /** hashicorp/raft's metrics (raft.apply, raft.commitTime, raft.state.leader, ...), as they happen. */
  readonly metrics?: RaftMetricsSink;
}

export interface ApplyResult {
  readonly index: number;
  readonly result: unknown;
}

export interface LeaderInfo {
  readonly id: ServerId | null;
  readonly address: string | null;
  readonly term: number;
  readonly isSelf: boolean;
}

export type RaftState = 'Follower' | 'Candidate' | 'Leader' | 'Shutdown';

export type RaftEvent =
  | { readonly type: 'leader'; readonly leader: LeaderInfo }
  | { readonly type: 'state'; readonly state: RaftState; readonly term: number }
  | { readonly type: 'configuration'; readonly configuration: Configuration; readonly index: number }
  | { readonly type: 'snapshot'; readonly meta: SnapshotMeta; readonly installed: boolean };

export type RaftObserver = (event: RaftEvent) => void;

/** The leader's view of one other server of the configuration (autopilot's health inputs). */
export interface PeerReplication {
  readonly id: ServerId;
  readonly address: string;
  readonly suffrage: 'voter' | 'nonvoter';
  /** Highest log index known to be on that server. */
  readonly matchIndex: number;
  /** Milliseconds since it last answered this leader; null if it never did. */
  readonly lastContactMs: number | null;
}

interface PendingApply {
  readonly term: number;
  readonly proposedAtMs: number;
  readonly deadlineMs: number;
  readonly resolve: (r: ApplyResult) => void;
  readonly reject: (e: Error) => void;
}

interface Waiter {
  readonly deadlineMs: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

interface IncomingSnapshot {
  readonly meta: SnapshotMeta;
  readonly sink: SnapshotSink;
  /** A user snapshot restored through restore() on this leader. */
  readonly user?: boolean;
}

export const DEFAULT_TICK_MS = 50;
export const DEFAULT_HEARTBEAT_INTERVAL_TICKS = 2;
export const DEFAULT_ELECTION_TIMEOUT_TICKS = 16;

function isLeaderOutbound(m: Message): boolean {
  return m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' || m.type === 'timeout_now';
}

/** Mixed into randomSeed for the snapshot points, so that they do not repeat the election draws. */
const SNAPSHOT_RNG_SALT = 0x5bd1e995;

const ROLE_STATE: Record<RoleName, RaftState> = { follower: 'Follower', candidate: 'Candidate', leader: 'Leader' };

export class Raft implements TransportHandler {
  private readonly core: RaftCore;
  private readonly tickMs: number;
  private readonly snapshotThreshold: number;
  private readonly trailingLogs: number;
  private readonly snapshotThresholdBytes: number;
  private readonly trailingLogsMaxBytes: number;
  /** Payload bytes of the entries applied since the last snapshot. */
  private appliedBytesSinceSnapshot = 0;
  /** Size of the last snapshot taken, installed or recovered (0: none, or not known). */
  private lastSnapshotBytes: number;
  private readonly snapshotThresholdJitter: number;
  /** Draws this server's snapshot points (its own stream: election timing stays as seeded). */
  private readonly snapshotRng: SeededRng;
  /** The factor (1 to 1 + jitter) by which this server's next snapshot waits past the thresholds. */
  private snapshotStretch = 1;
  private readonly maxPendingApplies: number;
  private readonly defaultTimeoutMs: number;
  private readonly log: RaftLogger;

  private appliedIndex: number;
  private lastSnapshotIndex: number;
  private lastSnapshotTerm: number;
  private readonly pending = new Map<number, PendingApply>();
  private readonly reads = new Map<number, Waiter & { index: number }>();
  private readCtx = 0;
  /** Waiters for the applied index to reach a value, sorted by index. */
  private appliedWaiters: { index: number; waiter: Waiter }[] = [];
  private transferWaiters: Waiter[] = [];
  private readonly observers = new Set<RaftObserver>();
  private readonly addressBook = new Map<ServerId, string>();
  private readonly snapshotSends = new Set<ServerId>();
  private incoming: IncomingSnapshot | null = null;
  private snapshotting = false;
  /** A user snapshot is being restored: its bytes are not durable yet, so none is sent or taken. */
  private restoringUser = false;

  private loopScheduled = false;
  /** The leader's log write in progress beside the loop, and the entries that wait for the next. */
  private writingBehind: Promise<void> | null = null;
  private toWriteBehind: Entry[] = [];
  private loopRunning: Promise<void> | null = null;
  private closed = false;
  private failure: Error | null = null;
  private ticker: unknown = null;
  private readonly clock: RaftClock;
  private lastContactAtMs: number | null = null;
  /** On the leader: when each follower last answered. */
  private readonly peerAnsweredAtMs = new Map<ServerId, number>();
  private role: RoleName = 'follower';
  private leaderId: ServerId | null = null;

  private readonly commitTime = new Summary();
  private readonly applyTime = new Summary();
  private readonly persistTime = new Summary();
  private readonly persistBatch = new Summary();
  private leaderChanges = 0;
  private snapshotsTaken = 0;
  private snapshotsInstalled = 0;
  private readonly sink: RaftMetricsSink;
  /** On the leader: when the oldest unanswered AppendEntries to each follower left, and its entries. */
  private readonly appendSentAtMs = new Map<ServerId, number>();
  /** Labels of the per-peer replication metrics, one object per peer (see peerLabels). */
  private readonly peerLabelsById = new Map<ServerId, { readonly peer_id: string }>();

  private constructor(
    private readonly opts: RaftOptions,
    core: RaftCore,
    applied: number,
    snapshot: SnapshotMeta | null,
    snapshotBytes: number,
  ) {
    this.core = core;
    this.sink = opts.metrics ?? NO_RAFT_METRICS;
    this.tickMs = opts.tickMs ?? DEFAULT_TICK_MS;
    this.snapshotThreshold = opts.snapshotThresholdEntries ?? 8192;
    this.trailingLogs = Math.max(1, opts.trailingLogs ?? 10240);
    this.snapshotThresholdBytes = opts.snapshotThresholdBytes ?? 256 * 1024 * 1024;
    this.trailingLogsMaxBytes = opts.trailingLogsMaxBytes ?? 64 * 1024 * 1024;
    this.maxPendingApplies = opts.maxPendingApplies ?? 65536;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 30_000;
    this.log = opts.logger ?? (() => undefined);
    this.appliedIndex = applied;
    this.lastSnapshotIndex = snapshot?.index ?? 0;
    this.lastSnapshotTerm = snapshot?.term ?? 0;
    this.lastSnapshotBytes = snapshotBytes;
    this.snapshotThresholdJitter = Math.max(0, opts.snapshotThresholdJitter ?? 0.5);
    this.snapshotRng = new SeededRng(opts.randomSeed === undefined ? randomInt(2 ** 31) : (opts.randomSeed ^ SNAPSHOT_RNG_SALT) >>> 0);
    this.drawSnapshotPoint();
    this.clock = opts.clock ?? processClock;
    this.armTicker();
  }

  private armTicker(): void {
    this.ticker = this.clock.setTimeout(() => {
      if (this.closed) return;
      this.onTick();
      this.armTicker();
    }, this.tickMs);
  }

  /** Recovers from the stores (latest valid snapshot, then the log after it) and starts. */
  static async create(opts: RaftOptions): Promise<Raft> {
    const hardState = await opts.stableStore.load();
    const opened = await opts.snapshotStore.openLatest();
    let snapshot: SnapshotMeta | null = null;
    if (opened) {
      await opts.fsm.restore(await opened.readAll());
      snapshot = opened.meta;
    }
    const entries = await Raft.recoverLog(opts.logStore, snapshot, opts.logger);
    const tickMs = opts.tickMs ?? DEFAULT_TICK_MS;
    const electionTimeoutTicks = opts.electionTimeoutTicks ?? DEFAULT_ELECTION_TIMEOUT_TICKS;
    const core = new RaftCore(
      {
        ...DEFAULT_CORE_OPTIONS,
        id: opts.id,
        electionTimeoutTicks,
        heartbeatIntervalTicks: opts.heartbeatIntervalTicks ?? DEFAULT_HEARTBEAT_INTERVAL_TICKS,
        preVote: opts.preVote ?? true,
        checkQuorum: opts.checkQuorum ?? true,
        maxEntriesPerAppend: opts.maxEntriesPerAppend ?? DEFAULT_CORE_OPTIONS.maxEntriesPerAppend,
        maxInflightAppends: opts.maxInflightAppends ?? DEFAULT_CORE_OPTIONS.maxInflightAppends,
        // A snapshot stream gets about a minute before the leader tries again.
        snapshotTimeoutTicks: Math.max(electionTimeoutTicks * 5, Math.ceil(60_000 / tickMs)),
        rng: new SeededRng(opts.randomSeed ?? randomInt(2 ** 31)),
      },
      { hardState, snapshot, entries },
    );
    const raft = new Raft(opts, core, snapshot?.index ?? 0, snapshot, opened?.sizeBytes ?? 0);
    opts.transport.setHandler(raft);
    raft.kick();
    return raft;
  }

  /** The durable entries that continue `snapshot` (the whole log without one). */
  private static async recoverLog(store: LogStore, snapshot: SnapshotMeta | null, logger?: RaftLogger): Promise<Entry[]> {
    const first = store.firstIndex();
    const last = store.lastIndex();
    if (!snapshot) {
      if (last < first) return [];
      invariant(first === 1, `the log starts at ${first} but there is no snapshot before it`);
      return store.readRange(1, last);
    }
    if (first <= snapshot.index && snapshot.index <= last) {
      const [atSnapshot] = await store.readRange(snapshot.index, snapshot.index);
      if (atSnapshot && atSnapshot.term === snapshot.term) {
        return snapshot.index < last ? store.readRange(snapshot.index + 1, last) : [];
      }
    } else if (first === snapshot.index + 1) {
      // The log was reset to this snapshot when it was installed (compaction always
      // leaves the entry at a snapshot's index, so no other way leads here).
      return last >= first ? store.readRange(first, last) : [];
    }
    // The log does not continue this snapshot (a snapshot installed from the leader
    // before the log was reset): the snapshot wins.
    logger?.('warn', `log [${first}, ${last}] does not continue snapshot ${snapshot.index}/${snapshot.term}; discarding it`);
    await store.reset(snapshot.index);
    return [];
  }

  // ---- public API ---------------------------------------------------------

  /** Replicates `data` and resolves once it is committed and applied here, with the FSM's result. */
  apply(data: Uint8Array, timeoutMs = this.defaultTimeoutMs): Promise<ApplyResult> {
    this.sink.incrCounter('raft.apply');
    return this.propose(EntryKind.Command, data, timeoutMs);
  }

  /** Resolves once everything committed before the call is applied to the local FSM. */
  async barrier(timeoutMs = this.defaultTimeoutMs): Promise<number> {
    this.sink.incrCounter('raft.barrier');
    return (await this.propose(EntryKind.Barrier, null, timeoutMs)).index;
  }

  /**
   * ReadIndex: confirms leadership with a quorum and resolves with an index such
   * that, the local FSM having applied it (already true on resolution), a read
   * sees every write acknowledged before the call.
   */
  readIndex(timeoutMs = this.defaultTimeoutMs): Promise<number> {
    const early = this.refuseIfClosed();
    if (early) return Promise.reject(early);
    const ctx = ++this.readCtx;
    const r = this.core.readIndex(ctx);
    if (!r.ok) return Promise.reject(this.errorFor(r));
    this.kick();
    return new Promise<number>((resolve, reject) => {
      this.reads.set(ctx, { index: 0, deadlineMs: this.clock.nowMs() + timeoutMs, resolve: () => resolve(this.appliedIndex), reject });
    });
  }

  /** Confirms this node is still the leader (a quorum answered). */
  async verifyLeader(timeoutMs = this.defaultTimeoutMs): Promise<void> {
    await this.readIndex(timeoutMs);
  }

  isLeader(): boolean {
    return !this.closed && this.core.currentRole === 'leader';
  }

  leader(): LeaderInfo {
    const id = this.core.leader;
    return { id, address: id ? this.addressOf(id) : null, term: this.core.currentTerm, isSelf: id === this.opts.id };
  }

  state(): RaftState {
    return this.closed ? 'Shutdown' : ROLE_STATE[this.core.currentRole];
  }

  get id(): ServerId {
    return this.opts.id;
  }

  get address(): string {
    return this.opts.transport.localAddress;
  }

  get appliedIndexNow(): number {
    return this.appliedIndex;
  }

  configuration(): { servers: ServerConfig[]; index: number } {
    const c = this.core.latestConfiguration();
    return { servers: c.config.servers.map((s) => ({ ...s })), index: c.index };
  }

  /** True once this server has a term, a log or a snapshot (bootstrap would be refused). */
  hasExistingState(): boolean {
    return this.core.hasState();
  }

  /**
   * Writes the first configuration of a new cluster. Every server named must be
   * bootstrapped with the same list (as bootstrap_expect does once enough
   * servers have met), or only one of them.
   */
  async bootstrap(servers: readonly ServerConfig[], timeoutMs = this.defaultTimeoutMs): Promise<void> {
    const early = this.refuseIfClosed();
    if (early) throw early;
    if (this.core.hasState()) throw new RaftError('RAFT_ALREADY_BOOTSTRAPPED', 'bootstrap refused: this server already has state');
    const config: Configuration = { servers: servers.map((s) => ({ id: s.id, address: s.address, suffrage: s.suffrage })) };
    const problem = validateConfiguration(config) ?? (servers.length === 0 ? 'no servers' : null);
    if (problem) throw new RaftError('RAFT_BAD_CONFIGURATION', `bootstrap: ${problem}`);
    if (!findServer(config, this.opts.id)) throw new RaftError('RAFT_BAD_CONFIGURATION', `bootstrap: this server (${this.opts.id}) is not in the configuration`);
    this.core.bootstrap(config);
    this.kick();
    await this.waitFor(() => this.core.log.stableIndex >= 1, timeoutMs, 'bootstrap');
  }

  /** Stands for election at once (see RaftCore.campaignNow); false when leading or not a voter. */
  campaign(): boolean {
    if (this.refuseIfClosed()) return false;
    let started: boolean;
    try {
      started = this.core.campaignNow();
    } catch (e) {
      this.fail(e as Error);
      return false;
    }
    if (started) this.kick();
    return started;
  }

  addVoter(id: ServerId, address: string, timeoutMs = this.defaultTimeoutMs): Promise<{ index: number }> {
    return this.changeMembership({ op: 'add', id, address, suffrage: 'voter' }, timeoutMs);
  }

  addNonVoter(id: ServerId, address: string, timeoutMs = this.defaultTimeoutMs): Promise<{ index: number }> {
    return this.changeMembership({ op: 'add', id, address, suffrage: 'nonvoter' }, timeoutMs);
  }

  promote(id: ServerId, timeoutMs = this.defaultTimeoutMs): Promise<{ index: number }> {
    return this.changeMembership({ op: 'promote', id }, timeoutMs);
  }

  removeServer(id: ServerId, timeoutMs = this.defaultTimeoutMs): Promise<{ index: number }> {
    return this.changeMembership({ op: 'remove', id }, timeoutMs);
  }

  private async changeMembership(change: MembershipChange, timeoutMs: number): Promise<{ index: number }> {
    const deadline = this.clock.nowMs() + timeoutMs;
    for (;;) {
      const early = this.refuseIfClosed();
      if (early) throw early;
      const r = this.core.changeMembership(change);
      if (r.ok) {
        this.kick();
        const done = await this.awaitEntry(r.index, r.term, Math.max(1, deadline - this.clock.nowMs()));
        return { index: done.index };
      }
      if (r.reason !== 'not_ready' && r.reason !== 'config_change_pending') throw this.errorFor(r);
      // One change at a time: wait for the previous one (or this term's first entry) to apply.
      const remaining = deadline - this.clock.nowMs();
      if (remaining <= 0) throw new RaftTimeoutError('membership change', timeoutMs);
      await this.waitApplied(this.appliedIndex + 1, remaining);
    }
  }

  /** Hands leadership to `target` (or the most up-to-date voter); resolves once this node has stepped down. */
  transferLeadership(target: ServerId | null = null, timeoutMs = this.defaultTimeoutMs): Promise<void> {
    const early = this.refuseIfClosed();
    if (early) return Promise.reject(early);
    const r = this.core.transferLeadership(target);
    if (!r.ok) return Promise.reject(this.errorFor(r));
    this.kick();
    return new Promise<void>((resolve, reject) => {
      this.transferWaiters.push({ deadlineMs: this.clock.nowMs() + timeoutMs, resolve, reject });
    });
  }

  /**
   * Replaces the whole state, on every server, with a snapshot from outside (an operator's
   * backup), as hashicorp/raft's Restore: on the leader, once everything in its log is applied,
   * the state machine takes `data` at a new index beyond the log and beyond `minIndex` (the index
   * the data was taken at), the snapshot is made durable, and followers catch up by snapshot
   * install. Resolves with the new index once a quorum holds it. The caller vouches that the
   * state machine accepts `data`: a refusal here leaves this server stopped.
   */
  async restore(data: Uint8Array, minIndex = 0, timeoutMs = this.defaultTimeoutMs): Promise<{ index: number }> {
    const deadline = this.clock.nowMs() + timeoutMs;
    const remaining = (): number => Math.max(1, deadline - this.clock.nowMs());
    let meta: SnapshotMeta;
    for (;;) {
      const early = this.refuseIfClosed();
      if (early) throw early;
      const r = this.core.restoreUserSnapshot(minIndex);
      if (r.ok) {
        meta = r.meta;
        break;
      }
      if (r.reason !== 'not_ready') throw this.errorFor({ ...r, ok: false });
      if (deadline <= this.clock.nowMs()) throw new RaftTimeoutError('restore', timeoutMs);
      this.kick();
      // Everything before the snapshot must be applied first, and a snapshot of it durable (the
      // way back should the restore never reach a quorum).
      await this.waitFor(() => this.core.commitIndex === this.core.log.lastIndex() && this.appliedIndex === this.core.commitIndex, remaining(), 'restore');
      if (this.lastSnapshotIndex !== this.appliedIndex) await this.snapshotNow(deadline);
    }
    // The bytes go to a snapshot sink; the Ready loop installs it as it installs a leader's
    // snapshot (after the unconfirmed-restore marker is durable), so no other disk write of the
    // log or the snapshots runs in between.
    this.restoringUser = true;
    let sink: SnapshotSink;
    try {
      sink = await this.opts.snapshotStore.create(meta);
      await sink.write(data);
    } catch (e) {
      this.restoringUser = false;
      this.fail(e instanceof Error ? e : new Error(String(e)));
      throw this.failure ?? e;
    }
    if (!this.core.userRestoreStaged(meta)) {
      this.restoringUser = false;
      await sink.cancel();
      throw new LeadershipLostError('leadership lost while restoring a snapshot');
    }
    const previous = this.incoming;
    this.incoming = { meta, sink, user: true };
    if (previous) await previous.sink.cancel();
    this.kick();
    await this.waitFor(() => this.core.commitIndex >= meta.index || (!this.restoringUser && this.core.unconfirmedRestoreIndex !== meta.index), remaining(), 'restore reaching a quorum');
    if (this.core.commitIndex < meta.index) throw new LeadershipLostError('leadership lost before the restored snapshot reached a quorum');
    return { index: meta.index };
  }

  /** Takes a snapshot of what is applied now, waiting for one in progress first (bounded). */
  private async snapshotNow(deadlineMs: number): Promise<void> {
    if (this.snapshotting) await this.waitFor(() => !this.snapshotting, Math.max(1, deadlineMs - this.clock.nowMs()), 'snapshot in progress');
    if (this.appliedIndex > this.lastSnapshotIndex) await this.takeSnapshot();
  }

  /** Takes a snapshot now (if anything was applied since the last one). */
  async snapshot(): Promise<SnapshotMeta | null> {
    if (this.appliedIndex <= this.lastSnapshotIndex || this.snapshotting || this.restoringUser) return null;
    return this.takeSnapshot();
  }

  /** On the leader: replication state of every other server of the latest configuration. */
  peers(): PeerReplication[] {
    if (!this.isLeader()) return [];
    const now = this.clock.nowMs();
    return this.core
      .latestConfiguration()
      .config.servers.filter((s) => s.id !== this.opts.id)
      .map((s) => {
        const at = this.peerAnsweredAtMs.get(s.id);
        return { id: s.id, address: s.address, suffrage: s.suffrage, matchIndex: this.core.progressOf(s.id)?.match ?? 0, lastContactMs: at === undefined ? null : now - at };
      });
  }

  /** Index and term of the last entry applied to the state machine here. */
  appliedPosition(): { index: number; term: number } {
    const term = this.core.log.term(this.appliedIndex);
    return { index: this.appliedIndex, term: term ?? this.lastSnapshotTerm };
  }

  /** Index of the last entry in this server's log and its term. */
  lastLog(): { index: number; term: number } {
    return { index: this.core.log.lastIndex(), term: this.core.log.lastTerm() };
  }

  observe(observer: RaftObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Resolves once some leader is known (or rejects after the timeout). */
  async waitForLeader(timeoutMs = this.defaultTimeoutMs): Promise<LeaderInfo> {
    await this.waitFor(() => this.core.leader !== null, timeoutMs, 'waiting for a leader');
    return this.leader();
  }

  stats(): Record<string, string> {
    const c = this.core;
    const latest = c.latestConfiguration();
    const vs = voters(latest.config);
    const lastContact = c.currentRole === 'leader' ? '0' : this.lastContactAtMs === null ? 'never' : `${Math.round(this.clock.nowMs() - this.lastContactAtMs)}ms`;
    return {
      state: this.state(),
      term: String(c.currentTerm),
      last_log_index: String(c.log.lastIndex()),
      last_log_term: String(c.log.lastTerm()),
      commit_index: String(c.commitIndex),
      applied_index: String(this.appliedIndex),
      fsm_pending: String(c.handedIndex - this.appliedIndex),
      last_snapshot_index: String(this.lastSnapshotIndex),
      last_snapshot_term: String(this.lastSnapshotTerm),
      latest_configuration: describeConfiguration(latest.config),
      latest_configuration_index: String(latest.index),
      num_peers: String(vs.filter((v) => v !== this.opts.id).length),
      last_contact: lastContact,
      leader_id: c.leader ?? '',
      protocol_version: '3',
    };
  }

  /** Milliseconds since a leader last reached this follower (0 on the leader, null if never): cheap, unlike metrics(). */
  lastContactMs(): number | null {
    if (this.core.currentRole === 'leader') return 0;
    return this.lastContactAtMs === null ? null : this.clock.nowMs() - this.lastContactAtMs;
  }

  metrics(): RaftMetrics {
    return {
      commitTimeMs: this.commitTime.stats(),
      applyTimeMs: this.applyTime.stats(),
      persistTimeMs: this.persistTime.stats(),
      persistBatchEntries: this.persistBatch.stats(),
      lastContactMs: this.lastContactMs(),
      leaderChanges: this.leaderChanges,
      snapshotsTaken: this.snapshotsTaken,
      snapshotsInstalled: this.snapshotsInstalled,
    };
  }

  /** Stops ticking and I/O, fails what is pending, closes the transport and stores. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.ticker);
    await this.loopRunning?.catch(() => undefined);
    await this.writesDrained();
    this.failAll(new RaftShutdownError());
    await this.incoming?.sink.cancel().catch(() => undefined);
    this.incoming = null;
    await this.opts.transport.close();
    await this.opts.logStore.close();
    await this.opts.stableStore.close();
    await this.opts.snapshotStore.close();
    this.emit({ type: 'state', state: 'Shutdown', term: this.core.currentTerm });
  }

  // ---- proposals and waiting ----------------------------------------------

  private propose(kind: EntryKind.Command | EntryKind.Barrier, data: Uint8Array | null, timeoutMs: number): Promise<ApplyResult> {
    const early = this.refuseIfClosed();
    if (early) return Promise.reject(early);
    if (this.pending.size >= this.maxPendingApplies) return Promise.reject(new RaftError('RAFT_OVERLOADED', `${this.pending.size} applies already wait for commitment`));
    const r = this.core.propose(kind, data);
    if (!r.ok) return Promise.reject(this.errorFor(r));
    this.kick();
    return this.awaitEntry(r.index, r.term, timeoutMs);
  }

  private awaitEntry(index: number, term: number, timeoutMs: number): Promise<ApplyResult> {
    return new Promise<ApplyResult>((resolve, reject) => {
      const now = this.clock.nowMs();
      this.pending.set(index, { term, proposedAtMs: now, deadlineMs: now + timeoutMs, resolve, reject });
    });
  }

  private waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.appliedIndex >= index) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = { index, waiter: { deadlineMs: this.clock.nowMs() + timeoutMs, resolve, reject } };
      let i = this.appliedWaiters.length;
      while (i > 0 && (this.appliedWaiters[i - 1] as { index: number }).index > index) i--;
      this.appliedWaiters.splice(i, 0, entry);
    });
  }

  private async waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = this.clock.nowMs() + timeoutMs;
    while (!predicate()) {
      const early = this.refuseIfClosed();
      if (early) throw early;
      if (this.clock.nowMs() >= deadline) throw new RaftTimeoutError(what, timeoutMs);
      // Re-checked at each Ready processed or tick, whichever comes first.
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimeout(resolve, Math.min(this.tickMs, Math.max(1, deadline - this.clock.nowMs())));
        this.progressWaiters.push(() => {
          this.clock.clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private progressWaiters: (() => void)[] = [];

  private refuseIfClosed(): Error | null {
    if (this.failure) return this.failure;
    return this.closed ? new RaftShutdownError() : null;
  }

  private errorFor(r: ProposeResult & { ok: false }): Error {
    switch (r.reason) {
      case 'not_leader':
        return new NotLeaderError(r.leaderId, r.leaderId ? this.addressOf(r.leaderId) : null);
      case 'transfer_in_progress':
        return new RaftError('RAFT_TRANSFER_IN_PROGRESS', 'leadership transfer in progress');
      case 'overloaded':
        return new RaftError('RAFT_OVERLOADED', 'too many entries wait for commitment');
      case 'invalid':
        return new RaftError('RAFT_BAD_CONFIGURATION', r.detail ?? 'invalid request');
      case 'not_ready':
      case 'config_change_pending':
        return new RaftError('RAFT_BAD_CONFIGURATION', 'a configuration change is already in progress');
      case 'restore_in_progress':
        return new RaftError('RAFT_RESTORE_IN_PROGRESS', 'a snapshot restore is in progress');
    }
  }

  private addressOf(id: ServerId): string | null {
    return findServer(this.core.latestConfiguration().config, id)?.address ?? this.addressBook.get(id) ?? null;
  }

  // ---- inputs from the transport and the clock ----------------------------

  onMessage(message: Message, fromAddress: string): void {
    if (this.closed || message.to !== this.opts.id) return;
    this.addressBook.set(message.from, fromAddress);
    if (message.type === 'append' || message.type === 'heartbeat') this.lastContactAtMs = this.clock.nowMs();
    else if (message.type === 'append_resp' || message.type === 'heartbeat_resp' || message.type === 'snapshot_resp') this.peerAnsweredAtMs.set(message.from, this.clock.nowMs());
    if (message.type === 'append_resp') this.appendAnswered(message.from);
    this.stepSafely(message);
  }

  async onSnapshot(request: SnapshotRequest, data: AsyncIterable<Uint8Array>, fromAddress: string): Promise<void> {
    if (this.closed || request.to !== this.opts.id) throw new RaftShutdownError();
    if (this.incoming?.user) throw new RaftError('RAFT_RESTORE_IN_PROGRESS', 'a snapshot restore is in progress here');
    this.addressBook.set(request.from, fromAddress);
    this.lastContactAtMs = this.clock.nowMs();
    const sink = await this.opts.snapshotStore.create(request.meta);
    try {
      for await (const chunk of data) await sink.write(chunk);
    } catch (e) {
      await sink.cancel();
      throw e;
    }
    if (this.closed || this.incoming?.user) {
      await sink.cancel();
      return;
    }
    if (typeof request.commit === 'number' && request.meta.index > request.commit && this.appliedIndex > this.lastSnapshotIndex) {
      // A restored snapshot the leader does not know committed: the core takes it only with a
      // durable snapshot of what is applied here to go back to.
      try {
        await this.snapshotNow(this.clock.nowMs() + this.defaultTimeoutMs);
      } catch (e) {
        await sink.cancel();
        throw e;
      }
    }
    if (this.incoming) {
      // One install at a time: the core may already have taken the one waiting. The leader
      // sends this one again later.
      await sink.cancel();
      throw new RaftError('RAFT_RESTORE_IN_PROGRESS', 'a snapshot install is in progress here');
    }
    this.incoming = { meta: request.meta, sink };
    this.stepSafely(request);
    // The core decides at once whether it installs the snapshot (see handleReady).
    this.kick();
  }

  onPeerDisconnected(fromAddress: string): void {
    if (this.closed || this.core.currentRole !== 'follower') return;
    const leader = this.core.leader;
    if (leader === null || this.addressOf(leader) !== fromAddress) return;
    if (this.core.leaderUnreachable()) {
      this.log('info', `lost the connection to the leader ${leader} (${fromAddress}): standing for election soon unless it is heard from again`);
      this.kick();
    }
  }

  private stepSafely(message: Message): void {
    try {
      this.core.step(message);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.kick();
  }

  private onTick(): void {
    if (this.closed) return;
    try {
      this.core.tick();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.expireWaiters();
    this.kick();
    this.wakeProgress();
  }

  private expireWaiters(): void {
    const now = this.clock.nowMs();
    for (const [index, p] of this.pending) {
      if (p.deadlineMs > now) continue;
      this.pending.delete(index);
      p.reject(new RaftTimeoutError(`entry ${index}`, Math.round(now - p.proposedAtMs)));
    }
    for (const [ctx, r] of this.reads) {
      if (r.deadlineMs > now) continue;
      this.reads.delete(ctx);
      r.reject(new RaftTimeoutError('read index', 0));
    }
    const keep: typeof this.appliedWaiters = [];
    for (const w of this.appliedWaiters) {
      if (w.waiter.deadlineMs <= now) w.waiter.reject(new RaftTimeoutError(`waiting for index ${w.index}`, 0));
      else keep.push(w);
    }
    this.appliedWaiters = keep;
    this.transferWaiters = this.transferWaiters.filter((w) => {
      if (w.deadlineMs > now) return true;
      w.reject(new RaftTimeoutError('leadership transfer', 0));
      return false;
    });
  }

  private wakeProgress(): void {
    const ws = this.progressWaiters;
    this.progressWaiters = [];
    for (const w of ws) w();
  }

  /** An invariant broke or the disk failed: stop rather than risk safety. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.log('error', `raft stopped: ${e.message}`);
    void this.shutdown();
  }

  // ---- the Ready loop -------------------------------------------------------

  private kick(): void {
    if (this.loopScheduled || this.loopRunning || this.closed) return;
    this.loopScheduled = true;
    // setImmediate lets every proposal made in this turn join the same batch.
    this.clock.defer(() => {
      this.loopScheduled = false;
      if (this.loopRunning || this.closed) return;
      this.loopRunning = this.runLoop().finally(() => {
        this.loopRunning = null;
        if (!this.closed && this.core.hasReady()) this.kick();
      });
    });
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.closed && this.core.hasReady()) {
        const rd = this.core.ready();
        const writesBehind = await this.handleReady(rd);
        this.core.advance(rd, writesBehind ? [] : rd.entries);
        this.wakeProgress();
      }
    } catch (e) {
      this.fail(e as Error);
    }
    if (!this.closed) this.snapshotIfDue();
  }

  /** Acts on `rd`; true when its entries were left to the write behind the loop (see writeBehind). */
  private async handleReady(rd: Ready): Promise<boolean> {
    if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.leaderId, rd.softState.term);
    // A leader's batch that changes neither term nor vote, and that says nothing to another server
    // which depends on this disk, may be written while the loop goes on. Anything else waits for
    // the writes behind to end first: the disk then sees every write in the order of the batches.
    const behind = this.role === 'leader' && rd.hardState === null && !rd.snapshot && !rd.rollback && rd.messages.every(isLeaderOutbound);
    if (!behind) await this.writesDrained();
    if (this.incoming && (!rd.snapshot || rd.snapshot.index !== this.incoming.meta.index || rd.snapshot.term !== this.incoming.meta.term)) {
      // The core did not take it (stale or already covered by the log).
      const dropped = this.incoming;
      this.incoming = null;
      if (dropped.user) this.restoringUser = false;
      await dropped.sink.cancel();
    }
    // A rollback drops the restored snapshot before the cleared marker is written; an install
    // writes the marker (term, vote, unconfirmed restore) before the snapshot: a crash between
    // the two never leaves a restored snapshot that is taken for committed.
    if (rd.rollback) await this.rollBackTo(rd.rollback);
    if (rd.hardState && rd.snapshot) await this.saveHardState(rd.hardState);
    if (rd.snapshot) await this.installSnapshot(rd.snapshot);
    // A leader's replication does not depend on its own disk (Raft paper, section
    // 10.2.1): it only counts itself once its write is durable (advance()). So
    // with term and vote unchanged, its appends leave while it writes. Anything
    // that acknowledges or grants (responses, votes) waits for the disk.
    const early = rd.hardState === null && !rd.snapshot ? rd.messages.filter(isLeaderOutbound) : [];
    for (const m of early) this.sendMessage(m);
    // The core hands out only committed entries that are already durable here, so they need not
    // wait for this batch's write. A leader applies them at once (after its appends left): its
    // proposals are answered one disk write sooner, an acknowledgement that arrived while the
    // previous batch was being written no longer waiting for the next one. A follower answers the
    // leader first (its acknowledgement is what commits), and applies after.
    const applyFirst = this.role === 'leader';
    if (rd.committed.length > 0) this.sink.setGauge('raft.commitNumLogs', rd.committed.length);
    if (applyFirst) for (const e of rd.committed) this.applyEntry(e);
    const started = this.clock.nowMs();
    if (rd.hardState && !rd.snapshot) await this.saveHardState(rd.hardState);
    if (behind) this.writeBehind(rd.entries);
    else if (rd.entries.length > 0) await this.opts.logStore.storeEntries(rd.entries);
    if (rd.hardState || (rd.entries.length > 0 && !behind)) this.observePersist(this.clock.nowMs() - started, rd.entries.length);
    for (const m of rd.messages) if (early.length === 0 || !isLeaderOutbound(m)) this.sendMessage(m);
    if (!applyFirst) for (const e of rd.committed) this.applyEntry(e);
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.ctx);
      if (!r) continue;
      this.reads.delete(rs.ctx);
      this.waitApplied(rs.index, Math.max(1, r.deadlineMs - this.clock.nowMs())).then(r.resolve, r.reject);
    }
    for (const ctx of rd.droppedReads) {
      const r = this.reads.get(ctx);
      if (!r) continue;
      this.reads.delete(ctx);
      r.reject(new NotLeaderError(this.core.leader, this.core.leader ? this.addressOf(this.core.leader) : null));
    }
    for (const ev of rd.events) {
      if (ev.kind === 'transfer_aborted') {
        for (const w of this.transferWaiters) w.reject(new RaftTimeoutError(`leadership transfer to ${ev.target}`, 0));
        this.transferWaiters = [];
      } else if (ev.kind === 'restore_lost') {
        this.log('warn', `the snapshot restored at index ${ev.index} never reached a quorum and leader ${ev.leader} does not hold it: back to the state at index ${ev.fallbackIndex}`);
      } else {
        this.log('info', `stepped down as leader: ${ev.reason}`);
      }
    }
    this.releaseAppliedWaiters();
    if (rd.compactLogTo > 0) await this.opts.logStore.compactPrefix(rd.compactLogTo);
    return behind;
  }

  private observePersist(tookMs: number, entries: number): void {
    this.persistTime.observe(tookMs);
    this.persistBatch.observe(entries);
    if (entries > 0 && this.role === 'leader') {
      this.sink.addSample('raft.leader.dispatchLog', tookMs);
      this.sink.setGauge('raft.leader.dispatchNumLogs', entries);
    } else if (entries > 0) this.sink.addSample('raft.rpc.appendEntries.storeLogs', tookMs);
  }

  /**
   * A leader's entries are written beside the Ready loop, one write at a time, the entries proposed
   * meanwhile joining the next. Its appends have left already, so the followers' acknowledgements
   * that commit entries are taken, and what is committed applied and answered, while its own disk
   * writes; awaited in the loop, that write held back every commit that came in during it by one
   * more write. The leader still counts itself, and applies an entry, only once its own write of
   * it is durable (RaftCore.entriesDurable).
   */
  private writeBehind(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    for (const e of entries) this.toWriteBehind.push(e);
    if (this.writingBehind === null) this.writingBehind = this.writeQueuedBehind();
  }

  private async writeQueuedBehind(): Promise<void> {
    try {
      while (this.toWriteBehind.length > 0 && !this.closed) {
        const batch = this.toWriteBehind;
        this.toWriteBehind = [];
        const started = this.clock.nowMs();
        await this.opts.logStore.storeEntries(batch);
        this.observePersist(this.clock.nowMs() - started, batch.length);
        if (this.closed) return;
        this.core.entriesDurable(batch);
        this.kick();
        this.wakeProgress();
      }
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.writingBehind = null;
    }
  }

  /** Resolves once every entry handed to the write behind the loop is on disk. */
  private async writesDrained(): Promise<void> {
    while (this.writingBehind !== null) await this.writingBehind;
  }

  private async saveHardState(state: HardState): Promise<void> {
    await this.opts.stableStore.save(state);
  }

  private onSoftState(role: RoleName, leaderId: ServerId | null, term: number): void {
    const wasLeader = this.role === 'leader';
    if (role !== this.role) {
      if (role === 'leader') this.peerAnsweredAtMs.clear();
      this.appendSentAtMs.clear();
      // A follower that stands for election heard no leader within its timeout.
      if (role === 'candidate' && this.role === 'follower') this.sink.incrCounter('raft.transition.heartbeat_timeout');
      this.sink.incrCounter(`raft.state.${role}`);
      this.role = role;
      this.emit({ type: 'state', state: ROLE_STATE[role], term });
    }
    if (wasLeader && role !== 'leader') {
      // As hashicorp/raft: callers learn at once; their entries may still commit.
      for (const [index, p] of this.pending) {
        this.pending.delete(index);
        p.reject(new LeadershipLostError());
      }
      for (const w of this.transferWaiters) w.resolve();
      this.transferWaiters = [];
    }
    if (leaderId !== this.leaderId) {
      this.leaderId = leaderId;
      if (leaderId !== null) this.leaderChanges++;
      this.emit({ type: 'leader', leader: { id: leaderId, address: leaderId ? this.addressOf(leaderId) : null, term, isSelf: leaderId === this.opts.id } });
    }
  }

  private async installSnapshot(meta: SnapshotMeta): Promise<void> {
    const incoming = this.incoming;
    invariant(incoming && incoming.meta.index === meta.index && incoming.meta.term === meta.term, 'installing a snapshot that was not received');
    this.incoming = null;
    await incoming.sink.commit();
    const opened = await this.opts.snapshotStore.openLatest();
    invariant(opened && opened.meta.index === meta.index, 'the received snapshot is not the latest after commit');
    await this.opts.fsm.restore(await opened.readAll());
    await this.opts.logStore.reset(meta.index);
    for (const [index, p] of this.pending) {
      if (index > meta.index) continue;
      this.pending.delete(index);
      p.reject(new LeadershipLostError('a snapshot replaced the log before the entry was applied here'));
    }
    this.appliedIndex = meta.index;
    this.appliedBytesSinceSnapshot = 0;
    this.lastSnapshotIs(meta, opened.sizeBytes);
    this.emit({ type: 'snapshot', meta, installed: true });
    if (incoming.user) {
      this.restoringUser = false;
      this.log('info', `restored user snapshot at index ${meta.index} (term ${meta.term})`);
      this.core.userRestoreDurable(meta);
      return;
    }
    this.snapshotsInstalled++;
    this.emit({ type: 'configuration', configuration: meta.configuration, index: meta.configurationIndex });
  }

  /** A restored snapshot never reached a quorum: back to the durable snapshot taken before it. */
  private async rollBackTo(meta: SnapshotMeta): Promise<void> {
    // Disk first: once the newer snapshots are gone, a restart recovers the older state too.
    await this.opts.snapshotStore.discardAbove(meta.index);
    const opened = await this.opts.snapshotStore.openLatest();
    invariant(opened !== null && opened.meta.index === meta.index && opened.meta.term === meta.term, () => `no durable snapshot at ${meta.index} to go back to`);
    await this.opts.logStore.reset(meta.index);
    await this.opts.fsm.restore(await opened.readAll());
    for (const p of this.pending.values()) p.reject(new LeadershipLostError('a restored snapshot that never reached a quorum was rolled back'));
    this.pending.clear();
    this.appliedIndex = meta.index;
    this.appliedBytesSinceSnapshot = 0;
    this.lastSnapshotIs(meta, opened.sizeBytes);
    this.emit({ type: 'snapshot', meta, installed: true });
    this.emit({ type: 'configuration', configuration: meta.configuration, index: meta.configurationIndex });
  }

  private sendMessage(m: Message): void {
    const address = this.addressOf(m.to);
    if (!address) return;
    if (m.type === 'snapshot') {
      if (this.restoringUser) {
        // The restored snapshot is not on disk yet; the core asks again once it probes.
        this.core.reportSnapshotEnded(m.to);
        return;
      }
      void this.sendSnapshot(address, m);
      return;
    }
    if (m.type === 'append') {
      if (!this.appendSentAtMs.has(m.to)) this.appendSentAtMs.set(m.to, this.clock.nowMs());
      if (m.entries.length > 0) this.sink.incrCounter('raft.replication.appendEntries.logs', m.entries.length, this.peerLabels(m.to));
    }
    this.opts.transport.send(address, m);
  }

  /**
   * One labels object per peer, reused by every sample: a metrics sink computes a series' key once
   * per labels object, and a fresh object per AppendEntries made it do that for every message.
   */
  private peerLabels(peer: ServerId): { readonly peer_id: string } {
    let labels = this.peerLabelsById.get(peer);
    if (labels === undefined) {
      labels = Object.freeze({ peer_id: peer });
      this.peerLabelsById.set(peer, labels);
    }
    return labels;
  }

  /** hashicorp/raft's replication.appendEntries.rpc: from an AppendEntries leaving to its answer. */
  private appendAnswered(from: ServerId): void {
    const sentAt = this.appendSentAtMs.get(from);
    if (sentAt === undefined) return;
    this.appendSentAtMs.delete(from);
    this.sink.addSample('raft.replication.appendEntries.rpc', this.clock.nowMs() - sentAt, this.peerLabels(from));
  }

  private async sendSnapshot(address: string, m: SnapshotRequest): Promise<void> {
    if (this.snapshotSends.has(m.to)) return;
    this.snapshotSends.add(m.to);
    try {
      const opened = await this.opts.snapshotStore.openLatest();
      if (!opened) throw new Error('no snapshot to send');
      // Ship the newest snapshot with its own metadata (it may be newer than the core asked for).
      await this.opts.transport.sendSnapshot(address, { ...m, meta: opened.meta }, opened.chunks());
    } catch (e) {
      this.log('warn', `snapshot to ${m.to} failed: ${(e as Error).message}`);
    } finally {
      if (!this.closed) {
        this.core.reportSnapshotEnded(m.to);
        this.kick();
      }
      this.snapshotSends.delete(m.to);
    }
  }

  private applyEntry(e: Entry): void {
    invariant(e.index === this.appliedIndex + 1, () => `apply ${e.index} after ${this.appliedIndex}`);
    let result: unknown;
    let error: Error | null = null;
    if (e.kind === EntryKind.Command) {
      const started = this.clock.nowMs();
      try {
        result = this.opts.fsm.apply({ index: e.index, term: e.term, data: e.data ?? new Uint8Array(0) });
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
      }
      this.applyTime.observe(this.clock.nowMs() - started);
      this.sink.addSample('raft.fsm.apply', this.clock.nowMs() - started);
    } else if (e.kind === EntryKind.Configuration && e.config) {
      this.emit({ type: 'configuration', configuration: e.config, index: e.index });
    }
    this.appliedIndex = e.index;
    this.appliedBytesSinceSnapshot += e.data ? e.data.length : 0;
    const p = this.pending.get(e.index);
    if (!p) return;
    this.pending.delete(e.index);
    if (p.term !== e.term) {
      p.reject(new LeadershipLostError('the entry was replaced by a newer leader'));
      return;
    }
    this.commitTime.observe(this.clock.nowMs() - p.proposedAtMs);
    this.sink.addSample('raft.commitTime', this.clock.nowMs() - p.proposedAtMs);
    if (error) p.reject(error);
    else p.resolve({ index: e.index, result });
  }

  private releaseAppliedWaiters(): void {
    let n = 0;
    while (n < this.appliedWaiters.length && (this.appliedWaiters[n] as { index: number }).index <= this.appliedIndex) {
      (this.appliedWaiters[n] as { waiter: Waiter }).waiter.resolve();
      n++;
    }
    if (n > 0) this.appliedWaiters.splice(0, n);
  }

  // ---- snapshots --------------------------------------------------------------

  /**
   * Takes a snapshot if the thresholds call for one (entries or bytes applied since the last):
   * after each Ready, and on the periodic check of raft_snapshot_interval; a failure is logged.
   * A snapshot costs in proportion to the whole state (seconds of CPU at a million allocations),
   * so a check must not take one for a handful of entries.
   */
  snapshotIfDue(): void {
    if (this.snapshotting || this.restoringUser || this.closed) return;
    const stretch = this.snapshotStretch;
    if (this.appliedIndex - this.lastSnapshotIndex < this.snapshotThreshold * stretch && this.appliedBytesSinceSnapshot < Math.max(this.snapshotThresholdBytes, this.lastSnapshotBytes) * stretch) return;
    this.takeSnapshot().catch((e: Error) => this.log('warn', `snapshot failed: ${e.message}`));
  }

  /** The snapshot taken, installed or gone back to is now the last one; the next point is drawn anew. */
  private lastSnapshotIs(meta: SnapshotMeta, sizeBytes: number): void {
    this.lastSnapshotIndex = meta.index;
    this.lastSnapshotTerm = meta.term;
    this.lastSnapshotBytes = sizeBytes;
    this.drawSnapshotPoint();
  }

  /** Where past the thresholds this server takes its next snapshot (see snapshotThresholdJitter). */
  private drawSnapshotPoint(): void {
    this.snapshotStretch = 1 + this.snapshotThresholdJitter * this.snapshotRng.nextFloat();
  }

  private async takeSnapshot(): Promise<SnapshotMeta | null> {
    // An install the core took is still pending: it covers more than what is applied here.
    if (this.appliedIndex < this.core.log.compactedIndex) return null;
    this.snapshotting = true;
    const startedMs = this.clock.nowMs();
    try {
      const meta = this.core.snapshotMetaAt(this.appliedIndex);
      const bytesCovered = this.appliedBytesSinceSnapshot;
      const data = await this.opts.fsm.snapshot();
      const sink = await this.opts.snapshotStore.create(meta);
      let bytes = 0;
      try {
        if (data instanceof Uint8Array) {
          await sink.write(data);
          bytes = data.length;
        } else {
          for await (const chunk of data) {
            await sink.write(chunk);
            bytes += chunk.length;
          }
        }
        await sink.commit();
      } catch (e) {
        await sink.cancel();
        throw e;
      }
      if (!this.closed) {
        this.core.snapshotDone(meta, this.trailingLogs, this.trailingLogsMaxBytes);
        if (meta.index > this.lastSnapshotIndex) {
          this.appliedBytesSinceSnapshot = Math.max(0, this.appliedBytesSinceSnapshot - bytesCovered);
          this.lastSnapshotIs(meta, bytes);
        }
        this.snapshotsTaken++;
        this.sink.addSample('raft.snapshot.create', this.clock.nowMs() - startedMs);
        this.emit({ type: 'snapshot', meta, installed: false });
        this.kick();
      }
      return meta;
    } finally {
      this.snapshotting = false;
    }
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    for (const r of this.reads.values()) r.reject(error);
    this.reads.clear();
    for (const w of this.appliedWaiters) w.waiter.reject(error);
    this.appliedWaiters = [];
    for (const w of this.transferWaiters) w.reject(error);
    this.transferWaiters = [];
    this.wakeProgress();
  }

  private emit(event: RaftEvent): void {
    for (const o of this.observers) {
      try {
        o(event);
      } catch (e) {
        this.log('warn', `observer failed: ${(e as Error).message}`);
      }
    }
  }
}

