// The five safety properties of the Raft paper (Figure 3), checked after every
// simulation step from observations that cost O(1) or O(new entries):
//   Election Safety, Leader Append-Only, Log Matching, Leader Completeness,
//   State Machine Safety.
import type { RaftCore } from '../../../src/raft/core.js';
import type { Entry, ServerId } from '../../../src/raft/types.js';
import { entryDigest } from './digest.js';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
}

interface LeaderShadow {
  readonly term: number;
  lastIndex: number;
  lastTerm: number;
}

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, ServerId>();
  private readonly shadows = new Map<ServerId, LeaderShadow>();
  private readonly chainAt = new Map<string, number>();
  private readonly committedTerm = new Map<number, number>();
  private maxCommitted = 0;
  private readonly commitSeen = new Map<ServerId, number>();
  private readonly applied = new Map<number, number>();
  private readonly lastApplied = new Map<ServerId, number>();
  leaderElections = 0;

  private fail(message: string): never {
    throw new SafetyViolation(message);
  }

  /** Log Matching, on durable logs: equal (index, term) means equal prefixes. */
  onDurableEntry(node: ServerId, index: number, term: number, chain: number): void {
    const key = `${index}:${term}`;
    const known = this.chainAt.get(key);
    if (known === undefined) this.chainAt.set(key, chain);
    else if (known !== chain) this.fail(`Log Matching: ${node} holds (${index}, term ${term}) with a different prefix`);
  }

  /** State Machine Safety: every node applies the same entry at an index, in order, once. */
  onApply(node: ServerId, e: Entry): void {
    const last = this.lastApplied.get(node) ?? 0;
    if (e.index !== last + 1) this.fail(`${node} applied ${e.index} after ${last}`);
    this.lastApplied.set(node, e.index);
    const d = entryDigest(e);
    const known = this.applied.get(e.index);
    if (known === undefined) this.applied.set(e.index, d);
    else if (known !== d) this.fail(`State Machine Safety: ${node} applied a different entry at ${e.index}`);
    const ct = this.committedTerm.get(e.index);
    if (ct !== undefined && ct !== e.term) this.fail(`${node} applied (${e.index}, term ${e.term}) but term ${ct} was committed there`);
  }

  /** The node's FSM was rebuilt from a snapshot (restart or install). */
  onFsmRestored(node: ServerId, appliedIndex: number): void {
    this.lastApplied.set(node, appliedIndex);
  }

  onRestart(node: ServerId, commitIndex: number): void {
    this.commitSeen.set(node, commitIndex);
    this.shadows.delete(node);
  }

  onCrash(node: ServerId): void {
    this.shadows.delete(node);
  }

  observe(node: ServerId, core: RaftCore): void {
    const log = core.log;
    // Commitment never goes back and never changes an entry.
    const seen = this.commitSeen.get(node) ?? 0;
    const commit = core.commitIndex;
    if (commit < seen) this.fail(`${node} commit index went back from ${seen} to ${commit}`);
    for (let i = Math.max(seen + 1, log.firstIndex()); i <= commit; i++) {
      const t = log.term(i);
      if (t === undefined) break;
      const known = this.committedTerm.get(i);
      if (known === undefined) this.committedTerm.set(i, t);
      else if (known !== t) this.fail(`${node} committed (${i}, term ${t}) but term ${known} was committed there`);
      if (i > this.maxCommitted) this.maxCommitted = i;
    }
    this.commitSeen.set(node, commit);

    if (core.currentRole !== 'leader') {
      this.shadows.delete(node);
      return;
    }
    const term = core.currentTerm;
    const holder = this.leaderOfTerm.get(term);
    if (holder === undefined) this.leaderOfTerm.set(term, node);
    else if (holder !== node) this.fail(`Election Safety: ${holder} and ${node} both lead term ${term}`);

    const shadow = this.shadows.get(node);
    if (!shadow || shadow.term !== term) {
      this.leaderElections++;
      this.checkLeaderCompleteness(node, core);
      this.shadows.set(node, { term, lastIndex: log.lastIndex(), lastTerm: log.lastTerm() });
      return;
    }
    if (log.lastIndex() < shadow.lastIndex) this.fail(`Leader Append-Only: ${node} log shrank from ${shadow.lastIndex} to ${log.lastIndex()} in term ${term}`);
    const t = log.term(shadow.lastIndex);
    if (t !== undefined && t !== shadow.lastTerm) this.fail(`Leader Append-Only: ${node} rewrote entry ${shadow.lastIndex} in term ${term}`);
    shadow.lastIndex = log.lastIndex();
    shadow.lastTerm = log.lastTerm();
  }

  /** Leader Completeness: a new leader holds every entry committed so far. */
  private checkLeaderCompleteness(node: ServerId, core: RaftCore): void {
    const c = this.maxCommitted;
    if (c === 0) return;
    const log = core.log;
    if (c > log.compactedIndex) {
      const t = log.term(c);
      if (t !== this.committedTerm.get(c)) this.fail(`Leader Completeness: ${node} leads term ${core.currentTerm} without committed entry ${c}`);
    } else {
      const t = this.committedTerm.get(log.compactedIndex);
      if (t !== undefined && t !== log.compactedTerm) this.fail(`Leader Completeness: ${node} snapshot disagrees with committed entry ${log.compactedIndex}`);
    }
  }
}
