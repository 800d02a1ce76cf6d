import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, SnapshotMeta } from '../types.js';
import { EntryKind } from '../types.js';
import { FileLogStore } from './file-log-store.js';
import { FileSnapshotStore } from './file-snapshot-store.js';
import { FileStableStore } from './file-stable-store.js';

const entry = (index: number, term: number, text = `e${index}`): Entry => ({ index, term, kind: EntryKind.Command, data: new TextEncoder().encode(text) });
const range = (lo: number, hi: number, term: number): Entry[] => Array.from({ length: hi - lo + 1 }, (_, i) => entry(lo + i, term));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raft-store-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('log store: append, read, overwrite a suffix, reopen', () => withDir(async (dir) => {
  const log = await FileLogStore.open(dir, { segmentMaxBytes: 200 });
  await log.storeEntries(range(1, 30, 1));
  await log.storeEntries([entry(25, 2, 'new25'), entry(26, 2, 'new26')]);
  assert.equal(log.lastIndex(), 26);
  const got = await log.readRange(20, 26);
  assert.deepEqual(got.map((e) => e.term), [1, 1, 1, 1, 1, 2, 2]);
  assert.equal(new TextDecoder().decode((got[5] as Entry).data as Uint8Array), 'new25');
  await log.close();
  const again = await FileLogStore.open(dir, { segmentMaxBytes: 200 });
  assert.equal(again.firstIndex(), 1);
  assert.equal(again.lastIndex(), 26);
  assert.equal((await again.readRange(26, 26))[0]?.term, 2);
  await again.close();
}));

test('log store: compaction drops whole segments; reset empties the log', () => withDir(async (dir) => {
  const log = await FileLogStore.open(dir, { segmentMaxBytes: 150 });
  await log.storeEntries(range(1, 10, 1));
  await log.storeEntries(range(11, 20, 1));
  await log.storeEntries(range(21, 30, 1));
  await log.compactPrefix(15);
  assert.ok(log.firstIndex() > 1 && log.firstIndex() <= 15, `first index ${log.firstIndex()}`);
  assert.equal((await log.readRange(15, 30)).length, 16);
  await log.reset(100);
  assert.equal(log.lastIndex(), 100);
  assert.equal(log.firstIndex(), 101);
  await log.storeEntries(range(101, 103, 3));
  await log.close();
  const again = await FileLogStore.open(dir);
  assert.equal(again.firstIndex(), 101);
  assert.equal(again.lastIndex(), 103);
  await again.close();
}));

test('log store: a torn tail is cut off at open', () => withDir(async (dir) => {
  const log = await FileLogStore.open(dir);
  await log.storeEntries(range(1, 10, 1));
  await log.close();
  const [seg] = await readdir(dir);
  const path = join(dir, seg as string);
  const size = (await stat(path)).size;
  await truncate(path, size - 3);
  const repairs: string[] = [];
  const again = await FileLogStore.open(dir, { onRepair: (m) => repairs.push(m) });
  assert.equal(again.lastIndex(), 9);
  assert.equal(repairs.length, 1);
  await again.storeEntries([entry(10, 2)]);
  await again.close();
  const third = await FileLogStore.open(dir);
  assert.equal((await third.readRange(10, 10))[0]?.term, 2);
  await third.close();
}));

test('log store: a corrupt last record is a torn tail: the log is truncated before it', () => withDir(async (dir) => {
  const log = await FileLogStore.open(dir);
  await log.storeEntries(range(1, 10, 1));
  await log.close();
  const [seg] = await readdir(dir);
  const path = join(dir, seg as string);
  const bytes = await readFile(path);
  // Flip a payload byte in the last record, then leave half-written garbage after it.
  bytes[bytes.length - 2] ^= 0xff;
  await writeFile(path, bytes as unknown as Uint8Array);
  await appendFile(path, 'garbage' as string);
  const repairs: string[] = [];
  const again = await FileLogStore.open(dir, { onRepair: (m) => repairs.push(m) });
  assert.equal(again.lastIndex(), 9);
  assert.match(repairs[0] ?? '', /checksum mismatch at byte \d+; truncating the log after index 9/);
  await again.close();
}));

test('log store: a corrupt record with entries after it refuses to open, naming the file and offset', () => withDir(async (dir) => {
  const log = await FileLogStore.open(dir);
  await log.storeEntries(range(1, 10, 1));
  await log.close();
  const [seg] = await readdir(dir);
  const path = join(dir, seg as string);
  const bytes = await readFile(path);
  const recordBytes = bytes.length / 10;
  bytes[Math.floor(6 * recordBytes + recordBytes - 2)] ^= 0xff;
  await writeFile(path, bytes as unknown as Uint8Array);
  await assert.rejects(FileLogStore.open(dir), (e: Error) => {
    assert.equal(e.name, 'StorageCorruptionError');
    assert.ok(e.message.includes(path), e.message);
    assert.match(e.message, /checksum mismatch at byte \d+ \(entry 7\)/);
    return true;
  });
  // Nothing was cut: the file is as it was.
  assert.equal((await stat(path)).size, bytes.length);
}));

test('log store: damage in a segment that later segments continue refuses to open', () => withDir(async (dir) => {
  const log = await FileLogStore.open(dir, { segmentMaxBytes: 150 });
  await log.storeEntries(range(1, 10, 1));
  await log.storeEntries(range(11, 20, 1));
  await log.close();
  const segs = (await readdir(dir)).sort();
  assert.ok(segs.length >= 2);
  const first = join(dir, segs[0] as string);
  await truncate(first, (await stat(first)).size - 3);
  await assert.rejects(FileLogStore.open(dir), /damaged in the middle/);
}));

test('stable store: term and vote survive a reopen', () => withDir(async (dir) => {
  const s = await FileStableStore.open(dir);
  assert.deepEqual(await s.load(), { term: 0, vote: null });
  await s.save({ term: 7, vote: 'n2' });
  const again = await FileStableStore.open(dir);
  assert.deepEqual(await again.load(), { term: 7, vote: 'n2' });
}));

test('snapshot store: keeps N, verifies checksums, falls back past a corrupt one', () => withDir(async (dir) => {
  const store = await FileSnapshotStore.open(dir, { retain: 2 });
  const meta = (index: number): SnapshotMeta => ({ index, term: 1, configuration: { servers: [] }, configurationIndex: 0 });
  for (const i of [10, 20, 30]) {
    const sink = await store.create(meta(i));
    await sink.write(new TextEncoder().encode(`state-${i}`));
    await sink.commit();
  }
  assert.deepEqual((await store.list()).map((m) => m.index), [30, 20]);
  const latest = await store.openLatest();
  assert.equal(new TextDecoder().decode(await (latest as NonNullable<typeof latest>).readAll()), 'state-30');
  const newest = (await readdir(dir)).sort().find((n) => n.includes('-30-')) as string;
  await writeFile(join(dir, newest, 'state.bin'), 'state-3X');
  const corrupt: string[] = [];
  const reopened = await FileSnapshotStore.open(dir, { onCorrupt: (m) => corrupt.push(m) });
  const fallback = await reopened.openLatest();
  assert.equal(fallback?.meta.index, 20);
  assert.equal(corrupt.length, 1);
  const cancelled = await reopened.create(meta(40));
  await cancelled.write(new Uint8Array([1, 2, 3]));
  await cancelled.cancel();
  assert.equal((await reopened.list())[0]?.index, 30);
}));

test('snapshot store: the state checked at open is read once; later reads go to the file and check it again', () => withDir(async (dir) => {
  const store = await FileSnapshotStore.open(dir);
  const sink = await store.create({ index: 5, term: 1, configuration: { servers: [] }, configurationIndex: 0 });
  await sink.write(new TextEncoder().encode('state-'));
  await sink.write(new TextEncoder().encode('5'));
  await sink.commit();
  const opened = await store.openLatest();
  assert.ok(opened);
  const text = async (chunks: AsyncIterable<Uint8Array>): Promise<string> => {
    let out = '';
    for await (const c of chunks) out += new TextDecoder().decode(c);
    return out;
  };
  assert.equal(new TextDecoder().decode(await opened.readAll()), 'state-5');
  assert.equal(new TextDecoder().decode(await opened.readAll()), 'state-5');
  assert.equal(await text(opened.chunks()), 'state-5');
  // Changed on disk after the open: a later read notices.
  const name = (await readdir(dir)).find((n) => n.includes('-5-')) as string;
  await writeFile(join(dir, name, 'state.bin'), 'state-X');
  await assert.rejects(opened.readAll(), /checksum mismatch/);
  await assert.rejects(text(opened.chunks()), /checksum mismatch/);
}));
