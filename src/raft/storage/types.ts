// Storage the driver needs. Every mutating call is durable when its promise
// resolves (fsync/fdatasync for the file stores).
import type { Entry, HardState, SnapshotMeta } from '../types.js';

export interface LogStore {
  /** Index of the first entry held (lastIndex() + 1 when empty). */
  firstIndex(): number;
  /** Index of the last entry held (or of the reset point when empty). */
  lastIndex(): number;
  /** Writes entries; any held at entries[0].index or after are replaced. */
  storeEntries(entries: readonly Entry[]): Promise<void>;
  /** Entries in [lo, hi], which must be held. */
  readRange(lo: number, hi: number): Promise<Entry[]>;
  /** The log up to and including `index` is no longer needed (a snapshot covers it). */
  compactPrefix(index: number): Promise<void>;
  /** Drops every entry; the next one stored will be `index` + 1 (after installing a snapshot at `index`). */
  reset(index: number): Promise<void>;
  close(): Promise<void>;
}

export interface StableStore {
  load(): Promise<HardState>;
  save(state: HardState): Promise<void>;
  close(): Promise<void>;
}

export interface SnapshotSink {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the snapshot durable and visible; returns its metadata. */
  commit(): Promise<SnapshotMeta>;
  cancel(): Promise<void>;
}

export interface OpenedSnapshot {
  readonly meta: SnapshotMeta;
  readonly sizeBytes: number;
  /** Streams the data; throws at the end when the checksum does not match. */
  chunks(): AsyncIterable<Uint8Array>;
  /** Reads and verifies the whole snapshot. */
  readAll(): Promise<Uint8Array>;
}

export interface SnapshotStore {
  create(meta: SnapshotMeta): Promise<SnapshotSink>;
  /** Newest first. */
  list(): Promise<SnapshotMeta[]>;
  /** The newest snapshot whose checksum verifies (older ones are tried when the newest is corrupt). */
  openLatest(): Promise<OpenedSnapshot | null>;
  /** Drops every snapshot beyond `index` (a restored one that never reached a quorum). */
  discardAbove(index: number): Promise<void>;
  close(): Promise<void>;
}

export class StorageCorruptionError extends Error {
  override readonly name = 'StorageCorruptionError';
}
