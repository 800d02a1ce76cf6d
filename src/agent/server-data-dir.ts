// What a server keeps in data_dir/server/: its ID (a UUID chosen on first start, so that it stays
// the same Raft member across restarts), the region it serves (so that a data_dir of another
// region's server is refused instead of mixing two regions' state), and the Raft log, stable
// store and snapshots under raft/.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isUuidLike } from '../structs/ids.js';

export interface ServerDataDir {
  dir: string;
  raftDir: string;
  serverId: string;
}

/** Writes a small file whole or not at all (temp file, fsync, rename). */
function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function openServerDataDir(dataDir: string, region: string, newId: () => string): ServerDataDir {
  const dir = join(dataDir, 'server');
  mkdirSync(join(dir, 'raft'), { recursive: true, mode: 0o700 });

  const idFile = join(dir, 'node-id');
  let serverId: string;
  if (existsSync(idFile)) {
    serverId = readFileSync(idFile, 'utf8').trim();
    if (!isUuidLike(serverId)) throw new Error(`${idFile} does not hold a server ID (a UUID): found "${serverId.slice(0, 64)}"; remove the file only if this server has no state worth keeping`);
  } else {
    serverId = newId();
    writeDurably(idFile, serverId + '\n');
  }

  const regionFile = join(dir, 'region');
  if (existsSync(regionFile)) {
    const stored = readFileSync(regionFile, 'utf8').trim();
    if (stored !== region) {
      throw new Error(`data_dir ${dataDir} holds the state of a server of region "${stored}", but this server is configured for region "${region}": servers of different regions never share a Raft; use another data_dir or the region "${stored}"`);
    }
  } else {
    writeDurably(regionFile, region + '\n');
  }
  return { dir, raftDir: join(dir, 'raft'), serverId };
}
