// The artifact block: download over http(s) into the task dir, check the checksum, unpack
// tar / tar.gz / zip / gz unless told not to. Errors read as Nomad's "Failed Artifact
// Download" event does: failed to download artifact "<source>": <why>.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { TaskArtifact } from '../structs/job.js';
import { safeJoin } from './artifact-paths.js';
import { extractTar } from './artifact-tar.js';
import { extractZip } from './artifact-zip.js';

const MAX_REDIRECTS = 10;
/** Bound on the wait for a response (headers) and between chunks of the body. */
const IDLE_TIMEOUT_MS = 30_000;
const HASHES: Record<string, { algo: string; hexLen: number }> = {
  md5: { algo: 'md5', hexLen: 32 },
  sha1: { algo: 'sha1', hexLen: 40 },
  sha256: { algo: 'sha256', hexLen: 64 },
  sha512: { algo: 'sha512', hexLen: 128 },
};

type ArchiveKind = 'tar' | 'tar.gz' | 'zip' | 'gz';

export class ArtifactError extends Error {
  constructor(source: string, why: string) {
    super(`failed to download artifact ${JSON.stringify(source)}: ${why}`);
    this.name = 'ArtifactError';
  }
}

/** The archive kind from a path's extension, as go-getter decides. */
export function archiveKind(path: string): ArchiveKind | null {
  const p = path.toLowerCase();
  if (p.endsWith('.tar.gz') || p.endsWith('.tgz')) return 'tar.gz';
  if (p.endsWith('.tar')) return 'tar';
  if (p.endsWith('.zip')) return 'zip';
  if (p.endsWith('.gz')) return 'gz';
  return null;
}

/** "sha256:abcd..." -> algorithm and expected hex. */
export function parseChecksum(spec: string): { algo: string; hex: string } {
  const i = spec.indexOf(':');
  let type = i > 0 ? spec.slice(0, i).toLowerCase() : '';
  const hex = (i > 0 ? spec.slice(i + 1) : spec).trim().toLowerCase();
  // Without a type, the length of the hex says which hash it is.
  if (type === '') type = Object.keys(HASHES).find((k) => HASHES[k]!.hexLen === hex.length) ?? '';
  const h = HASHES[type];
  if (!h) throw new Error(`unsupported checksum type: ${JSON.stringify(spec)}`);
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== h.hexLen) throw new Error(`invalid checksum: ${JSON.stringify(spec)}`);
  return { algo: h.algo, hex };
}

function request(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    const req = get(url, { headers }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no response within ${IDLE_TIMEOUT_MS / 1000}s`)));
    req.once('error', reject);
  });
}

/** GETs url (following redirects) into file, hashing as it goes; returns the hex digest. */
async function download(url: URL, headers: Record<string, string>, file: string, algo: string | null): Promise<string | null> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await request(current, headers);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`bad response code: ${status}`);
    }
    const hash = algo ? createHash(algo) : null;
    res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(new Error('download stalled')));
    res.on('data', (c: Buffer) => hash?.update(new Uint8Array(c)));
    await pipeline(res, createWriteStream(file));
    return hash ? hash.digest('hex') : null;
  }
  throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
}

async function unpack(kind: ArchiveKind, file: string, dest: string, nameHint: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  if (kind === 'zip') return extractZip(file, dest);
  if (kind === 'tar') return extractTar(createReadStream(file), dest);
  if (kind === 'tar.gz') return extractTar(createReadStream(file).pipe(createGunzip()), dest);
  // A lone .gz holds one file: it lands under its name without the extension.
  await pipeline(createReadStream(file), createGunzip(), createWriteStream(safeJoin(dest, nameHint.replace(/\.gz$/i, ''))));
}

async function fetchOne(a: TaskArtifact, taskDir: string, interp: (s: string) => string): Promise<void> {
  const source = interp(a.GetterSource);
  const fail = (why: string): ArtifactError => new ArtifactError(source, why);
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw fail('only http and https sources are supported by this client');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`unsupported source scheme "${url.protocol.replace(/:$/, '')}"`);
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.GetterOptions ?? {})) options[k] = interp(String(v));
  // go-getter also takes options from the URL's query; they are not sent to the server.
  for (const k of ['checksum', 'archive']) {
    const v = url.searchParams.get(k);
    if (v !== null) {
      options[k] ??= v;
      url.searchParams.delete(k);
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.GetterHeaders ?? {})) headers[k] = interp(String(v));
  const mode = (a.GetterMode || 'any').toLowerCase();
  if (mode !== 'any' && mode !== 'file' && mode !== 'dir') throw fail(`invalid artifact mode "${a.GetterMode}"`);

  let dest: string;
  try {
    dest = safeJoin(taskDir, interp(a.RelativeDest || 'local/'));
  } catch {
    throw fail(`artifact destination path escapes the task directory: ${JSON.stringify(a.RelativeDest)}`);
  }
  let checksum: { algo: string; hex: string } | null = null;
  try {
    checksum = options['checksum'] ? parseChecksum(options['checksum']) : null;
  } catch (err) {
    throw fail((err as Error).message);
  }
  const name = basename(decodeURIComponent(url.pathname)) || 'index.html';
  const archiveOpt = options['archive'];
  const kind: ArchiveKind | null = mode === 'file' || archiveOpt === 'false' ? null : archiveOpt ? (archiveKind(`x.${archiveOpt}`) ?? null) : archiveKind(name);
  if (mode === 'dir' && kind === null) throw fail('mode "dir" needs an archive source (tar, tar.gz, tgz, zip)');

  const tmp = join(taskDir, `.artifact-${randomBytes(6).toString('hex')}`);
  try {
    let digest: string | null;
    try {
      digest = await download(url, headers, tmp, checksum?.algo ?? null);
    } catch (err) {
      throw fail((err as Error).message);
    }
    if (checksum && digest !== checksum.hex) {
      throw fail(`checksums did not match for ${name}.\nExpected: ${checksum.hex}\nGot: ${digest}\n${checksum.algo}`);
    }
    try {
      if (kind !== null) await unpack(kind, tmp, dest, name);
      else {
        // mode "file": the destination names the file; otherwise the file keeps its name in the dir.
        const target = mode === 'file' ? dest : join(dest, name);
        if (mode !== 'file' && (await stat(dest).then((s) => !s.isDirectory(), () => false))) throw new Error(`destination ${JSON.stringify(a.RelativeDest)} is a file`);
        await mkdir(dirname(target), { recursive: true });
        await rename(tmp, target);
      }
    } catch (err) {
      throw fail((err as Error).message);
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Fetches a task's artifacts in order into its task dir. `interpolate` resolves ${...} in the
 * source, destination, options and headers (node attributes, NOMAD_* variables).
 */
export async function fetchArtifacts(artifacts: TaskArtifact[], taskDir: string, interpolate: (s: string) => string = (s) => s): Promise<void> {
  for (const a of artifacts) await fetchOne(a, taskDir, interpolate);
}
