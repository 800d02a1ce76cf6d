// What a server remembers of the gossip pool across restarts (Serf's snapshot, kept in
// data_dir/server/serf/snapshot): the addresses of the members alive when it last looked, and
// whether it left the pool gracefully. A server that comes back after a crash joins those
// addresses again by itself, so a region that was lost rejoins the federation without an
// operator; one that left on purpose does not, unless rejoin_after_leave says so.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PreviousPool {
  /** "host:port" serf addresses of the other members alive at the last record. */
  addrs: string[];
  /** True when the server left the pool gracefully the last time it ran. */
  left: boolean;
}

interface SnapshotFile {
  Alive: Record<string, string>;
  Left: boolean;
}

export class GossipSnapshot {
  private readonly members = new Map<string, string>();
  private left = false;
  private written = '';

  private constructor(
    private readonly path: string,
    private readonly previous: PreviousPool,
    private readonly onError: (message: string) => void,
  ) {}

  /** Reads the previous record (none, or one that does not parse, is an empty pool: logged). */
  static open(path: string, onError: (message: string) => void): GossipSnapshot {
    let previous: PreviousPool = { addrs: [], left: false };
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onError(`reading ${path}: ${(e as Error).message}`);
    }
    if (text !== null) {
      const parsed = parseSnapshot(text);
      if (parsed === null) onError(`${path} does not hold a member list; starting without previously known members`);
      else previous = { addrs: [...new Set(Object.values(parsed.Alive))].sort(), left: parsed.Left };
    }
    return new GossipSnapshot(path, previous, onError);
  }

  /** The pool as it was when the server last ran. */
  previousPool(): PreviousPool {
    return { addrs: [...this.previous.addrs], left: this.previous.left };
  }

  /** A member is alive at `addr` (joined, or came back). */
  alive(name: string, addr: string): void {
    this.left = false;
    this.members.set(name, addr);
    this.save();
  }

  /** A member failed, left or was reaped: not worth joining again. */
  gone(name: string): void {
    if (this.members.delete(name)) this.save();
  }

  /** This server leaves the pool on purpose. */
  leaving(): void {
    this.left = true;
    this.save();
  }

  /** Written whole to a new file that then replaces the old one, so a crash leaves one or the other. */
  private save(): void {
    const record: SnapshotFile = { Alive: Object.fromEntries([...this.members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), Left: this.left };
    const text = JSON.stringify(record);
    if (text === this.written) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, this.path);
      this.written = text;
    } catch (e) {
      this.onError(`writing ${this.path}: ${(e as Error).message}`);
    }
  }
}

function parseSnapshot(text: string): SnapshotFile | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const r = v as Partial<SnapshotFile> | null;
  if (!r || typeof r !== 'object' || typeof r.Left !== 'boolean' || !r.Alive || typeof r.Alive !== 'object') return null;
  if (!Object.values(r.Alive).every((a) => typeof a === 'string')) return null;
  return { Alive: r.Alive, Left: r.Left };
}
