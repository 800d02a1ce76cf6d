// What the core hands to whoever drives it, and the order in which the driver
// must act on it:
//   0. rollback: a restored user snapshot was lost: drop every snapshot newer than this one,
//      restore the FSM from it and reset the log store to it;
//   1. snapshot: restore the FSM from the received snapshot and reset the log store to it;
//   2. hardState and entries: make them durable (entries overwrite from entries[0].index);
//   3. messages: send (only now: votes and acknowledgements depend on step 2);
//   4. committed: apply to the FSM in order (the core hands out only entries already durable
//      here, so this may come before step 2: a leader applies them as soon as it has them);
//   5. call advance(ready).
import type { Entry, HardState, Message, RoleName, ServerId, SnapshotMeta } from './types.js';

export interface SoftState {
  readonly role: RoleName;
  readonly leaderId: ServerId | null;
  readonly term: number;
}

export interface ReadState {
  /** The caller's token from readIndex(). */
  readonly ctx: number;
  /** Once the local FSM has applied this index, a read sees every write acknowledged before the request. */
  readonly index: number;
}

export type CoreEvent =
  | { readonly kind: 'transfer_aborted'; readonly target: ServerId }
  | { readonly kind: 'stepped_down'; readonly reason: 'quorum_lost' | 'removed' | 'higher_term' }
  /** A user snapshot restored here never reached a quorum, and a leader without it took over. */
  | { readonly kind: 'restore_lost'; readonly index: number; readonly leader: ServerId; readonly fallbackIndex: number };

export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  /** Go back to this durable snapshot (see step 0). */
  readonly rollback: SnapshotMeta | null;
  readonly snapshot: SnapshotMeta | null;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Read tokens that can no longer complete here (leadership lost). */
  readonly droppedReads: readonly number[];
  /** When > 0, the log store may drop entries up to and including this index. */
  readonly compactLogTo: number;
  readonly events: readonly CoreEvent[];
}
