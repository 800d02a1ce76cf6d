// File access inside one allocation directory for /v1/client/fs/*: ls, stat, cat, readat.
// Every path is resolved and checked to stay inside the alloc dir, symlinks included.
import { createReadStream } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { relative, resolve, sep, join, isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import type { AllocFileInfo } from '../rpc/client-endpoints.js';
import { badRequest, notFound } from '../structs/errors.js';

/** Bound on one directory listing, so a directory with millions of files cannot exhaust memory. */
const MAX_LIST_ENTRIES = 10_000;
const SNIFF_BYTES = 512;

/** RFC3339 with nanoseconds from a bigint of ns since the epoch (Go's time.Time JSON). */
export function rfc3339FromNs(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(Number(secs) * 1000).toISOString().slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/** Go's os.FileMode.String for the kinds that occur in alloc dirs. */
export function fileModeString(mode: number, isDir: boolean, isLink = false): string {
  const chars = 'rwxrwxrwx';
  let perm = '';
  for (let i = 0; i < 9; i++) perm += mode & (1 << (8 - i)) ? chars[i] : '-';
  return (isDir ? 'd' : isLink ? 'L' : '-') + perm;
}

/** Resolves a user path against the alloc dir, refusing anything that leaves it. */
export async function confinePath(allocDir: string, userPath: string): Promise<string> {
  const root = resolve(allocDir);
  const cleaned = userPath === '' ? '/' : userPath;
  const target = resolve(root, '.' + (cleaned.startsWith('/') ? cleaned : '/' + cleaned));
  const escapes = (p: string, base: string): boolean => {
    const rel = relative(base, p);
    return rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel);
  };
  // `..` that stays inside (alloc/../task) is fine: only where the path ends up counts.
  if (escapes(target, root)) {
    throw badRequest(`Path "${userPath}" escapes the allocation directory`, 'path');
  }
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    throw notFound(`stat ${userPath}: no such file or directory`);
  }
  const realRoot = await realpath(root);
  if (escapes(real, realRoot)) throw badRequest(`Path "${userPath}" escapes the allocation directory`, 'path');
  return real;
}

async function sniffContentType(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return 'application/octet-stream';
    return 'text/plain; charset=utf-8';
  } finally {
    await fh.close();
  }
}

async function fileInfo(path: string, name: string): Promise<AllocFileInfo> {
  const st = await stat(path, { bigint: true });
  const isDir = st.isDirectory();
  return {
    Name: name,
    IsDir: isDir,
    Size: Number(st.size),
    FileMode: fileModeString(Number(st.mode), isDir),
    ModTime: rfc3339FromNs(st.mtimeNs),
    ContentType: isDir ? '' : await sniffContentType(path).catch(() => ''),
  };
}

export async function listDir(allocDir: string, userPath: string): Promise<AllocFileInfo[]> {
  const dir = await confinePath(allocDir, userPath);
  const st = await stat(dir);
  if (!st.isDirectory()) throw badRequest(`${userPath} is not a directory`, 'path');
  const names = (await readdir(dir)).sort().slice(0, MAX_LIST_ENTRIES);
  const infos = await Promise.all(names.map((n) => fileInfo(join(dir, n), n).catch(() => null)));
  return infos.filter((i): i is AllocFileInfo => i !== null);
}

export async function statPath(allocDir: string, userPath: string): Promise<AllocFileInfo> {
  const p = await confinePath(allocDir, userPath);
  const name = p === resolve(allocDir) ? '/' : p.split(sep).pop()!;
  return fileInfo(p, name);
}

/** Bytes of a file from offset: `limit` of them, or (null) to the end as it is now. */
export async function readFileRange(allocDir: string, userPath: string, offset: number, limit: number | null): Promise<Readable> {
  const p = await confinePath(allocDir, userPath);
  const st = await stat(p);
  if (st.isDirectory()) throw badRequest(`file "${userPath}" is a directory`, 'path');
  if (!Number.isInteger(offset) || offset < 0) throw badRequest(`offset must be a non-negative integer, got ${offset}`, 'offset');
  if (limit !== null && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`limit must be a non-negative integer, got ${limit}`, 'limit');
  if (limit === 0 || offset >= st.size) return Readable.from([]);
  // A limit past the end (up to 2^63-1 from the API) reads to the end as the file is now.
  const end = limit === null ? st.size - 1 : Math.min(st.size - 1, offset + limit - 1);
  return createReadStream(p, { start: offset, end });
}
