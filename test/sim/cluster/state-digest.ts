// A digest of a server's whole state that is cheap to take after every applied entry: each row
// is hashed once (rows are immutable once stored, so the hash is remembered by object identity)
// and the rows of a table are combined by addition, which does not depend on the order of
// insertion or on the shape of the tree that holds them. Two states have the same digest when
// every table holds the same rows under the same keys, with the same table indexes.
import type { Tables } from '../../../src/state/tables.js';

/** Two 32-bit lanes of a string hash (cyrb53's mixing); 64 bits against chance collisions. */
function hashString(s: string, seed = 0): [number, number] {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

type Lanes = [number, number];

/** The rows of the tables that make the state (derived indexes follow from them). */
const ROW_TABLES = ['jobs', 'jobVersions', 'jobSummaries', 'jobCounts', 'nodes', 'allocs', 'evals', 'deployments'] as const;

export class StateDigester {
  private readonly rowHashes = new WeakMap<object, Lanes>();
  /** A table's map is replaced on every change: an unchanged map keeps its digest. */
  private readonly tableDigests = new WeakMap<object, string>();

  /** The hash of one stored row; an allocation's job counts by its own hash. */
  private row(value: unknown): Lanes {
    if (value === null || typeof value !== 'object') return hashString(JSON.stringify(value) ?? 'undefined');
    const known = this.rowHashes.get(value);
    if (known) return known;
    let text: string;
    if (Array.isArray(value)) {
      text = value.map((v) => this.row(v).join(':')).join(',');
    } else {
      const job = (value as { Job?: unknown }).Job;
      text = job && typeof job === 'object' ? JSON.stringify({ ...(value as object), Job: this.row(job).join(':') }) : JSON.stringify(value);
    }
    const h = hashString(text);
    this.rowHashes.set(value, h);
    return h;
  }

  digest(t: Tables): string {
    const parts: string[] = [];
    for (const name of ROW_TABLES) {
      const table = t[name];
      let d = this.tableDigests.get(table);
      if (d === undefined) {
        let a = 0;
        let b = 0;
        let rows = 0;
        table.forEachFrom('', (key, value) => {
          const [r1, r2] = this.row(value);
          const [k1, k2] = hashString(key, r1 ^ r2);
          a = (a + (k1 ^ r1)) >>> 0;
          b = (b + (k2 ^ r2)) >>> 0;
          rows++;
        });
        d = `${rows}:${a.toString(16)}${b.toString(16)}`;
        this.tableDigests.set(table, d);
      }
      parts.push(`${name}:${d}`);
    }
    parts.push(JSON.stringify([t.schedulerConfig, t.autopilotConfig, t.tableIndexes, t.latestIndex]));
    const [x, y] = hashString(parts.join('|'));
    return `${x.toString(16).padStart(8, '0')}${y.toString(16).padStart(8, '0')}`;
  }
}
