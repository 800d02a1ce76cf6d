// A single-node replicated log for dev mode: always the leader, applies entries in order.
import type { ApplyResult, Consensus, ConsensusStats } from './consensus.js';
import type { LogEntry } from '../state/log-entries.js';
import type { FSM, FSMLogger } from '../state/fsm.js';

export interface InMemoryConsensusOptions {
  logger?: FSMLogger;
}

export class InMemoryConsensus implements Consensus {
  constructor(readonly fsm: FSM, _options: InMemoryConsensusOptions = {}) {}
  apply(_entry: LogEntry): Promise<ApplyResult> { throw new Error('not yet'); }
  isLeader(): boolean { return true; }
  leaderAddr(): string { return ''; }
  onLeadershipChange(_listener: (isLeader: boolean) => void): void {}
  barrier(): Promise<number> { throw new Error('not yet'); }
  stats(): ConsensusStats { throw new Error('not yet'); }
  shutdown(): Promise<void> { return Promise.resolve(); }
}
