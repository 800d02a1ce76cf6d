// A small streaming tar reader for artifacts: ustar with GNU long names and pax paths,
// regular files, directories and symlinks. Every path is checked to stay inside the
// destination before anything is written.
import { createWriteStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { once } from 'node:events';
import { safeJoin } from './artifact-paths.js';

const BLOCK = 512;

/** Pulls exact byte counts out of a stream of chunks. */
class ByteReader {
  private buf = new Uint8Array(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        const merged = new Uint8Array(this.buf.length + r.value.length);
        merged.set(this.buf);
        merged.set(r.value, this.buf.length);
        this.buf = merged;
      }
    }
    return this.buf.length >= n;
  }

  /** Exactly n bytes, or null at a clean end of input. */
  async read(n: number): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) {
      if (this.buf.length === 0) return null;
      throw new Error('unexpected end of tar archive');
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Streams n bytes to `sink` in pieces, so a large file never sits whole in memory. */
  async pipe(n: number, sink: (chunk: Uint8Array) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill(1))) throw new Error('unexpected end of tar archive');
      const take = Math.min(left, this.buf.length);
      await sink(this.buf.slice(0, take));
      this.buf = this.buf.subarray(take);
      left -= take;
    }
  }
}

function text(b: Uint8Array, start: number, len: number): string {
  const slice = b.subarray(start, start + len);
  const end = slice.indexOf(0);
  return Buffer.from(end >= 0 ? slice.subarray(0, end) : slice).toString('utf8');
}

function octal(b: Uint8Array, start: number, len: number): number {
  const s = text(b, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** pax extended header records: "<len> key=value\n". */
function paxPath(data: Uint8Array): string | null {
  const s = Buffer.from(data).toString('utf8');
  for (const rec of s.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(rec);
    if (m) return m[1]!;
  }
  return null;
}

export async function extractTar(chunks: AsyncIterable<Uint8Array>, dest: string): Promise<void> {
  const r = new ByteReader(chunks[Symbol.asyncIterator]());
  let longName: string | null = null;
  for (;;) {
    const h = await r.read(BLOCK);
    if (h === null || h.every((x) => x === 0)) return;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    const prefix = text(h, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    longName = null;
    if (type === 'L' || type === 'x') {
      const data = (await r.read(padded)) ?? new Uint8Array(0);
      const value = type === 'L' ? text(data, 0, size) : paxPath(data.subarray(0, size));
      if (value !== null) longName = value;
      continue;
    }
    if (type === 'g') {
      await r.read(padded);
      continue;
    }
    const target = safeJoin(dest, name);
    if (type === '5') {
      await mkdir(target, { recursive: true });
    } else if (type === '0' || type === '7') {
      await mkdir(safeJoin(dest, name + '/..'), { recursive: true });
      const mode = octal(h, 100, 8) & 0o777;
      const out = createWriteStream(target, { mode: mode || 0o644 });
      await r.pipe(size, async (c) => {
        if (!out.write(c)) await once(out, 'drain');
      });
      out.end();
      await once(out, 'close');
      await r.read(padded - size);
    } else if (type === '2') {
      const linkTarget = text(h, 157, 100);
      // A link may not point outside the destination either: no absolute targets, no climbing out.
      if (linkTarget.startsWith('/')) throw new Error(`illegal symlink target in archive: "${name}" -> "${linkTarget}"`);
      safeJoin(dest, `${name}/../${linkTarget}`);
      await mkdir(safeJoin(dest, name + '/..'), { recursive: true });
      await symlink(linkTarget, target);
    } else {
      // Hard links, devices and fifos have no place in an artifact: skip their data.
      if (padded > 0) await r.read(padded);
    }
    name = '';
  }
}
