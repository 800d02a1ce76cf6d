// The user's state machine, fed committed entries in log order exactly once
// per process lifetime (after a restart, from the latest snapshot on).

export interface FsmEntry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

export type FsmSnapshotData = Uint8Array | AsyncIterable<Uint8Array>;

export interface Fsm {
  /** Applies a committed command; the result is handed to the apply() caller on the leader. */
  apply(entry: FsmEntry): unknown;
  /**
   * Captures the state as of the last applied entry. It is called synchronously
   * between two applies: return bytes, or a stream over a point-in-time copy.
   */
  snapshot(): FsmSnapshotData | Promise<FsmSnapshotData>;
  /** Replaces the whole state with a snapshot's bytes. */
  restore(data: Uint8Array): void | Promise<void>;
}
