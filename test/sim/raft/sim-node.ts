// One simulated server: the pure core plus a synchronous stand-in for the
// driver that follows the same rules (persist, then send, then apply; advance
// after), with disk latency during which a crash loses or tears the write.
import { RaftCore, DEFAULT_CORE_OPTIONS } from '../../../src/raft/core.js';
import type { CoreOptions, ProposeResult } from '../../../src/raft/core.js';
import type { MembershipChange } from '../../../src/raft/configuration.js';
import { invariant } from '../../../src/raft/invariant.js';
import type { Ready } from '../../../src/raft/ready.js';
import { SeededRng } from '../../../src/raft/rng.js';
import type { Configuration, Entry, Message, ServerId, SnapshotMeta } from '../../../src/raft/types.js';
import { EntryKind } from '../../../src/raft/types.js';
import type { ClockedEventQueue } from '../event-queue.js';
import { KvFsm, decodeKvCommand, encodeKvCommand } from './kv-fsm.js';
import type { SafetyChecker } from './safety-checker.js';
import { chainDigest } from './digest.js';
import { SimDisk } from './sim-disk.js';
import type { SimSnapshot } from './sim-disk.js';
import type { SimNetwork } from './sim-network.js';

export interface SimNodeParams {
  readonly tickMs: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly minDiskLatencyMs: number;
  readonly maxDiskLatencyMs: number;
  readonly snapshotThresholdEntries: number;
  readonly trailingLogs: number;
  readonly maxEntriesPerAppend: number;
  readonly maxInflightAppends: number;
}

export interface SimContext {
  readonly queue: ClockedEventQueue;
  readonly network: SimNetwork;
  readonly checker: SafetyChecker;
  readonly rng: SeededRng;
  readonly params: SimNodeParams;
  node(id: ServerId): SimNode | undefined;
}

export type PutOutcome = 'ok' | 'failed';

interface PendingPut {
  readonly term: number;
  readonly done: (outcome: PutOutcome) => void;
}

interface WaitingRead {
  readonly index: number;
  readonly done: (value: string | null | undefined) => void;
  readonly key: string;
}

export class SimNode {
  readonly disk: SimDisk;
  core: RaftCore | null = null;
  private fsm = new KvFsm();
  applied = 0;
  /** Bumped at every crash so that events of the previous life are ignored. */
  private generation = 0;
  private busy = false;
  private inflight: Ready | null = null;
  private readonly incoming = new Map<string, SimSnapshot>();
  private pendingPuts = new Map<number, PendingPut>();
  private readCtx = 0;
  private pendingReads = new Map<number, { key: string; done: (value: string | null | undefined) => void }>();
  private waitingReads: WaitingRead[] = [];
  /** A user snapshot being restored here: its bytes are not durable yet. */
  private restoring: SimSnapshot | null = null;
  private restoreDone: { index: number; done: (outcome: PutOutcome) => void } | null = null;
  crashes = 0;
  rollbacks = 0;

  constructor(readonly id: ServerId, private readonly ctx: SimContext, private readonly seed: number) {
    this.disk = new SimDisk((index, term, chain) => ctx.checker.onDurableEntry(id, index, term, chain));
  }

  /** The state machine's contents, sorted (for comparing servers). */
  contents(): [string, string][] {
    return this.fsm.snapshot().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  get up(): boolean {
    return this.core !== null;
  }

  start(bootstrap: Configuration | null): void {
    invariant(this.core === null, `${this.id} already running`);
    const restore = this.disk.recover();
    const p = this.ctx.params;
    const options: CoreOptions = {
      ...DEFAULT_CORE_OPTIONS,
      id: this.id,
      electionTimeoutTicks: p.electionTimeoutTicks,
      heartbeatIntervalTicks: p.heartbeatIntervalTicks,
      maxEntriesPerAppend: p.maxEntriesPerAppend,
      maxInflightAppends: p.maxInflightAppends,
      snapshotTimeoutTicks: p.electionTimeoutTicks * 5,
      rng: new SeededRng(this.seed * 7919 + this.crashes),
    };
    this.core = new RaftCore(options, restore);
    const snap = this.disk.snapshot;
    this.fsm = snap ? KvFsm.restore(snap.kv) : new KvFsm();
    this.applied = snap ? snap.meta.index : 0;
    this.ctx.checker.onFsmRestored(this.id, this.applied);
    this.ctx.checker.onRestart(this.id, this.core.commitIndex);
    if (bootstrap && !this.core.hasState()) this.core.bootstrap(bootstrap);
    const gen = this.generation;
    // Nodes tick out of phase, as real clocks do.
    this.ctx.queue.after(1 + this.ctx.rng.nextInt(p.tickMs), () => this.tickLoop(gen));
    this.pump();
  }

  private tickLoop(gen: number): void {
    if (gen !== this.generation || !this.core) return;
    this.core.tick();
    this.pump();
    this.ctx.queue.after(this.ctx.params.tickMs, () => this.tickLoop(gen));
  }

  crash(): void {
    if (!this.core) return;
    const rd = this.inflight;
    if (rd) this.tornWrite(rd);
    this.core = null;
    this.generation++;
    this.crashes++;
    this.busy = false;
    this.inflight = null;
    this.incoming.clear();
    // Clients of a crashed node hear nothing: their outcome stays unknown.
    this.pendingPuts.clear();
    this.pendingReads.clear();
    this.waitingReads = [];
    this.restoring = null;
    this.restoreDone = null;
    this.ctx.checker.onCrash(this.id);
  }

  /** A crash during a write keeps a prefix of its steps, in the driver's order. */
  private tornWrite(rd: Ready): void {
    const steps: (() => void)[] = [];
    if (rd.rollback) {
      const back = rd.rollback;
      steps.push(() => this.disk.discardAbove(back.index));
      steps.push(() => this.rollbackLog(back));
    }
    if (rd.hardState) {
      const hs = rd.hardState;
      steps.push(() => {
        this.disk.hardState = hs;
      });
    }
    if (rd.snapshot) {
      const snap = this.takeIncoming(rd.snapshot.index, rd.snapshot.term);
      steps.push(() => this.disk.installSnapshot(snap));
      steps.push(() => this.disk.resetLog(snap));
    }
    for (const e of rd.entries) steps.push(() => this.disk.writeEntries([e]));
    const keep = this.ctx.rng.nextInt(steps.length + 1);
    for (let i = 0; i < keep; i++) (steps[i] as () => void)();
  }

  private takeIncoming(index: number, term: number): SimSnapshot {
    const snap = this.incoming.get(`${index}:${term}`);
    invariant(snap !== undefined, `${this.id}: installing snapshot ${index}/${term} never received`);
    return snap;
  }

  receive(m: Message, attached: SimSnapshot | null): void {
    const core = this.core;
    if (!core) return;
    if (m.type === 'snapshot') {
      invariant(attached !== null, 'snapshot message without data');
      // As the real driver: a snapshot not known committed is taken only with a way back.
      if (m.commit !== undefined && m.meta.index > m.commit && !this.busy) this.snapshotNow();
      this.incoming.set(`${attached.meta.index}:${attached.meta.term}`, attached);
      if (this.incoming.size > 4) this.incoming.delete(this.incoming.keys().next().value as string);
    }
    core.step(m);
    this.pump();
  }

  propose(value: { key: string; value: string }, done: (outcome: PutOutcome) => void): ProposeResult {
    const core = this.core;
    if (!core) return { ok: false, reason: 'not_leader', leaderId: null };
    const r = core.propose(EntryKind.Command, encodeKvCommand(value));
    if (r.ok) this.pendingPuts.set(r.index, { term: r.term, done });
    this.pump();
    return r;
  }

  read(key: string, done: (value: string | null | undefined) => void): ProposeResult {
    const core = this.core;
    if (!core) return { ok: false, reason: 'not_leader', leaderId: null };
    const ctx = ++this.readCtx;
    const r = core.readIndex(ctx);
    if (r.ok) this.pendingReads.set(ctx, { key, done });
    this.pump();
    return r;
  }

  changeMembership(change: MembershipChange): ProposeResult {
    const core = this.core;
    if (!core) return { ok: false, reason: 'not_leader', leaderId: null };
    const r = core.changeMembership(change);
    this.pump();
    return r;
  }

  transferLeadership(): ProposeResult {
    const core = this.core;
    if (!core) return { ok: false, reason: 'not_leader', leaderId: null };
    const r = core.transferLeadership(null);
    this.pump();
    return r;
  }

  /**
   * An operator's restore through this server (the leader): the state machine takes `kv` at
   * once, the snapshot is durable after a disk write, `done` hears whether a quorum got it.
   */
  restore(kv: readonly [string, string][], minIndex: number, done: (outcome: PutOutcome) => void): boolean {
    const core = this.core;
    if (!core || this.busy || this.restoring) return false;
    if (core.latestSnapshot?.index !== this.applied) this.snapshotNow();
    const r = core.restoreUserSnapshot(minIndex);
    if (!r.ok) return false;
    const snap: SimSnapshot = { meta: r.meta, kv: kv.slice(), chain: chainDigest(0x5eed, r.meta.index, r.meta.term) };
    this.fsm = KvFsm.restore(snap.kv);
    this.applied = r.meta.index;
    this.ctx.checker.onFsmRestored(this.id, this.applied);
    this.restoring = snap;
    this.restoreDone = { index: r.meta.index, done };
    const gen = this.generation;
    const p = this.ctx.params;
    this.ctx.queue.after(p.minDiskLatencyMs + this.ctx.rng.nextInt(p.maxDiskLatencyMs - p.minDiskLatencyMs + 1), () => {
      if (gen !== this.generation || !this.core) return;
      this.restoring = null;
      // Gone meanwhile (rolled back, or replaced by a newer committed snapshot): nothing to write.
      if (this.core.log.compactedIndex !== snap.meta.index || this.core.log.compactedTerm !== snap.meta.term) return;
      // The unconfirmed-restore marker goes to disk with the snapshot, never after it.
      this.disk.hardState = this.core.currentHardState();
      this.disk.installSnapshot(snap);
      this.disk.resetLog(snap);
      this.core.userRestoreDurable(snap.meta);
      this.pump();
    });
    this.pump();
    return true;
  }

  private settleRestore(): void {
    const r = this.restoreDone;
    const core = this.core;
    if (!r || !core) return;
    if (core.commitIndex >= r.index) {
      this.restoreDone = null;
      r.done('ok');
    } else if (core.currentRole !== 'leader') {
      // Whether it survives is for the next leader to tell: the outcome stays unknown.
      this.restoreDone = null;
    }
  }

  private rollbackLog(meta: SnapshotMeta): void {
    const snap = this.disk.snapshot;
    invariant(snap !== null && snap.meta.index === meta.index && snap.meta.term === meta.term, `${this.id}: no snapshot at ${meta.index} to go back to`);
    this.disk.resetLog(snap);
  }

  private pump(): void {
    const core = this.core;
    if (!core || this.busy || !core.hasReady()) return;
    const rd = core.ready();
    const needsDisk = rd.hardState !== null || rd.entries.length > 0 || rd.snapshot !== null || rd.rollback !== null;
    if (!needsDisk) {
      this.complete(rd);
      return;
    }
    this.busy = true;
    this.inflight = rd;
    const p = this.ctx.params;
    const gen = this.generation;
    const latency = p.minDiskLatencyMs + this.ctx.rng.nextInt(p.maxDiskLatencyMs - p.minDiskLatencyMs + 1);
    this.ctx.queue.after(latency, () => {
      if (gen !== this.generation) return;
      this.busy = false;
      this.inflight = null;
      this.complete(rd);
    });
  }

  private complete(rd: Ready): void {
    const core = this.core as RaftCore;
    if (rd.rollback) {
      this.disk.discardAbove(rd.rollback.index);
      this.rollbackLog(rd.rollback);
      const back = this.disk.snapshot as SimSnapshot;
      this.fsm = KvFsm.restore(back.kv);
      this.applied = back.meta.index;
      this.ctx.checker.onFsmRestored(this.id, this.applied);
      this.rollbacks++;
    }
    if (rd.hardState) this.disk.hardState = rd.hardState;
    if (rd.snapshot) {
      const snap = this.takeIncoming(rd.snapshot.index, rd.snapshot.term);
      this.disk.installSnapshot(snap);
      this.disk.resetLog(snap);
      this.fsm = KvFsm.restore(snap.kv);
      this.applied = snap.meta.index;
      this.ctx.checker.onFsmRestored(this.id, this.applied);
      this.incoming.delete(`${snap.meta.index}:${snap.meta.term}`);
    }
    this.disk.writeEntries(rd.entries);
    if (rd.compactLogTo > 0) this.disk.compact(rd.compactLogTo);
    for (const m of rd.messages) this.send(m);
    for (const e of rd.committed) this.apply(e);
    for (const ctx of rd.droppedReads) {
      const r = this.pendingReads.get(ctx);
      this.pendingReads.delete(ctx);
      r?.done(undefined);
    }
    for (const rs of rd.readStates) {
      const r = this.pendingReads.get(rs.ctx);
      this.pendingReads.delete(rs.ctx);
      if (r) this.waitingReads.push({ index: rs.index, key: r.key, done: r.done });
    }
    core.advance(rd);
    this.serveReads();
    this.settleRestore();
    this.maybeSnapshot();
    this.pump();
  }

  private send(m: Message): void {
    const to = this.ctx.node(m.to);
    let attached: SimSnapshot | null = null;
    let msg = m;
    if (m.type === 'snapshot') {
      if (this.restoring) {
        this.core?.reportSnapshotEnded(m.to);
        return;
      }
      // As the real driver does: ship the latest durable snapshot, with its own metadata.
      attached = this.disk.snapshot;
      invariant(attached !== null, `${this.id} sends a snapshot it does not have`);
      msg = { ...m, meta: attached.meta };
    }
    if (!to) return;
    this.ctx.network.send(this.id, m.to, () => to.receive(msg, attached));
  }

  private apply(e: Entry): void {
    invariant(e.index === this.applied + 1, `${this.id}: apply ${e.index} after ${this.applied}`);
    this.ctx.checker.onApply(this.id, e);
    if (e.kind === EntryKind.Command && e.data) this.fsm.apply(decodeKvCommand(e.data));
    this.applied = e.index;
    const p = this.pendingPuts.get(e.index);
    if (p) {
      this.pendingPuts.delete(e.index);
      p.done(p.term === e.term ? 'ok' : 'failed');
    }
  }

  private serveReads(): void {
    if (this.waitingReads.length === 0) return;
    const still: WaitingRead[] = [];
    for (const r of this.waitingReads) {
      if (r.index <= this.applied) r.done(this.fsm.get(r.key));
      else still.push(r);
    }
    this.waitingReads = still;
  }

  private maybeSnapshot(): void {
    const last = this.disk.snapshot ? this.disk.snapshot.meta.index : 0;
    if (this.restoring || this.applied - last < this.ctx.params.snapshotThresholdEntries) return;
    this.snapshotNow();
    this.pump();
  }

  /** A durable snapshot of what is applied (at once: the simulated disk write is atomic here). */
  private snapshotNow(): void {
    const core = this.core as RaftCore;
    if (this.restoring || (this.disk.snapshot?.meta.index ?? 0) >= this.applied) return;
    // A snapshot the core took meanwhile (install pending) already covers what is applied here.
    if (this.applied < core.log.compactedIndex) return;
    const meta = core.snapshotMetaAt(this.applied);
    this.disk.installSnapshot({ meta, kv: this.fsm.snapshot(), chain: this.disk.chainAt(this.applied) });
    core.snapshotDone(meta, this.ctx.params.trailingLogs);
  }
}
