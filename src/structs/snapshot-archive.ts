// The file `nomad operator snapshot save` writes and `restore` reads: as Nomad's, a gzipped tar
// of meta.json (the Raft index and term the state stands at, its size, a format version),
// state.bin (the servers' state) and SHA256SUMS (a checksum of each), so that an operator can
// look inside with tar and a damaged or foreign file is refused before anything changes.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { badRequest } from './errors.js';

/** The layout of the archive, not of the state inside it. */
export const SNAPSHOT_ARCHIVE_VERSION = 1;
/** Bound on an archive's unpacked size: a snapshot is the whole state, held in memory. */
export const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export interface SnapshotArchiveMeta {
  /** "<term>-<index>-<unix ms>": tells snapshots apart. */
  ID: string;
  /** Bytes of state.bin. */
  Size: number;
  Index: number;
  Term: number;
  Version: number;
}

const META_FILE = 'meta.json';
const STATE_FILE = 'state.bin';
const SUMS_FILE = 'SHA256SUMS';

/** A Buffer as a plain Uint8Array view (this Node's typings keep the two apart). */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The value of the Digest header that comes with a saved snapshot (RFC 3230 form, as Nomad's). */
export function snapshotDigest(archive: Uint8Array): string {
  return `sha-256=${createHash('sha256').update(archive).digest('base64')}`;
}

export async function writeSnapshotArchive(position: { index: number; term: number; createdMs: number }, state: Uint8Array): Promise<Uint8Array> {
  const meta: SnapshotArchiveMeta = {
    ID: `${position.term}-${position.index}-${position.createdMs}`,
    Size: state.length,
    Index: position.index,
    Term: position.term,
    Version: SNAPSHOT_ARCHIVE_VERSION,
  };
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const sums = `${sha256Hex(view(metaBytes))}  ${META_FILE}\n${sha256Hex(state)}  ${STATE_FILE}\n`;
  const mtime = new Date(position.createdMs);
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  tar.entry({ name: META_FILE, mode: 0o600, mtime }, metaBytes);
  tar.entry({ name: STATE_FILE, mode: 0o600, mtime }, Buffer.from(state.buffer, state.byteOffset, state.length));
  tar.entry({ name: SUMS_FILE, mode: 0o600, mtime }, Buffer.from(sums, 'utf8'));
  tar.finalize();
  await ended;
  return view(gzipSync(view(Buffer.concat(chunks.map(view)))));
}

/** The files of a tar archive by name; a refusal names what is wrong. */
async function untar(tarBytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(parts.map(view)));
        next();
      });
      stream.on('error', reject);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(view(tarBytes));
  try {
    await done;
  } catch (e) {
    throw badRequest(`snapshot archive: not a valid tar archive (${(e as Error).message})`);
  }
  return files;
}

/**
 * Reads and verifies an archive: every file present, every checksum right, the metadata
 * consistent. Anything else (a truncated download, a flipped byte, some other file) is refused
 * with what is wrong.
 */
export async function readSnapshotArchive(archive: Uint8Array): Promise<{ meta: SnapshotArchiveMeta; state: Uint8Array }> {
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(archive, { maxOutputLength: MAX_SNAPSHOT_BYTES });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'the file is cut short' : `gzip: ${(e as Error).message}`;
    throw badRequest(`snapshot archive: the file is damaged or is not a snapshot (${why})`);
  }
  const files = await untar(tarBytes);
  for (const name of [META_FILE, STATE_FILE, SUMS_FILE]) {
    if (!files.has(name)) throw badRequest(`snapshot archive: ${name} is missing (this is not a snapshot saved by nomad operator snapshot save)`);
  }
  const sums = new Map<string, string>();
  for (const line of files.get(SUMS_FILE)!.toString('utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!);
  }
  for (const name of [META_FILE, STATE_FILE]) {
    const want = sums.get(name);
    if (!want) throw badRequest(`snapshot archive: ${SUMS_FILE} has no checksum for ${name}`);
    if (sha256Hex(view(files.get(name)!)) !== want) throw badRequest(`snapshot archive: ${name} does not match its SHA-256 checksum (the file is corrupt)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(files.get(META_FILE)!.toString('utf8'));
  } catch (e) {
    throw badRequest(`snapshot archive: ${META_FILE} is not JSON (${(e as Error).message})`);
  }
  const meta = checkMeta(parsed);
  const state = files.get(STATE_FILE)!;
  if (meta.Size !== state.length) throw badRequest(`snapshot archive: ${META_FILE} says ${meta.Size} bytes of state, ${STATE_FILE} has ${state.length}`);
  return { meta, state: view(state) };
}

function checkMeta(v: unknown): SnapshotArchiveMeta {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`snapshot archive: ${META_FILE} is not an object`);
  const o = v as Record<string, unknown>;
  if (o['Version'] !== SNAPSHOT_ARCHIVE_VERSION) throw badRequest(`snapshot archive: version ${String(o['Version'])} is not supported (this server reads version ${SNAPSHOT_ARCHIVE_VERSION})`);
  for (const k of ['Size', 'Index', 'Term']) {
    const n = o[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw badRequest(`snapshot archive: ${META_FILE} field ${k} must be a non-negative integer`);
  }
  if (typeof o['ID'] !== 'string') throw badRequest(`snapshot archive: ${META_FILE} field ID must be a string`);
  return { ID: o['ID'], Size: o['Size'] as number, Index: o['Index'] as number, Term: o['Term'] as number, Version: SNAPSHOT_ARCHIVE_VERSION };
}
