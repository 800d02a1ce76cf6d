// The consensus state machine. Inputs: tick(), step(message), propose(),
// readIndex(), changeMembership(), transferLeadership(), snapshotDone(),
// restoreUserSnapshot().
// Outputs are collected and handed out by ready(); the caller acts on them and
// calls advance(). No I/O, no clock, no randomness but the injected Rng.
import { applyChange, findServer, isVoter, quorumSize, voters } from './configuration.js';
import type { MembershipChange } from './configuration.js';
import { ConfigTracker } from './config-tracker.js';
import { invariant } from './invariant.js';
import { Progress } from './progress.js';
import { RaftLog } from './raft-log.js';
import type { CoreEvent, ReadState, Ready, SoftState } from './ready.js';
import type { Rng } from './rng.js';
import type {
  AppendRequest, AppendResponse, Configuration, Entry, HardState, HeartbeatRequest, HeartbeatResponse, Message,
  RoleName, ServerId, SnapshotMeta, SnapshotRequest, SnapshotResponse, UnconfirmedRestore, VoteRequest, VoteResponse, PreVoteRequest,
} from './types.js';
import { EntryKind } from './types.js';

export interface CoreOptions {
  readonly id: ServerId;
  /** Minimum election timeout; each wait is drawn from [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxEntriesPerAppend: number;
  readonly maxBytesPerAppend: number;
  readonly maxInflightAppends: number;
  /** Proposals are refused while this many entries wait for commitment. */
  readonly maxUncommittedEntries: number;
  /** A snapshot install not answered within this many ticks is retried. */
  readonly snapshotTimeoutTicks: number;
  readonly maxPendingReads: number;
  readonly rng: Rng;
}

export const DEFAULT_CORE_OPTIONS = {
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxEntriesPerAppend: 1024,
  maxBytesPerAppend: 1024 * 1024,
  maxInflightAppends: 64,
  maxUncommittedEntries: 65536,
  snapshotTimeoutTicks: 200,
  maxPendingReads: 65536,
} as const;

/** Durable state a node restarts from. */
export interface CoreRestore {
  readonly hardState: HardState;
  readonly snapshot: SnapshotMeta | null;
  /** Durable entries following the snapshot (or from index 1), contiguous. */
  readonly entries: readonly Entry[];
}

export type ProposeRefusal = 'not_leader' | 'transfer_in_progress' | 'overloaded' | 'config_change_pending' | 'not_ready' | 'invalid' | 'restore_in_progress';

export type RestoreResult =
  | { readonly ok: true; readonly meta: SnapshotMeta }
  | { readonly ok: false; readonly reason: ProposeRefusal; readonly leaderId: ServerId | null };

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: ProposeRefusal; readonly leaderId: ServerId | null; readonly detail?: string };

interface PendingRead {
  readonly ctx: number;
  readonly index: number;
  readonly seq: number;
}

export class RaftCore {
  readonly id: ServerId;
  private readonly opts: CoreOptions;
  private readonly rng: Rng;

  private term: number;
  private vote: ServerId | null;
  private role: RoleName = 'follower';
  private preCandidate = false;
  private leaderId: ServerId | null = null;

  readonly log: RaftLog;
  private readonly configs = new ConfigTracker();
  private commit: number;
  /** Highest index handed out in ready().committed (or covered by a snapshot). */
  private handed: number;
  private snapshotMeta: SnapshotMeta | null;

  private electionElapsedTicks = 0;
  private heartbeatElapsedTicks = 0;
  private randomizedElectionTimeoutTicks = 0;
  private votes = new Map<ServerId, boolean>();
  private readonly progress = new Map<ServerId, Progress>();
  private transferTarget: ServerId | null = null;
  private transferElapsedTicks = 0;

  private heartbeatSeq = 0;
  private reads: PendingRead[] = [];
  private readsAwaitingTermCommit: number[] = [];
  private readRoundNeeded = false;
  private broadcastNeeded = false;

  // Outputs waiting for ready().
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: number[] = [];
  private events: CoreEvent[] = [];
  private pendingInstall: SnapshotMeta | null = null;
  private compactTo = 0;
  /**
   * A user snapshot this server holds that a quorum may not hold yet: restored here as leader
   * (restoreUserSnapshot) or installed from such a leader. Until the commit index reaches it,
   * it is not known committed: the commit index stays at the fallback (the committed snapshot to
   * go back to), a leader counts itself only once the snapshot is durable, and reads and
   * membership changes wait. `marker` is what the stable store keeps of it across restarts.
   */
  private userRestore: { meta: SnapshotMeta; durable: boolean; fallback: SnapshotMeta; marker: UnconfirmedRestore } | null = null;
  private pendingRollback: SnapshotMeta | null = null;
  private lastHardState: HardState;
  private lastSoftState: SoftState;

  constructor(options: CoreOptions, restore: CoreRestore) {
    invariant(options.electionTimeoutTicks > options.heartbeatIntervalTicks, 'election timeout must exceed the heartbeat interval');
    invariant(options.heartbeatIntervalTicks >= 1, 'heartbeat interval must be at least one tick');
    this.opts = options;
    this.id = options.id;
    this.rng = options.rng;
    this.term = restore.hardState.term;
    this.vote = restore.hardState.vote;
    const snap = restore.snapshot;
    this.snapshotMeta = snap;
    this.log = new RaftLog(snap ? snap.index : 0, snap ? snap.term : 0, restore.entries);
    if (snap) this.configs.reset(snap.configuration, snap.configurationIndex);
    this.configs.onAppend(restore.entries);
    this.commit = snap ? snap.index : 0;
    this.handed = this.commit;
    // A log written before its term reached the stable store is still valid; never run behind it.
    if (this.log.lastTerm() > this.term) {
      this.term = this.log.lastTerm();
      this.vote = null;
    }
    const marker = restore.hardState.restore ?? null;
    if (marker && snap && snap.index === marker.index && snap.term === marker.term) {
      // Restarted holding a restored snapshot no quorum was known to hold: still not committed.
      this.commit = marker.fallback.index;
      this.userRestore = { meta: snap, durable: true, fallback: marker.fallback, marker };
    }
    this.lastHardState = { term: restore.hardState.term, vote: restore.hardState.vote, restore: marker };
    this.resetElectionTimer();
    this.lastSoftState = this.softState();
  }

  // ---- queries ------------------------------------------------------------

  get currentTerm(): number {
    return this.term;
  }

  get currentRole(): RoleName {
    return this.role;
  }

  get isPreCandidate(): boolean {
    return this.preCandidate;
  }

  get leader(): ServerId | null {
    return this.leaderId;
  }

  get commitIndex(): number {
    return this.commit;
  }

  get handedIndex(): number {
    return this.handed;
  }

  get latestSnapshot(): SnapshotMeta | null {
    return this.snapshotMeta;
  }

  get transferringTo(): ServerId | null {
    return this.transferTarget;
  }

  /** The index of a restored user snapshot not yet known to be on a quorum (0: none). */
  get unconfirmedRestoreIndex(): number {
    return this.userRestore && this.userRestore.meta.index > this.commit ? this.userRestore.meta.index : 0;
  }

  latestConfiguration(): { config: Configuration; index: number } {
    return this.configs.latest();
  }

  committedConfiguration(): { config: Configuration; index: number } {
    return this.configs.at(this.commit);
  }

  hasState(): boolean {
    return this.term > 0 || this.log.lastIndex() > 0 || this.snapshotMeta !== null;
  }

  /** The metadata a snapshot of the FSM at `index` (already handed out) must carry. */
  snapshotMetaAt(index: number): SnapshotMeta {
    invariant(index <= this.handed, () => `snapshot at ${index} beyond handed ${this.handed}`);
    const term = this.log.term(index);
    invariant(term !== undefined, () => `snapshot at ${index}: term unknown (compacted to ${this.log.compactedIndex})`);
    const c = this.configs.at(index);
    return { index, term, configuration: c.config, configurationIndex: c.index };
  }

  progressOf(id: ServerId): Readonly<Progress> | undefined {
    return this.progress.get(id);
  }

  private softState(): SoftState {
    return { role: this.role, leaderId: this.leaderId, term: this.term };
  }

  private promotable(): boolean {
    return isVoter(this.configs.latest().config, this.id);
  }

  // ---- inputs -------------------------------------------------------------

  /** Writes the first configuration of a new cluster (index 1, term 1) on a node without state. */
  bootstrap(config: Configuration): void {
    invariant(!this.hasState(), 'bootstrap on a node that already has state');
    invariant(config.servers.length > 0, 'bootstrap with an empty configuration');
    const entry: Entry = { index: 1, term: 1, kind: EntryKind.Configuration, data: null, config };
    this.term = 1;
    this.log.append(entry);
    this.configs.onAppend([entry]);
    this.resetElectionTimer();
  }

  tick(): void {
    if (this.role === 'leader') {
      this.tickLeader();
    } else {
      this.electionElapsedTicks++;
      if (!this.promotable()) return;
      const soleVoter = voters(this.configs.latest().config).length === 1;
      if (soleVoter || this.electionElapsedTicks >= this.randomizedElectionTimeoutTicks) {
        this.campaign(false);
      }
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsedTicks++;
    this.electionElapsedTicks++;
    if (this.transferTarget !== null) {
      this.transferElapsedTicks++;
      if (this.transferElapsedTicks >= this.opts.electionTimeoutTicks) {
        this.events.push({ kind: 'transfer_aborted', target: this.transferTarget });
        this.transferTarget = null;
      }
    }
    for (const [id, pr] of this.progress) {
      if (pr.state === 'snapshot' && ++pr.snapshotElapsedTicks >= this.opts.snapshotTimeoutTicks) {
        pr.becomeProbe();
        this.maybeSendAppend(id, true);
      }
    }
    if (this.electionElapsedTicks >= this.opts.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (this.opts.checkQuorum && !this.quorumActive()) {
        this.events.push({ kind: 'stepped_down', reason: 'quorum_lost' });
        this.becomeFollower(this.term, null);
        return;
      }
      for (const pr of this.progress.values()) pr.recentActive = false;
    }
    if (this.heartbeatElapsedTicks >= this.opts.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      this.broadcastHeartbeat();
    }
  }

  private quorumActive(): boolean {
    const vs = voters(this.configs.latest().config);
    let active = 0;
    for (const v of vs) {
      if (v === this.id || this.progress.get(v)?.recentActive) active++;
    }
    return active >= quorumSize(vs.length);
  }

  step(m: Message): void {
    invariant(m.to === this.id, () => `message for ${m.to} stepped into ${this.id}`);
    if (m.from === this.id) return;
    if (m.term > this.term) {
      if (m.type === 'prevote' || m.type === 'vote') {
        const transfer = m.type === 'vote' && m.transfer;
        // Leader stickiness: while a leader is heard from, a rejoining node cannot disturb it.
        // The window ends 2 ticks before the shortest election timeout, so that a
        // follower that timed out is not refused by peers whose ticks run a little
        // behind its own (that refusal would cost a whole extra timeout). The leader itself
        // always refuses: it knows it leads, and steps down by itself when it loses its quorum.
        // Granting in those last 2 ticks of its check-quorum round let one follower that had
        // stalled past its timeout (a long pause of its own) depose a leader the rest still heard.
        const leaseTicks = Math.max(1, this.opts.electionTimeoutTicks - 2);
        const inLease = this.opts.checkQuorum && this.leaderId !== null && (this.role === 'leader' || this.electionElapsedTicks < leaseTicks);
        if (inLease && !transfer) return;
      }
      if (m.type === 'prevote' || (m.type === 'prevote_resp' && m.granted)) {
        // A pre-vote does not change terms: its term is the one the candidate would use.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        if (this.role === 'leader') this.events.push({ kind: 'stepped_down', reason: 'higher_term' });
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.opts.checkQuorum || this.opts.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // Tell a stale leader about the newer term so that it steps down.
        this.send({ type: 'append_resp', from: this.id, to: m.from, term: this.term, success: false, index: 0, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'prevote') {
        this.send({ type: 'prevote_resp', from: this.id, to: m.from, term: this.term, granted: false });
      }
      return;
    }

    switch (m.type) {
      case 'prevote':
      case 'vote':
        this.handleVoteRequest(m);
        return;
      case 'prevote_resp':
      case 'vote_resp':
        this.handleVoteResponse(m);
        return;
      case 'append':
        if (!this.acceptLeader(m.from)) return;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        if (!this.acceptLeader(m.from)) return;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        if (!this.acceptLeader(m.from)) return;
        this.handleSnapshot(m);
        return;
      case 'timeout_now':
        if (this.role !== 'leader' && this.promotable()) this.campaign(true);
        return;
      case 'append_resp':
        if (this.role === 'leader') this.handleAppendResponse(m);
        return;
      case 'heartbeat_resp':
        if (this.role === 'leader') this.handleHeartbeatResponse(m);
        return;
      case 'snapshot_resp':
        if (this.role === 'leader') this.handleSnapshotResponse(m);
        return;
    }
  }

  /** A leader's message of the current term: follow it. */
  private acceptLeader(from: ServerId): boolean {
    invariant(this.role !== 'leader', () => `two leaders in term ${this.term}: ${this.id} and ${from}`);
    if (this.role === 'candidate') this.becomeFollower(this.term, from);
    this.leaderId = from;
    this.electionElapsedTicks = 0;
    return true;
  }

  propose(kind: EntryKind.Command | EntryKind.Barrier | EntryKind.Noop, data: Uint8Array | null): ProposeResult {
    const refusal = this.refuseProposal();
    if (refusal) return refusal;
    return this.appendAsLeader(kind, data, undefined);
  }

  private refuseProposal(): ProposeResult | null {
    if (this.role !== 'leader') return { ok: false, reason: 'not_leader', leaderId: this.leaderId };
    if (this.transferTarget !== null) return { ok: false, reason: 'transfer_in_progress', leaderId: this.id };
    // Nothing may follow a restored snapshot in the log before the snapshot is on disk.
    if (this.userRestore !== null && !this.userRestore.durable) return { ok: false, reason: 'restore_in_progress', leaderId: this.id };
    if (this.log.lastIndex() - this.commit >= this.opts.maxUncommittedEntries) return { ok: false, reason: 'overloaded', leaderId: this.id };
    return null;
  }

  private appendAsLeader(kind: EntryKind, data: Uint8Array | null, config: Configuration | undefined): ProposeResult {
    const entry: Entry = config
      ? { index: this.log.lastIndex() + 1, term: this.term, kind, data, config }
      : { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.log.append(entry);
    if (config) {
      this.configs.onAppend([entry]);
      this.syncProgressWithConfiguration();
    }
    this.broadcastNeeded = true;
    // A single voter commits as soon as its own write is durable (see advance()).
    return { ok: true, index: entry.index, term: entry.term };
  }

  changeMembership(change: MembershipChange): ProposeResult {
    const refusal = this.refuseProposal();
    if (refusal) return refusal;
    // Single-server changes are only safe once this leader has committed in its own term.
    if (this.log.term(this.commit) !== this.term) return { ok: false, reason: 'not_ready', leaderId: this.id };
    const latest = this.configs.latest();
    if (latest.index > this.commit) return { ok: false, reason: 'config_change_pending', leaderId: this.id };
    const next = applyChange(latest.config, change);
    if (typeof next === 'string') return { ok: false, reason: 'invalid', leaderId: this.id, detail: next };
    return this.appendAsLeader(EntryKind.Configuration, null, next);
  }

  /** Starts a ReadIndex round; the answer comes back in ready().readStates with the same ctx. */
  readIndex(ctx: number): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not_leader', leaderId: this.leaderId };
    if (this.reads.length + this.readsAwaitingTermCommit.length >= this.opts.maxPendingReads) {
      return { ok: false, reason: 'overloaded', leaderId: this.id };
    }
    if (this.log.term(this.commit) !== this.term) {
      // Until it commits in its own term, a new leader does not know the latest commit index.
      this.readsAwaitingTermCommit.push(ctx);
    } else {
      this.registerRead(ctx);
    }
    return { ok: true, index: this.commit, term: this.term };
  }

  private registerRead(ctx: number): void {
    this.reads.push({ ctx, index: this.commit, seq: this.heartbeatSeq + 1 });
    this.readRoundNeeded = true;
    this.releaseReads();
  }

  /**
   * The driver learned that the leader is most likely gone (its connection closed). Rather than a
   * whole election timeout, this follower forgets the leader (so that its peers' pre-votes are no
   * longer refused for the leader's lease) and stands after a short random pause, so that two
   * followers that learned it together rarely split their votes. A false alarm costs a pre-vote
   * that fails while the others still hear the leader, which then reaches this one again.
   */
  leaderUnreachable(): boolean {
    if (this.role !== 'follower' || this.leaderId === null) return false;
    this.leaderId = null;
    const pauseTicks = 1 + this.rng.nextInt(Math.max(1, Math.floor(this.opts.electionTimeoutTicks / 2)));
    this.electionElapsedTicks = Math.max(this.electionElapsedTicks, this.randomizedElectionTimeoutTicks - pauseTicks);
    return true;
  }

  /**
   * Stands for election now instead of at the election timeout (with a pre-vote when enabled, so
   * a live leader is never disturbed). For the one server of a freshly bootstrapped cluster that
   * is meant to go first: the others still wait their randomized timeout, so votes do not split.
   * Returns false when a leader is known (this node or another) or this node may not vote.
   */
  campaignNow(): boolean {
    if (this.role === 'leader' || this.leaderId !== null || !this.promotable()) return false;
    this.campaign(false);
    return true;
  }

  transferLeadership(target: ServerId | null): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not_leader', leaderId: this.leaderId };
    if (this.transferTarget !== null) return { ok: false, reason: 'transfer_in_progress', leaderId: this.id };
    if (this.unconfirmedRestoreIndex > 0) return { ok: false, reason: 'restore_in_progress', leaderId: this.id };
    const config = this.configs.latest().config;
    let chosen = target;
    if (chosen === null) {
      let best = -1;
      for (const id of voters(config)) {
        const pr = this.progress.get(id);
        if (id !== this.id && pr && pr.match > best) {
          best = pr.match;
          chosen = id;
        }
      }
    }
    if (chosen === null || chosen === this.id || !isVoter(config, chosen)) {
      return { ok: false, reason: 'invalid', leaderId: this.id, detail: `no voter to transfer leadership to (${String(chosen)})` };
    }
    this.transferTarget = chosen;
    this.transferElapsedTicks = 0;
    const pr = this.progress.get(chosen) as Progress;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(chosen);
    else this.maybeSendAppend(chosen, true);
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  /**
   * Replaces the state with a snapshot from outside (an operator's backup), on the leader: the
   * snapshot takes an index beyond both the log and `minIndex` (the index the snapshot's state
   * was taken at, so the state's own indexes never run ahead of the log), in the current term,
   * with the latest configuration. The log before it is dropped; followers behind it get the
   * snapshot by the usual install. Only once the whole log is committed and applied, so that
   * nothing is lost but what the snapshot replaces. The driver then restores its state machine,
   * makes the snapshot durable and calls userRestoreDurable(); the restore is done once the
   * commit index reaches meta.index. A durable snapshot at the commit index must exist (the
   * driver takes one first): should leadership pass to a server without the restored snapshot
   * before a quorum holds it, this server goes back to that one (Ready.rollback).
   */
  restoreUserSnapshot(minIndex: number): RestoreResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not_leader', leaderId: this.leaderId };
    if (this.transferTarget !== null) return { ok: false, reason: 'transfer_in_progress', leaderId: this.id };
    if (this.userRestore !== null) return { ok: false, reason: 'restore_in_progress', leaderId: this.id };
    if (this.log.term(this.commit) !== this.term || this.commit !== this.log.lastIndex() || this.handed !== this.commit) {
      return { ok: false, reason: 'not_ready', leaderId: this.id };
    }
    const fallback = this.snapshotMeta;
    if (fallback === null || fallback.index !== this.commit) return { ok: false, reason: 'not_ready', leaderId: this.id };
    const latest = this.configs.latest();
    const index = Math.max(this.log.lastIndex(), minIndex) + 1;
    const meta: SnapshotMeta = { index, term: this.term, configuration: latest.config, configurationIndex: latest.index };
    this.log.restore(index, this.term);
    this.configs.reset(latest.config, latest.index);
    this.snapshotMeta = meta;
    this.handed = index;
    this.userRestore = { meta, durable: false, fallback, marker: { index, term: this.term, fallback } };
    // Every follower is now behind the log's start: the next message to each is the snapshot.
    for (const pr of this.progress.values()) {
      pr.becomeProbe();
      pr.next = Math.min(pr.next, index);
    }
    this.broadcastNeeded = true;
    return { ok: true, meta };
  }

  /** The driver holds the snapshot's bytes: hand it out for install (false when the restore is gone). */
  userRestoreStaged(meta: SnapshotMeta): boolean {
    const r = this.userRestore;
    if (!r || r.meta !== meta || r.durable) return false;
    this.pendingInstall = meta;
    return true;
  }

  /** The restored snapshot is durable here: it counts for this server, and proposals may follow it. */
  userRestoreDurable(meta: SnapshotMeta): void {
    const r = this.userRestore;
    if (!r || r.meta.index !== meta.index || r.meta.term !== meta.term) return;
    r.durable = true;
    if (this.role === 'leader' && this.maybeCommit()) this.broadcastAppend(true);
  }

  /** The driver has made a snapshot durable; the log before it may be compacted. */
  snapshotDone(meta: SnapshotMeta, trailingLogs: number, trailingMaxBytes = Number.POSITIVE_INFINITY): void {
    if (this.snapshotMeta && meta.index <= this.snapshotMeta.index) return;
    invariant(meta.index <= this.handed, () => `snapshot ${meta.index} beyond applied ${this.handed}`);
    invariant(this.log.term(meta.index) === undefined || this.log.term(meta.index) === meta.term, 'snapshot term differs from the log');
    this.snapshotMeta = meta;
    const compactTo = Math.min(this.trailingStart(meta.index, trailingLogs, trailingMaxBytes), this.log.stableIndex);
    if (compactTo > this.log.compactedIndex) {
      this.log.compact(compactTo);
      this.configs.onCompact(compactTo);
      this.compactTo = compactTo;
    }
  }

  /** The last index to compact so that at most `count` entries and `maxBytes` of payload stay behind `snapshotIndex`. */
  private trailingStart(snapshotIndex: number, count: number, maxBytes: number): number {
    const byCount = snapshotIndex - count;
    let bytes = 0;
    for (let i = snapshotIndex; i > Math.max(byCount, this.log.compactedIndex); i--) {
      bytes += this.log.entry(i)?.data?.length ?? 0;
      if (bytes > maxBytes) return i;
    }
    return byCount;
  }

  /**
   * The transport is done with a snapshot for `to`, delivered or not: the leader goes back to
   * probing. When it failed, probing finds what the follower still lacks. When it was delivered,
   * the receiver took the upload and stepped it, so appends sent from now on reach it after the
   * snapshot: the leader probes from there at once, as etcd's ReportSnapshot does, instead of
   * waiting for the receiver's answer message. That one-way message may be lost, and the follower
   * would then get no entries until the snapshot timeout (a minute) made the leader probe.
   */
  reportSnapshotEnded(to: ServerId): void {
    const pr = this.progress.get(to);
    if (this.role === 'leader' && pr && pr.state === 'snapshot') pr.becomeProbe();
  }

  // ---- elections ----------------------------------------------------------

  private resetElectionTimer(): void {
    this.electionElapsedTicks = 0;
    const e = this.opts.electionTimeoutTicks;
    this.randomizedElectionTimeoutTicks = e + this.rng.nextInt(e);
  }

  private campaign(transfer: boolean): void {
    this.role = 'candidate';
    this.leaderId = null;
    this.votes = new Map();
    this.progress.clear();
    this.failReads();
    this.resetElectionTimer();
    let voteTerm: number;
    if (this.opts.preVote && !transfer) {
      this.preCandidate = true;
      voteTerm = this.term + 1;
    } else {
      this.preCandidate = false;
      this.term++;
      this.vote = this.id;
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.tallyVotes()) return;
    for (const id of voters(this.configs.latest().config)) {
      if (id === this.id) continue;
      const base = { from: this.id, to: id, term: voteTerm, lastLogIndex: this.log.lastIndex(), lastLogTerm: this.log.lastTerm() };
      if (this.preCandidate) this.send({ type: 'prevote', ...base } satisfies PreVoteRequest);
      else this.send({ type: 'vote', ...base, transfer } satisfies VoteRequest);
    }
  }

  /** Returns true when the campaign is decided (won or lost). */
  private tallyVotes(): boolean {
    const vs = voters(this.configs.latest().config);
    let granted = 0;
    let rejected = 0;
    for (const v of vs) {
      const g = this.votes.get(v);
      if (g === true) granted++;
      else if (g === false) rejected++;
    }
    const q = quorumSize(vs.length);
    if (granted >= q) {
      if (this.preCandidate) this.campaign(true);
      else this.becomeLeader();
      return true;
    }
    if (rejected >= q) {
      this.becomeFollower(this.term, null);
      return true;
    }
    return false;
  }

  private handleVoteRequest(m: PreVoteRequest | VoteRequest): void {
    const isPre = m.type === 'prevote';
    const canVote = this.vote === m.from || (this.vote === null && this.leaderId === null) || (isPre && m.term > this.term);
    const granted = canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    if (granted && !isPre) {
      this.vote = m.from;
      this.electionElapsedTicks = 0;
    }
    this.send({ type: isPre ? 'prevote_resp' : 'vote_resp', from: this.id, to: m.from, term: granted ? m.term : this.term, granted });
  }

  private handleVoteResponse(m: VoteResponse): void {
    if (this.role !== 'candidate') return;
    if ((m.type === 'prevote_resp') !== this.preCandidate) return;
    this.votes.set(m.from, m.granted);
    this.tallyVotes();
  }

  private becomeFollower(term: number, leaderId: ServerId | null): void {
    if (term > this.term) {
      this.term = term;
      this.vote = null;
    }
    this.role = 'follower';
    this.preCandidate = false;
    this.leaderId = leaderId;
    this.progress.clear();
    this.transferTarget = null;
    this.broadcastNeeded = false;
    this.failReads();
    this.resetElectionTimer();
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate' && !this.preCandidate, 'only a candidate becomes leader');
    this.role = 'leader';
    this.leaderId = this.id;
    this.transferTarget = null;
    this.heartbeatElapsedTicks = 0;
    this.electionElapsedTicks = 0;
    this.progress.clear();
    this.syncProgressWithConfiguration();
    this.appendAsLeader(EntryKind.Noop, null, undefined);
  }

  private failReads(): void {
    for (const r of this.reads) this.droppedReads.push(r.ctx);
    this.droppedReads.push(...this.readsAwaitingTermCommit);
    this.reads = [];
    this.readsAwaitingTermCommit = [];
    this.readRoundNeeded = false;
  }

  // ---- replication (follower side) ----------------------------------------

  private handleAppend(m: AppendRequest): void {
    if (m.prevIndex < this.commit) {
      this.sendAppendResponse(m.from, true, this.commit, 0, 0);
      return;
    }
    if (m.prevIndex < this.log.compactedIndex) {
      // Only a restored user snapshot not known committed starts the log beyond the commit
      // index. A leader holding it has nothing below it to send, so this append was sent before
      // the restore (a late copy from the leader of the restore's term: ignored) or by a leader
      // of a later term without it, which proves it was never committed: go back to the state
      // before it.
      const r = this.userRestore;
      invariant(r !== null, () => `${this.id}: log starts at ${this.log.compactedIndex} beyond commit ${this.commit} without a restore`);
      if (m.term <= r.meta.term) return;
      this.rollbackRestore(r.fallback, m.from);
    }
    if (this.log.term(m.prevIndex) !== m.prevTerm) {
      const hintIndex = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex()), m.prevTerm);
      this.sendAppendResponse(m.from, false, m.prevIndex, hintIndex, this.log.term(hintIndex) ?? 0);
      return;
    }
    const lastNew = m.prevIndex + m.entries.length;
    let conflict = -1;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i] as Entry;
      if (this.log.term(e.index) !== e.term) {
        conflict = i;
        break;
      }
    }
    if (conflict >= 0) {
      const fresh = m.entries.slice(conflict);
      const from = (fresh[0] as Entry).index;
      invariant(from > this.commit, () => `${this.id}: entry ${from} conflicts but is committed (commit ${this.commit})`);
      if (from <= this.log.lastIndex()) this.configs.onTruncate(from);
      this.log.truncateAndAppend(fresh);
      this.configs.onAppend(fresh);
    }
    this.commitTo(Math.min(m.commit, lastNew));
    this.sendAppendResponse(m.from, true, lastNew, 0, 0);
  }

  private sendAppendResponse(to: ServerId, success: boolean, index: number, hintIndex: number, hintTerm: number): void {
    this.send({ type: 'append_resp', from: this.id, to, term: this.term, success, index, hintIndex, hintTerm } satisfies AppendResponse);
  }

  /** Back to the committed state before a restored snapshot that a quorum never held. */
  private rollbackRestore(fallback: SnapshotMeta, leader: ServerId): void {
    invariant(fallback.index === this.commit, () => `${this.id}: rollback to ${fallback.index} with commit ${this.commit}`);
    this.events.push({ kind: 'restore_lost', index: this.log.compactedIndex, leader, fallbackIndex: fallback.index });
    this.log.restore(fallback.index, fallback.term);
    this.configs.reset(fallback.configuration, fallback.configurationIndex);
    this.handed = fallback.index;
    this.snapshotMeta = fallback;
    this.pendingInstall = null;
    this.pendingRollback = fallback;
    this.userRestore = null;
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    this.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeat_resp', from: this.id, to: m.from, term: this.term, seq: m.seq } satisfies HeartbeatResponse);
  }

  private handleSnapshot(m: SnapshotRequest): void {
    const meta = m.meta;
    if (meta.index <= this.commit) {
      this.send({ type: 'snapshot_resp', from: this.id, to: m.from, term: this.term, success: true, index: this.commit });
      return;
    }
    // A request without the leader's commit index (from a build before restores) is committed state.
    const leaderCommit = typeof m.commit === 'number' ? m.commit : meta.index;
    const committed = meta.index <= leaderCommit;
    if (this.log.term(meta.index) === meta.term) {
      // We already hold the entries the snapshot covers: just learn what is committed.
      this.commitTo(Math.min(meta.index, leaderCommit));
    } else if (committed) {
      this.log.restore(meta.index, meta.term);
      this.configs.reset(meta.configuration, meta.configurationIndex);
      this.commit = meta.index;
      this.handed = meta.index;
      this.snapshotMeta = meta;
      this.pendingInstall = meta;
      // A committed snapshot replaces any restore of ours it goes past.
      this.userRestore = null;
    } else {
      // A user snapshot the leader restored and no quorum is known to hold: install it, but keep
      // the way back to a durable snapshot of everything applied and committed here (the driver
      // takes one before it steps the request in). Without one, the leader tries again.
      const fallback = this.snapshotMeta;
      if (this.userRestore !== null || fallback === null || this.handed !== this.commit || fallback.index !== this.commit) {
        this.send({ type: 'snapshot_resp', from: this.id, to: m.from, term: this.term, success: false, index: this.commit });
        return;
      }
      this.log.restore(meta.index, meta.term);
      this.configs.reset(meta.configuration, meta.configurationIndex);
      this.handed = meta.index;
      this.snapshotMeta = meta;
      this.pendingInstall = meta;
      this.userRestore = { meta, durable: true, fallback, marker: { index: meta.index, term: meta.term, fallback } };
    }
    this.send({ type: 'snapshot_resp', from: this.id, to: m.from, term: this.term, success: true, index: meta.index } satisfies SnapshotResponse);
  }

  private commitTo(index: number): void {
    // Below a restored snapshot not yet known committed the log holds nothing: the commit index
    // stays at the fallback until it reaches the snapshot.
    if (this.userRestore && index < this.userRestore.meta.index) return;
    if (index > this.commit) {
      invariant(index <= this.log.lastIndex(), () => `commit ${index} beyond last index ${this.log.lastIndex()}`);
      this.commit = index;
      if (this.userRestore && this.commit >= this.userRestore.meta.index) this.userRestore = null;
    }
  }

  // ---- replication (leader side) ------------------------------------------

  private syncProgressWithConfiguration(): void {
    const config = this.configs.latest().config;
    for (const s of config.servers) {
      if (s.id !== this.id && !this.progress.has(s.id)) {
        const pr = new Progress(this.log.lastIndex() + 1, this.opts.maxInflightAppends);
        pr.recentActive = true;
        this.progress.set(s.id, pr);
      }
    }
    for (const id of [...this.progress.keys()]) {
      if (!findServer(config, id)) this.progress.delete(id);
    }
  }

  private handleAppendResponse(m: AppendResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (!m.success) {
      const hint = m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.maybeSendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshotIndex) pr.becomeReplicate();
      else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
      if (this.maybeCommit()) {
        this.broadcastAppend(true);
      } else if (wasPaused || pr.next <= this.log.lastIndex()) {
        this.sendBacklog(m.from);
      }
      if (m.from === this.transferTarget && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.maybeSendAppend(m.from, true);
    if (m.seq > pr.ackedSeq) {
      pr.ackedSeq = m.seq;
      this.releaseReads();
    }
  }

  private handleSnapshotResponse(m: SnapshotResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (pr.state !== 'snapshot') return;
    if (m.success) {
      pr.maybeUpdate(m.index);
      pr.becomeReplicate();
      this.maybeCommit();
      this.sendBacklog(m.from);
    } else {
      pr.becomeProbe();
      this.maybeSendAppend(m.from, true);
    }
  }

  private maybeCommit(): boolean {
    const vs = voters(this.configs.latest().config);
    if (vs.length === 0) return false;
    const matches = vs.map((v) => (v === this.id ? this.selfMatch() : (this.progress.get(v)?.match ?? 0)));
    matches.sort((a, b) => b - a);
    const candidate = matches[quorumSize(vs.length) - 1] as number;
    // Only entries of the current term are committed by counting (Raft paper, section 5.4.2).
    if (candidate <= this.commit || this.log.term(candidate) !== this.term) return false;
    const firstCommitInTerm = this.log.term(this.commit) !== this.term;
    this.commit = candidate;
    if (firstCommitInTerm && this.readsAwaitingTermCommit.length > 0) {
      const waiting = this.readsAwaitingTermCommit;
      this.readsAwaitingTermCommit = [];
      for (const ctx of waiting) this.registerRead(ctx);
    }
    this.afterCommit();
    return true;
  }

  private restoreMarker(): UnconfirmedRestore | null {
    return this.userRestore?.marker ?? null;
  }

  /** The durable state as of now (what the next Ready's hardState would say). */
  currentHardState(): HardState {
    return { term: this.term, vote: this.vote, restore: this.restoreMarker() };
  }

  /** How far this server's own log is durable, for counting a quorum. */
  private selfMatch(): number {
    const r = this.userRestore;
    if (r && !r.durable) return Math.min(this.log.stableIndex, r.meta.index - 1);
    return this.log.stableIndex;
  }

  private afterCommit(): void {
    if (this.userRestore && this.commit >= this.userRestore.meta.index) this.userRestore = null;
    const latest = this.configs.latest();
    if (latest.index <= this.commit && !isVoter(latest.config, this.id)) {
      // Removed: the change is committed, the remaining servers elect a leader among themselves.
      this.events.push({ kind: 'stepped_down', reason: 'removed' });
      this.becomeFollower(this.term, null);
    }
  }

  private sendBacklog(to: ServerId): void {
    for (let guard = 0; guard < this.opts.maxInflightAppends + 1; guard++) {
      const pr = this.progress.get(to);
      if (!pr || pr.next > this.log.lastIndex() || !this.maybeSendAppend(to, false)) return;
    }
  }

  private broadcastAppend(sendIfEmpty: boolean): void {
    for (const id of this.progress.keys()) {
      if (!this.maybeSendAppend(id, sendIfEmpty)) continue;
      this.sendBacklog(id);
    }
  }

  private maybeSendAppend(to: ServerId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);
    const entries = pr.next <= this.log.lastIndex()
      ? this.log.slice(pr.next, this.log.lastIndex(), this.opts.maxEntriesPerAppend, this.opts.maxBytesPerAppend)
      : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.commit } satisfies AppendRequest);
    if (entries.length > 0) {
      const last = (entries[entries.length - 1] as Entry).index;
      if (pr.state === 'replicate') {
        pr.next = last + 1;
        pr.inflights.add(last);
      } else {
        pr.probeSent = true;
      }
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: ServerId, pr: Progress): boolean {
    const meta = this.snapshotMeta;
    invariant(meta !== null && meta.index >= this.log.compactedIndex, 'log compacted without a snapshot covering it');
    pr.becomeSnapshot(meta.index);
    this.send({ type: 'snapshot', from: this.id, to, term: this.term, meta, commit: this.commit } satisfies SnapshotRequest);
    return true;
  }

  private sendTimeoutNow(to: ServerId): void {
    this.send({ type: 'timeout_now', from: this.id, to, term: this.term });
  }

  private broadcastHeartbeat(): void {
    this.heartbeatSeq++;
    this.readRoundNeeded = false;
    for (const [id, pr] of this.progress) {
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr.match, this.commit), seq: this.heartbeatSeq });
    }
    this.releaseReads();
  }

  private releaseReads(): void {
    if (this.reads.length === 0) return;
    const vs = voters(this.configs.latest().config);
    const acked = vs.map((v) => (v === this.id ? this.heartbeatSeq : (this.progress.get(v)?.ackedSeq ?? 0)));
    acked.sort((a, b) => b - a);
    const quorumSeq = acked[quorumSize(vs.length) - 1] ?? 0;
    let n = 0;
    while (n < this.reads.length && (this.reads[n] as PendingRead).seq <= quorumSeq) {
      const r = this.reads[n] as PendingRead;
      this.readStates.push({ ctx: r.ctx, index: r.index });
      n++;
    }
    if (n > 0) this.reads.splice(0, n);
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }

  // ---- output -------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.msgs.length > 0 || this.broadcastNeeded || this.readRoundNeeded || this.pendingInstall !== null || this.pendingRollback !== null ||
      this.readStates.length > 0 || this.droppedReads.length > 0 || this.events.length > 0 || this.compactTo > 0 ||
      this.log.hasUnhandedEntries() || this.handed < Math.min(this.commit, this.log.stableIndex) ||
      this.term !== this.lastHardState.term || this.vote !== this.lastHardState.vote || this.restoreMarker() !== (this.lastHardState.restore ?? null) ||
      this.role !== this.lastSoftState.role || this.leaderId !== this.lastSoftState.leaderId || this.term !== this.lastSoftState.term
    );
  }

  ready(): Ready {
    if (this.role === 'leader') {
      if (this.broadcastNeeded) this.broadcastAppend(false);
      if (this.readRoundNeeded) this.broadcastHeartbeat();
    }
    this.broadcastNeeded = false;
    this.readRoundNeeded = false;
    let hardState: HardState | null = null;
    const marker = this.restoreMarker();
    if (this.term !== this.lastHardState.term || this.vote !== this.lastHardState.vote || marker !== (this.lastHardState.restore ?? null)) {
      hardState = { term: this.term, vote: this.vote, restore: marker };
      this.lastHardState = hardState;
    }
    let softState: SoftState | null = null;
    const ss = this.softState();
    if (ss.role !== this.lastSoftState.role || ss.leaderId !== this.lastSoftState.leaderId || ss.term !== this.lastSoftState.term) {
      softState = ss;
      this.lastSoftState = ss;
    }
    const committedTo = Math.min(this.commit, this.log.stableIndex);
    const committed = committedTo > this.handed ? this.log.slice(this.handed + 1, committedTo) : [];
    if (committed.length > 0) this.handed = (committed[committed.length - 1] as Entry).index;
    const rd: Ready = {
      softState,
      hardState,
      rollback: this.pendingRollback,
      snapshot: this.pendingInstall,
      entries: this.log.takeEntriesToWrite(),
      messages: this.msgs,
      committed,
      readStates: this.readStates,
      droppedReads: this.droppedReads,
      compactLogTo: this.compactTo,
      events: this.events,
    };
    this.pendingInstall = null;
    this.pendingRollback = null;
    this.msgs = [];
    this.readStates = [];
    this.droppedReads = [];
    this.events = [];
    this.compactTo = 0;
    return rd;
  }

  /**
   * The driver has acted on `rd`: its committed entries are applied, and `durable` (its entries,
   * unless the driver writes them while it goes on: see entriesDurable) are on disk.
   */
  advance(rd: Ready, durable: readonly Entry[] = rd.entries): void {
    this.entriesDurable(durable);
  }

  /**
   * Entries handed out by ready() are now durable here: those still in the log count towards the
   * commit index (a leader's own vote in its quorum).
   */
  entriesDurable(written: readonly Entry[]): void {
    if (written.length === 0) return;
    this.log.stableTo(written);
    if (this.role === 'leader' && this.maybeCommit()) this.broadcastAppend(true);
  }
}
