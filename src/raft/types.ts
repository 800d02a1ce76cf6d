// Shared vocabulary of the consensus library: log entries, configurations and
// the messages peers exchange. Everything here is plain data so that it can be
// encoded with msgpack and compared in the simulation.

export type ServerId = string;

export type Suffrage = 'voter' | 'nonvoter';

export interface ServerConfig {
  readonly id: ServerId;
  readonly address: string;
  readonly suffrage: Suffrage;
}

export interface Configuration {
  readonly servers: readonly ServerConfig[];
}

export enum EntryKind {
  /** A user command handed to the FSM. */
  Command = 0,
  /** Appended by a new leader so that it can commit entries of its own term. */
  Noop = 1,
  /** A membership change: `config` holds the whole new configuration. */
  Configuration = 2,
  /** Appended by barrier(): applied state includes everything before it once it applies. */
  Barrier = 3,
}

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array | null;
  readonly config?: Configuration;
}

/** Must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: number;
  readonly vote: ServerId | null;
  /**
   * A restored user snapshot this server holds that no quorum is known to hold yet, and the
   * committed snapshot to go back to: after a restart it is still not taken for committed.
   */
  readonly restore?: UnconfirmedRestore | null;
}

export interface UnconfirmedRestore {
  readonly index: number;
  readonly term: number;
  readonly fallback: SnapshotMeta;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  /** The configuration in force at `index`, and the index of the entry that set it. */
  readonly configuration: Configuration;
  readonly configurationIndex: number;
}

export type RoleName = 'follower' | 'candidate' | 'leader';

interface Envelope {
  readonly from: ServerId;
  readonly to: ServerId;
  readonly term: number;
}

export interface PreVoteRequest extends Envelope {
  readonly type: 'prevote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
}

export interface VoteRequest extends Envelope {
  readonly type: 'vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when the old leader asked for this election: voters skip the leader-lease check. */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'prevote_resp' | 'vote_resp';
  readonly granted: boolean;
}

export interface AppendRequest extends Envelope {
  readonly type: 'append';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends Envelope {
  readonly type: 'append_resp';
  readonly success: boolean;
  /** On success: the highest index known to match the leader. On reject: the prevIndex rejected. */
  readonly index: number;
  /** On reject: a hint for fast backtracking (largest index <= rejected whose term <= prevTerm). */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

export interface HeartbeatRequest extends Envelope {
  readonly type: 'heartbeat';
  /** min(follower's match, leader commit): safe for the follower to commit. */
  readonly commit: number;
  /** Round number used to confirm leadership for ReadIndex. */
  readonly seq: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeat_resp';
  readonly seq: number;
}

export interface SnapshotRequest extends Envelope {
  readonly type: 'snapshot';
  readonly meta: SnapshotMeta;
  /**
   * The leader's commit index. Below meta.index only for a user snapshot just restored on the
   * leader: such a snapshot is not known committed, and the receiver keeps a way back. Absent
   * (a sender of an earlier build): the snapshot is committed state.
   */
  readonly commit?: number;
}

export interface SnapshotResponse extends Envelope {
  readonly type: 'snapshot_resp';
  readonly success: boolean;
  readonly index: number;
}

export interface TimeoutNowRequest extends Envelope {
  readonly type: 'timeout_now';
}

export type Message =
  | PreVoteRequest
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | SnapshotResponse
  | TimeoutNowRequest;

export type MessageType = Message['type'];
