// The state store: tables of the cluster state held in persistent (structurally shared) sorted
// maps, so that a snapshot is O(1) and a reader keeps its view while writes go on.
import type { StateReader, StateStoreView, TableName } from './reader.js';

export interface StateStoreOptions {
  /** Deep-freeze every object stored (tests and debug): a mutation by a reader then throws. */
  freezeObjects?: boolean;
}

export class StateStore implements StateStoreView {
  constructor(_options: StateStoreOptions = {}) {}
  snapshot(): StateReader {
    throw new Error('not yet');
  }
  waitForChange(_tables: TableName[], _minIndex: number, _timeoutMs: number, _signal?: AbortSignal): Promise<number> {
    throw new Error('not yet');
  }
  snapshotMinIndex(_index: number, _timeoutMs: number): Promise<StateReader> {
    throw new Error('not yet');
  }
}
