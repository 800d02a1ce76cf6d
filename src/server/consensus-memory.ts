// A single-node replicated log for dev mode: always the leader once started, it gives each
// proposed entry the next index, keeps a bounded log (compacted behind an FSM snapshot) and
// applies entries to the FSM in order. Entries proposed in the same tick are applied in one pass.
// The FSM gets what the Raft log's msgpack round trip would give it, so that swapping in the
// Raft library changes nothing for the FSM, and a caller mutating an entry after proposing it
// cannot reach into the state: a copy of the entry taken when it is proposed (copyAsDecoded: a
// plain deep copy, several times cheaper than encoding and decoding, and msgpack's round trip
// only for an entry that is not plain data).
// Nothing replays this log (the state is in memory and a restart loses both), so it keeps the
// positions of its entries, not their bytes.
import { type Clock, systemClock } from '../structs/clock.js';
import { NomadError } from '../structs/errors.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import { copyAsDecoded } from '../rpc/plain-copy.js';
import type { FSM, FSMLogger } from '../state/fsm.js';
import { silentLogger } from '../state/fsm-context.js';
import type { LogEntry } from '../state/log-entries.js';
import type { ApplyResult, Consensus, ConsensusStats } from './consensus.js';

export interface InMemoryConsensusOptions {
  logger?: FSMLogger;
  /** This server's ID and RPC address, reported by stats() and leaderAddr(). */
  serverId?: string;
  rpcAddr?: string;
  /** Log entries kept in memory before the log is compacted behind a snapshot. */
  compactThresholdEntries?: number;
  /** Proposals waiting to be applied before apply() refuses more (back-pressure). */
  maxPendingEntries?: number;
  /** Entries applied in one pass before yielding to the event loop. */
  maxBatchEntries?: number;
  clock?: Clock;
  /** What a one-server Raft log has of Raft's metrics: applies, barriers, commit and FSM times. */
  metrics?: Metrics;
}

interface Pending {
  kind: 'entry';
  entry: LogEntry;
  /** When it was proposed, on the metrics' clock (for raft.commitTime). */
  proposedMs: number;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
}

interface BarrierWaiter {
  kind: 'barrier';
  resolve: (index: number) => void;
}

interface LogRecord {
  index: number;
  term: number;
}

const TERM = 1;

export class InMemoryConsensus implements Consensus {
  private readonly logger: FSMLogger;
  private readonly serverId: string;
  private readonly rpcAddr: string;
  private readonly compactThresholdEntries: number;
  private readonly maxPendingEntries: number;
  private readonly maxBatchEntries: number;
  private readonly clock: Clock;
  private readonly metrics: Metrics;

  private readonly queue: Array<Pending | BarrierWaiter> = [];
  private pendingEntries = 0;
  private flushScheduled = false;
  private lastIndex = 0;
  private appliedIndex = 0;
  private log: LogRecord[] = [];
  private snapshot: { index: number; encode: () => Uint8Array } | null = null;
  private leader = false;
  private closed = false;
  private readonly listeners: Array<(isLeader: boolean) => void> = [];

  constructor(
    readonly fsm: FSM,
    options: InMemoryConsensusOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.serverId = options.serverId ?? 'dev';
    this.rpcAddr = options.rpcAddr ?? '127.0.0.1:4647';
    this.compactThresholdEntries = Math.max(16, options.compactThresholdEntries ?? 8192);
    this.maxPendingEntries = Math.max(1, options.maxPendingEntries ?? 65_536);
    this.maxBatchEntries = Math.max(1, options.maxBatchEntries ?? 4096);
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? noMetrics;
    // The state may already hold entries (restored): continue after them.
    this.lastIndex = fsm.store.latestIndex();
    this.appliedIndex = this.lastIndex;
    // Leadership is announced asynchronously, so that listeners registered right after
    // construction hear it.
    this.clock.defer(() => {
      if (this.closed) return;
      this.leader = true;
      this.metrics.incrCounter('raft.state.leader');
      this.logger.debug('single-node log: leadership acquired', { index: this.lastIndex });
      for (const l of this.listeners.slice()) this.callListener(l, true);
    });
  }

  private callListener(listener: (isLeader: boolean) => void, isLeader: boolean): void {
    try {
      listener(isLeader);
    } catch (err) {
      this.logger.error('leadership listener failed', { error: (err as Error).message });
    }
  }

  apply(entry: LogEntry): Promise<ApplyResult> {
    if (this.closed) return Promise.reject(new NomadError('no_leader', 'No cluster leader'));
    if (this.pendingEntries >= this.maxPendingEntries) {
      return Promise.reject(new NomadError('unavailable', `log is busy: ${this.pendingEntries} entries waiting to be applied`));
    }
    let copied: LogEntry;
    try {
      copied = copyAsDecoded(entry) as LogEntry;
    } catch (err) {
      return Promise.reject(new NomadError('bad_request', `log entry ${describe(entry)} cannot be encoded: ${(err as Error).message}`));
    }
    this.metrics.incrCounter('raft.apply');
    const proposedMs = this.metrics.now();
    return new Promise<ApplyResult>((resolve, reject) => {
      this.queue.push({ kind: 'entry', entry: copied, proposedMs, resolve, reject });
      this.pendingEntries++;
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.clock.defer(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Applies what was proposed, in order, up to maxBatchEntries; the rest in the next pass. */
  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatchEntries);
    const entries = batch.reduce((n, item) => n + (item.kind === 'entry' ? 1 : 0), 0);
    if (entries > 0) {
      this.metrics.setGauge('raft.commitNumLogs', entries);
      this.metrics.setGauge('raft.leader.dispatchNumLogs', entries);
    }
    for (const item of batch) {
      if (item.kind === 'barrier') {
        item.resolve(this.appliedIndex);
        continue;
      }
      this.pendingEntries--;
      this.applyOne(item);
    }
    if (this.queue.length > 0) this.scheduleFlush();
    this.maybeCompact();
  }

  private applyOne(item: Pending): void {
    const index = ++this.lastIndex;
    this.log.push({ index, term: TERM });
    // One server is its own quorum: an entry is committed once it is in the log.
    this.metrics.measureSince('raft.commitTime', item.proposedMs);
    const entry = item.entry;
    const applyStart = this.metrics.now();
    try {
      const result = this.fsm.apply(index, entry);
      this.metrics.measureSince('raft.fsm.apply', applyStart);
      this.appliedIndex = index;
      item.resolve({ index, result });
    } catch (err) {
      // The entry is in the log at this index but changed nothing; every server would refuse it alike.
      this.appliedIndex = index;
      if (!(err instanceof NomadError)) {
        this.logger.error('applying a log entry failed', { index, type: entry.Type, error: (err as Error).message });
      }
      item.reject(err);
    }
  }

  /** Keeps the in-memory log bounded: past the threshold it is cut behind a state snapshot. */
  private maybeCompact(): void {
    if (this.log.length <= this.compactThresholdEntries) return;
    // Capturing is O(1) (persistent tables); bytes are produced only if someone asks for them.
    this.snapshot = this.fsm.captureSnapshot();
    const keepFrom = this.log.length - Math.floor(this.compactThresholdEntries / 2);
    this.log = this.log.slice(keepFrom);
    this.logger.debug('single-node log compacted', { snapshotIndex: this.snapshot.index, kept: this.log.length });
  }

  /** The latest compaction snapshot as bytes and the index it covers (null before the first). */
  latestSnapshot(): { index: number; data: Uint8Array } | null {
    if (this.snapshot === null) return null;
    return { index: this.snapshot.index, data: this.snapshot.encode() };
  }

  /** Entries still in the in-memory log (after the last compaction). */
  logLength(): number {
    return this.log.length;
  }

  isLeader(): boolean {
    return this.leader && !this.closed;
  }

  leaderAddr(): string {
    return this.isLeader() ? this.rpcAddr : '';
  }

  leaderId(): string {
    return this.isLeader() ? this.serverId : '';
  }

  /** One server is its own quorum: everything proposed before is applied once the barrier passes. */
  readIndex(): Promise<number> {
    return this.barrier();
  }

  onLeadershipChange(listener: (isLeader: boolean) => void): void {
    this.listeners.push(listener);
    // A listener that arrives after leadership was taken still hears about it, asynchronously.
    if (this.leader && !this.closed) {
      this.clock.defer(() => {
        if (this.leader && !this.closed) this.callListener(listener, true);
      });
    }
  }

  barrier(): Promise<number> {
    if (this.closed) return Promise.reject(new NomadError('no_leader', 'No cluster leader'));
    this.metrics.incrCounter('raft.barrier');
    return new Promise<number>((resolve) => {
      this.queue.push({ kind: 'barrier', resolve });
      this.scheduleFlush();
    });
  }

  lastContactMs(): number {
    return 0;
  }

  stats(): ConsensusStats {
    return {
      state: this.closed ? 'Shutdown' : this.leader ? 'Leader' : 'Follower',
      term: TERM,
      appliedIndex: this.appliedIndex,
      commitIndex: this.lastIndex,
      lastLogIndex: this.lastIndex,
      lastLogTerm: TERM,
      lastContactMs: 0,
      numPeers: 0,
      configuration: [{ ID: this.serverId, Address: this.rpcAddr, Voter: true }],
    };
  }

  async captureState(barrier: boolean): Promise<{ index: number; term: number; data: Uint8Array }> {
    if (barrier) await this.barrier();
    const captured = this.fsm.captureSnapshot();
    return { index: this.appliedIndex, term: TERM, data: captured.encode() };
  }

  async restoreState(data: Uint8Array, minIndex: number): Promise<number> {
    await this.barrier();
    if (this.closed) throw new NomadError('no_leader', 'No cluster leader');
    // Decoding comes first inside restore(): bad bytes throw before anything is replaced.
    this.fsm.restore(data);
    const index = Math.max(this.lastIndex, minIndex) + 1;
    this.lastIndex = index;
    this.appliedIndex = index;
    this.log = [];
    this.snapshot = this.fsm.captureSnapshot();
    this.logger.debug('single-node log: restored a saved state', { index });
    return index;
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    // Entries already proposed are applied first: a caller that got no error expects its write.
    while (this.queue.length > 0) this.flush();
    this.closed = true;
    const wasLeader = this.leader;
    this.leader = false;
    if (wasLeader) for (const l of this.listeners.slice()) this.callListener(l, false);
  }
}

function describe(entry: LogEntry): string {
  return typeof entry === 'object' && entry !== null && typeof entry.Type === 'string' ? `"${entry.Type}"` : '(untyped)';
}
