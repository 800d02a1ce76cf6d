// The replicated log as the server sees it. Dev mode uses a single-node log in memory; a cluster
// uses the Raft library behind this same interface. Entries are applied to the FSM in index
// order, exactly once, on every server; `apply` resolves on the proposing server once its entry
// has been applied locally, with the FSM's result.
import type { LogEntry } from '../state/log-entries.js';

export interface ApplyResult {
  index: number;
  /** What the FSM returned for this entry (e.g. the new job version), or an error it raised. */
  result: unknown;
}

export interface ConsensusStats {
  state: 'Leader' | 'Follower' | 'Candidate' | 'Shutdown';
  term: number;
  appliedIndex: number;
  commitIndex: number;
  lastLogIndex: number;
  lastLogTerm: number;
  lastContactMs: number;
  numPeers: number;
  /** Each server of the configuration: ID, address, voter or not. */
  configuration: Array<{ ID: string; Address: string; Voter: boolean }>;
  lastSnapshotIndex?: number;
  lastSnapshotTerm?: number;
  /** Committed entries handed to the FSM but not yet applied. */
  fsmPending?: number;
  /** Index of the entry that set the configuration. */
  configurationIndex?: number;
  /** False on a follower that has never heard from a leader. */
  lastContactKnown?: boolean;
}

export interface Consensus {
  /** Proposes an entry; rejects with a NomadError('no_leader') when this server is not the leader. */
  apply(entry: LogEntry): Promise<ApplyResult>;
  isLeader(): boolean;
  /** The leader's RPC address, or '' when none is known. */
  leaderAddr(): string;
  /** The leader's server ID, or '' when none is known. */
  leaderId(): string;
  /**
   * On the leader: confirms leadership with a quorum and resolves with an index such that a read
   * of the state once it is applied sees every write acknowledged before the call.
   */
  readIndex(timeoutMs?: number): Promise<number>;
  /** Called with true when this server becomes leader, false when it stops being leader. */
  onLeadershipChange(listener: (isLeader: boolean) => void): void;
  /** Resolves once every entry committed before the call has been applied here (a read barrier). */
  barrier(): Promise<number>;
  stats(): ConsensusStats;
  /**
   * Milliseconds since this server last heard from a leader (0 on the leader): stats().lastContactMs
   * without the rest of stats(), for the X-Nomad-LastContact of every answer.
   */
  lastContactMs(): number;
  /**
   * The state as of everything applied here, with the log position (index, term) it stands at:
   * what `nomad operator snapshot save` archives. On the leader after a barrier, it holds every
   * acknowledged write.
   */
  captureState(barrier: boolean): Promise<{ index: number; term: number; data: Uint8Array }>;
  /**
   * On the leader: replaces the whole state, on every server, with a saved one (`nomad operator
   * snapshot restore`), at a log index beyond both the log and `minIndex` (the index the state
   * was saved at). Resolves with that index once the cluster holds it. Bytes the state machine
   * would not take are refused first, with nothing changed.
   */
  restoreState(data: Uint8Array, minIndex: number): Promise<number>;
  shutdown(): Promise<void>;
}

/** The leader's view of another server of the configuration (autopilot's health inputs). */
export interface PeerState {
  id: string;
  address: string;
  voter: boolean;
  /** Highest log index known to be on that server. */
  matchIndex: number;
  /** Milliseconds since it last answered the leader; null when it never has. */
  lastContactMs: number | null;
}

/** A log replicated among several servers: membership changes and the leader's view of its peers. */
export interface ClusterConsensus extends Consensus {
  /** True once this server has a term, a log or a snapshot: it must never bootstrap again. */
  hasExistingState(): boolean;
  /** Writes the first configuration of a new cluster (every server named bootstraps the same list). */
  bootstrap(servers: Array<{ id: string; address: string }>): Promise<void>;
  /** This server's ID in the configuration. */
  readonly serverId: string;
  /** On the leader: every other server of the latest configuration. */
  peers(): PeerState[];
  lastLog(): { index: number; term: number };
  addNonVoter(id: string, address: string): Promise<void>;
  promote(id: string): Promise<void>;
  removeServer(id: string): Promise<void>;
  /** Hands leadership to another voter (before this server leaves). */
  transferLeadership(): Promise<void>;
}

export function isClusterConsensus(c: Consensus): c is ClusterConsensus {
  return typeof (c as Partial<ClusterConsensus>).bootstrap === 'function';
}
