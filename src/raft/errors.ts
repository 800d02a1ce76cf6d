// Errors the driver's API rejects with. Each has a stable code so that the
// server layer can map it (for example NotLeader -> forward to the leader).
import type { ServerId } from './types.js';

export type RaftErrorCode =
  | 'RAFT_NOT_LEADER'
  | 'RAFT_LEADERSHIP_LOST'
  | 'RAFT_TIMEOUT'
  | 'RAFT_SHUTDOWN'
  | 'RAFT_OVERLOADED'
  | 'RAFT_TRANSFER_IN_PROGRESS'
  | 'RAFT_BAD_CONFIGURATION'
  | 'RAFT_ALREADY_BOOTSTRAPPED'
  | 'RAFT_RESTORE_IN_PROGRESS';

export class RaftError extends Error {
  constructor(readonly code: RaftErrorCode, message: string) {
    super(message);
    this.name = 'RaftError';
  }
}

export class NotLeaderError extends RaftError {
  constructor(readonly leaderId: ServerId | null, readonly leaderAddress: string | null) {
    super('RAFT_NOT_LEADER', leaderId ? `not the leader; the leader is ${leaderId} at ${leaderAddress ?? 'an unknown address'}` : 'not the leader; no leader is known');
    this.name = 'NotLeaderError';
  }
}

/** The entry may or may not commit: leadership changed before it was known. */
export class LeadershipLostError extends RaftError {
  constructor(message = 'leadership lost before the entry was known to commit') {
    super('RAFT_LEADERSHIP_LOST', message);
    this.name = 'LeadershipLostError';
  }
}

export class RaftTimeoutError extends RaftError {
  constructor(what: string, timeoutMs: number) {
    super('RAFT_TIMEOUT', `${what} timed out after ${timeoutMs} ms`);
    this.name = 'RaftTimeoutError';
  }
}

export class RaftShutdownError extends RaftError {
  constructor() {
    super('RAFT_SHUTDOWN', 'raft is shut down');
    this.name = 'RaftShutdownError';
  }
}
