// Ready-made store sets: durable files under a data directory, or memory (dev mode).
import { join } from 'node:path';
import { FileLogStore } from './storage/file-log-store.js';
import { FileSnapshotStore } from './storage/file-snapshot-store.js';
import { FileStableStore } from './storage/file-stable-store.js';
import { MemLogStore, MemSnapshotStore, MemStableStore } from './storage/memory.js';
import type { LogStore, SnapshotStore, StableStore } from './storage/types.js';

export interface RaftStores {
  readonly logStore: LogStore;
  readonly stableStore: StableStore;
  readonly snapshotStore: SnapshotStore;
}

export interface FileStoresOptions {
  readonly snapshotRetain?: number;
  readonly segmentMaxBytes?: number;
  readonly onRepair?: (message: string) => void;
}

/** Layout: <dir>/log/*.seg, <dir>/raft-stable.bin, <dir>/snapshots/<term>-<index>-<ms>-<n>/ */
export async function openFileStores(dir: string, options: FileStoresOptions = {}): Promise<RaftStores> {
  const logOptions = {
    ...(options.segmentMaxBytes !== undefined ? { segmentMaxBytes: options.segmentMaxBytes } : {}),
    ...(options.onRepair ? { onRepair: options.onRepair } : {}),
  };
  return {
    logStore: await FileLogStore.open(join(dir, 'log'), logOptions),
    stableStore: await FileStableStore.open(dir),
    snapshotStore: await FileSnapshotStore.open(join(dir, 'snapshots'), {
      retain: options.snapshotRetain ?? 2,
      ...(options.onRepair ? { onCorrupt: options.onRepair } : {}),
    }),
  };
}

export function memoryStores(snapshotRetain = 2): RaftStores {
  return { logStore: new MemLogStore(), stableStore: new MemStableStore(), snapshotStore: new MemSnapshotStore(snapshotRetain) };
}
