// The snapshot archive: what is written reads back whole; a cut-off, flipped, foreign or
// inconsistent file is refused with what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { readSnapshotArchive, snapshotDigest, writeSnapshotArchive } from './snapshot-archive.js';

const state = new Uint8Array(Array.from({ length: 5000 }, (_, i) => (i * 7) % 251));

async function tarGz(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => tar.on('end', r));
  for (const [name, body] of Object.entries(files)) tar.entry({ name }, typeof body === 'string' ? body : Buffer.from(body));
  tar.finalize();
  await ended;
  const all = Buffer.concat(chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.length)));
  return new Uint8Array(gzipSync(new Uint8Array(all.buffer, all.byteOffset, all.length)));
}

function sha(s: string | Uint8Array): string {
  return createHash('sha256').update(s).digest('hex');
}

test('an archive reads back with its metadata and state, and its digest is the SHA-256 of the bytes', async () => {
  const archive = await writeSnapshotArchive({ index: 42, term: 3, createdMs: 1_700_000_000_123 }, state);
  const { meta, state: back } = await readSnapshotArchive(archive);
  assert.deepEqual(meta, { ID: '3-42-1700000000123', Size: state.length, Index: 42, Term: 3, Version: 1 });
  assert.deepEqual(back, state);
  assert.equal(snapshotDigest(archive), `sha-256=${createHash('sha256').update(archive).digest('base64')}`);
  // A plain gzipped tar that tar(1) lists: meta.json, state.bin, SHA256SUMS.
  const tar = gunzipSync(archive);
  assert.equal(tar.subarray(0, 9).toString(), 'meta.json');
});

test('a cut-off, flipped or foreign file is refused with the reason', async () => {
  const archive = await writeSnapshotArchive({ index: 7, term: 1, createdMs: 0 }, state);
  await assert.rejects(readSnapshotArchive(archive.subarray(0, archive.length - 20)), /snapshot archive: the file is damaged or is not a snapshot \(the file is cut short\)/);
  await assert.rejects(readSnapshotArchive(new TextEncoder().encode('hello')), /the file is damaged or is not a snapshot \(gzip: incorrect header check\)/);
  await assert.rejects(readSnapshotArchive(await tarGz({ 'agent.hcl': 'x' })), /meta.json is missing \(this is not a snapshot saved by nomad operator snapshot save\)/);

  // A byte of the state changed inside an otherwise well-formed archive: the checksum catches it.
  const meta = JSON.stringify({ ID: '1-7-0', Size: state.length, Index: 7, Term: 1, Version: 1 });
  const flipped = state.slice();
  flipped[100] = (flipped[100]! + 1) % 256;
  const sums = `${sha(meta)}  meta.json\n${sha(state)}  state.bin\n`;
  await assert.rejects(readSnapshotArchive(await tarGz({ 'meta.json': meta, 'state.bin': flipped, SHA256SUMS: sums })), /state.bin does not match its SHA-256 checksum \(the file is corrupt\)/);
  // Consistent checksums but metadata that lies about the size, or a future layout.
  const lying = JSON.stringify({ ID: '1-7-0', Size: 1, Index: 7, Term: 1, Version: 1 });
  await assert.rejects(readSnapshotArchive(await tarGz({ 'meta.json': lying, 'state.bin': state, SHA256SUMS: `${sha(lying)}  meta.json\n${sha(state)}  state.bin\n` })), /meta.json says 1 bytes of state, state.bin has 5000/);
  const future = JSON.stringify({ ID: 'x', Size: state.length, Index: 7, Term: 1, Version: 9 });
  await assert.rejects(readSnapshotArchive(await tarGz({ 'meta.json': future, 'state.bin': state, SHA256SUMS: `${sha(future)}  meta.json\n${sha(state)}  state.bin\n` })), /version 9 is not supported/);
  await assert.rejects(readSnapshotArchive(await tarGz({ 'meta.json': meta, 'state.bin': state, SHA256SUMS: `${sha(state)}  state.bin\n` })), /SHA256SUMS has no checksum for meta.json/);
});
