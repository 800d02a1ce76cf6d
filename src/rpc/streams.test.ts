import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { NomadError } from '../structs/errors.js';
import { aborted, deferred, newPool, startServer, until } from '../../test/unit/rpc/fixture.js';
import { RpcError } from './index.js';
import { INITIAL_WINDOW_BYTES } from './wire.js';

test('a stream delivers items in order and ends when the handler returns', async () => {
  const { server, addr } = await startServer();
  server.handleStream('Logs.Follow', async (args, _ctx, out) => {
    const n = args as number;
    for (let i = 0; i < n; i++) await out.write({ Offset: i, Data: `line ${i}` });
  });
  const { pool } = newPool();
  const got: unknown[] = [];
  for await (const item of pool.stream(addr, 'Logs.Follow', 500)) got.push(item);
  assert.equal(got.length, 500);
  assert.deepEqual(got[0], { Offset: 0, Data: 'line 0' });
  assert.deepEqual(got[499], { Offset: 499, Data: 'line 499' });
  await pool.close();
  await server.close();
});

test("a stream's handler error arrives after the items written before it", async () => {
  const { server, addr } = await startServer();
  server.handleStream('Logs.Follow', async (_args, _ctx, out) => {
    await out.write('a');
    await out.write('b');
    throw new NomadError('not_found', 'unknown allocation');
  });
  const { pool } = newPool();
  const got: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const item of pool.stream(addr, 'Logs.Follow', null)) got.push(item);
    })(),
    (e: unknown) => e instanceof NomadError && e.kind === 'not_found' && e.message === 'unknown allocation',
  );
  assert.deepEqual(got, ['a', 'b']);
  await pool.close();
  await server.close();
});

test('a stream writer waits for the reader: back-pressure bounds what is in flight', async () => {
  const { server, addr } = await startServer();
  const itemBytes = 16 * 1024;
  let written = 0;
  server.handleStream('Events.Stream', async (_args, _ctx, out) => {
    const payload = new Uint8Array(itemBytes);
    for (let i = 0; i < 400; i++) {
      await out.write(payload);
      written++;
    }
  });
  const { pool } = newPool();
  let read = 0;
  let maxAhead = 0;
  for await (const item of pool.stream(addr, 'Events.Stream', null)) {
    assert.equal((item as Uint8Array).length, itemBytes);
    read++;
    maxAhead = Math.max(maxAhead, written - read);
    // A slow reader: let the writer run as far as it can before taking the next item.
    if (read % 20 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(read, 400);
  // The writer may run one window (plus one item) ahead of the reader, never further.
  const windowItems = Math.ceil(INITIAL_WINDOW_BYTES / itemBytes);
  assert.ok(maxAhead <= windowItems + 2, `writer ran ${maxAhead} items ahead (window is ${windowItems} items)`);
  assert.ok(maxAhead >= windowItems / 2, `the writer used its window (${maxAhead} ahead)`);
  await pool.close();
  await server.close();
});

test('a reader that stops early cancels the stream: the handler is aborted and write() rejects', async () => {
  const { server, addr } = await startServer();
  const ended = deferred<unknown>();
  server.handleStream('Logs.Follow', async (_args, ctx, out) => {
    try {
      for (let i = 0; ; i++) await out.write(i);
    } catch (e) {
      ended.resolve(e);
      throw e;
    } finally {
      assert.ok(ctx.signal.aborted);
    }
  });
  const { pool } = newPool();
  const got: unknown[] = [];
  for await (const item of pool.stream(addr, 'Logs.Follow', null)) {
    got.push(item);
    if (got.length === 3) break;
  }
  assert.deepEqual(got, [0, 1, 2]);
  const e = await ended.promise;
  assert.ok(e instanceof RpcError && e.code === 'cancelled', `write() failed with ${String(e)}`);
  await pool.close();
  await server.close();
});

test('a stream to an unknown method throws unknown_method from the iterator', async () => {
  const { server, addr } = await startServer();
  const { pool } = newPool();
  await assert.rejects(
    (async () => {
      for await (const _ of pool.stream(addr, 'Nope.Stream', null)) assert.fail('no items expected');
    })(),
    (e: unknown) => e instanceof RpcError && e.code === 'unknown_method',
  );
  await pool.close();
  await server.close();
});

async function* chunks(total: number, size: number, progress?: { sent: number }): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < total; sent += size) {
    const c = new Uint8Array(Math.min(size, total - sent));
    for (let i = 0; i < c.length; i += 997) c[i] = (sent + i) & 0xff;
    if (progress) progress.sent += c.length;
    yield c;
  }
}

test('an upload streams its data to the handler, which answers once it has consumed it', async () => {
  const { server, addr } = await startServer();
  server.handleUpload('Snapshot.Restore', async (args, data) => {
    const h = createHash('sha256');
    let bytes = 0;
    for await (const c of data) {
      h.update(c);
      bytes += c.length;
    }
    return { name: args, bytes, sha256: h.digest('hex') };
  });
  const { pool } = newPool();
  const total = 20 * 1024 * 1024 + 5;
  const expected = createHash('sha256');
  for await (const c of chunks(total, 200_000)) expected.update(c);
  const r = await pool.upload<{ name: string; bytes: number; sha256: string }>(addr, 'Snapshot.Restore', 'snap-1', chunks(total, 200_000));
  assert.deepEqual(r, { name: 'snap-1', bytes: total, sha256: expected.digest('hex') });
  await pool.close();
  await server.close();
});

test("an upload is paced by the handler's reading", async () => {
  const { server, addr } = await startServer();
  const progress = { sent: 0 };
  let consumed = 0;
  let maxAhead = 0;
  server.handleUpload('Snapshot.Restore', async (_args, data) => {
    for await (const c of data) {
      consumed += c.length;
      maxAhead = Math.max(maxAhead, progress.sent - consumed);
      await new Promise((r) => setTimeout(r, 1));
    }
    return consumed;
  });
  const { pool } = newPool();
  const total = 8 * 1024 * 1024;
  const chunkBytes = 64 * 1024;
  assert.equal(await pool.upload(addr, 'Snapshot.Restore', null, chunks(total, chunkBytes, progress)), total);
  // The source is read one window (plus the chunk in hand) ahead of the handler at most.
  assert.ok(maxAhead <= INITIAL_WINDOW_BYTES + 2 * chunkBytes, `source ran ${maxAhead} bytes ahead`);
  await pool.close();
  await server.close();
});

test('a handler that refuses an upload early answers at once; the rest of the data is not read', async () => {
  const { server, addr } = await startServer();
  server.handleUpload('Snapshot.Restore', async (_args, data) => {
    for await (const _ of data) throw new NomadError('bad_request', 'not a snapshot');
    return null;
  });
  const { pool } = newPool();
  const progress = { sent: 0 };
  let closed = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks(512 * 1024 * 1024, 64 * 1024, progress);
    } finally {
      closed = true;
    }
  }
  await assert.rejects(pool.upload(addr, 'Snapshot.Restore', null, source()), (e: unknown) => e instanceof NomadError && e.message === 'not a snapshot');
  await until('the source is closed', () => closed);
  assert.ok(progress.sent < 16 * 1024 * 1024, `read ${progress.sent} bytes of the source`);
  await pool.close();
  await server.close();
});

test('a failing upload source fails the upload and aborts the handler', async () => {
  const { server, addr } = await startServer();
  const handlerSaw = deferred<unknown>();
  const firstChunk = deferred();
  server.handleUpload('Snapshot.Restore', async (_args, data) => {
    try {
      for await (const _ of data) firstChunk.resolve();
    } catch (e) {
      handlerSaw.resolve(e);
      throw e;
    }
    return 'complete';
  });
  const { pool } = newPool();
  async function* source(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(1000);
    // Fail once the handler is reading (before that, the request may not have left at all).
    await firstChunk.promise;
    throw new Error('disk read failed');
  }
  await assert.rejects(pool.upload(addr, 'Snapshot.Restore', null, source()), /disk read failed/);
  const e = await handlerSaw.promise;
  assert.ok(e instanceof RpcError && e.code === 'cancelled');
  await pool.close();
  await server.close();
});

test('small calls stay fast while a large upload shares their connection', async () => {
  const { server, addr } = await startServer();
  server.handle('Node.UpdateStatus', async (args) => args);
  const uploadDone = deferred();
  let uploadFinished = false;
  server.handleUpload('Snapshot.Restore', async (_args, data) => {
    let n = 0;
    for await (const c of data) n += c.length;
    return n;
  });
  const { pool } = newPool();
  assert.equal(await pool.call(addr, 'Node.UpdateStatus', 0), 0); // connect first
  const total = 96 * 1024 * 1024;
  const uploadStarted = performance.now();
  let uploadMs = 0;
  const upload = pool.upload<number>(addr, 'Snapshot.Restore', null, chunks(total, 1024 * 1024)).then((n) => {
    uploadMs = performance.now() - uploadStarted;
    uploadFinished = true;
    uploadDone.resolve();
    return n;
  });
  const latencies: number[] = [];
  for (let i = 1; i <= 40 && !uploadFinished; i++) {
    const t0 = performance.now();
    assert.equal(await pool.call(addr, 'Node.UpdateStatus', i), i);
    latencies.push(performance.now() - t0);
  }
  assert.equal(await upload, total);
  await uploadDone.promise;
  assert.equal(server.connectionCount, 1, 'the calls and the upload shared one connection');
  assert.ok(latencies.length >= 5, `only ${latencies.length} calls fitted in the upload`);
  latencies.sort((a, b) => a - b);
  const worst = latencies[latencies.length - 1] as number;
  // Held behind the upload, a call would take about as long as the upload's remainder; fairly
  // interleaved, it takes a few frames' time (bounds loose enough for a loaded machine).
  assert.ok(worst < uploadMs / 4 && worst < 1000, `slowest small call took ${worst.toFixed(1)} ms during a ${uploadMs.toFixed(0)} ms upload`);
  await pool.close();
  await server.close();
});
