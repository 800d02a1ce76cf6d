import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { deferred, newPool, startServer, until } from '../../test/unit/rpc/fixture.js';
import { RpcError, RpcServer } from './index.js';
import { backoffDelayMs, resolveBackoff } from './backoff.js';
import { CaptureLogger } from '../../test/unit/rpc/capture-logger.js';

/** A port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('backoff doubles from the base, is capped, and jitters within half of each step', () => {
  const b = resolveBackoff({ baseMs: 100, maxMs: 1000 });
  const low = () => 0;
  const high = () => 0.999999;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelayMs(n, b, high)), [100, 200, 400, 800, 1000, 1000, 1000]);
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, b, low)), [50, 100, 200, 400, 500]);
  assert.equal(backoffDelayMs(2, resolveBackoff({ baseMs: 100, maxMs: 1000, jitter: 0 }), high), 200);
  assert.throws(() => resolveBackoff({ baseMs: 0 }), /0 < baseMs <= maxMs/);
  assert.throws(() => resolveBackoff({ jitter: 2 }), /jitter/);
});

test('a call to a peer that is down fails fast with connect, and again at once while in backoff', async () => {
  const port = await closedPort();
  const { pool, logger } = newPool({ reconnectBackoff: { baseMs: 60_000, maxMs: 60_000 } });
  const addr = `127.0.0.1:${port}`;
  const t0 = performance.now();
  await assert.rejects(pool.call(addr, 'Status.Ping', null, { timeoutMs: 30_000 }), (e: unknown) => e instanceof RpcError && e.code === 'connect' && /ECONNREFUSED/.test(e.message) && e.notProcessed);
  const first = performance.now() - t0;
  assert.ok(first < 2000, `the refused dial took ${first} ms`);
  const t1 = performance.now();
  await assert.rejects(pool.call(addr, 'Status.Ping', null, { timeoutMs: 30_000 }), (e: unknown) => e instanceof RpcError && e.code === 'connect' && /next attempt in \d+ ms/.test(e.message));
  assert.ok(performance.now() - t1 < 500, 'no dial while backing off');
  assert.equal(pool.notify(addr, 'Raft.Message', {}), false, 'one-way messages to a peer in backoff are dropped');
  await logger.waitFor(new RegExp(`cannot connect to ${addr}: ECONNREFUSED; next attempt in`));
  assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1, 'one warning for the peer going down');
  await pool.close();
});

test('after a peer restarts, the pool reconnects once the backoff has passed', async () => {
  const first = await startServer();
  first.server.handle('Status.Ping', async () => 'first');
  const { pool } = newPool({ reconnectBackoff: { baseMs: 50, maxMs: 200 } });
  assert.equal(await pool.call(first.addr, 'Status.Ping', null), 'first');
  await first.server.close();
  await assert.rejects(pool.call(first.addr, 'Status.Ping', null), (e: unknown) => e instanceof RpcError && (e.code === 'connect' || e.code === 'closed'));
  const logger = new CaptureLogger();
  const again = new RpcServer({ bindHost: '127.0.0.1', port: first.port, logger });
  again.handle('Status.Ping', async () => 'again');
  await again.listen();
  let answer: unknown = null;
  const failures = new Set<string>();
  const deadline = performance.now() + 5000;
  while (answer === null) {
    assert.ok(performance.now() < deadline, 'the pool did not reconnect within 5 s');
    try {
      answer = await pool.call(first.addr, 'Status.Ping', null);
    } catch (e) {
      failures.add((e as RpcError).code);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  assert.equal(answer, 'again');
  assert.ok([...failures].every((c) => c === 'connect' || c === 'closed'), `failures seen: ${[...failures].join(',')}`);
  assert.equal(again.connectionCount, 1);
  await pool.close();
  await again.close();
});

test('an idle connection is closed by the pool and dialed again when needed', async () => {
  const { server, addr } = await startServer();
  server.handle('Status.Ping', async () => 'pong');
  const { pool } = newPool({ idleTimeoutMs: 100 });
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  assert.equal(server.connectionCount, 1);
  await until('the idle connection closes', () => server.connectionCount === 0 && pool.connectionCount === 0);
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  assert.equal(server.connectionCount, 1);
  await pool.close();
  await server.close();
});

test('a connection carrying only one-way messages is busy, not idle', async () => {
  const { server, addr } = await startServer();
  let received = 0;
  const from = new Set<string>();
  server.handleNotify('Raft.Message', (_args, ctx) => {
    received++;
    from.add(ctx.remoteAddr);
  });
  const { pool } = newPool({ idleTimeoutMs: 300 });
  const t0 = performance.now();
  let sent = 0;
  // Notify every 20 ms for 3 idle periods: the connection must stay the same one.
  while (performance.now() - t0 < 900) {
    assert.equal(pool.notify(addr, 'Raft.Message', { t: performance.now() }), true);
    sent++;
    await new Promise((r) => setTimeout(r, 20));
  }
  await until('all delivered', () => received === sent);
  assert.equal(from.size, 1, `one connection carried them all (${[...from].join(', ')})`);
  await pool.close();
  await server.close();
});

test("the server closes a connection idle past its own timeout; the pool dials again", async () => {
  const { server, addr, logger } = await startServer({ idleTimeoutMs: 100 });
  server.handle('Status.Ping', async () => 'pong');
  const { pool } = newPool();
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  await logger.waitFor(/closing idle connection/);
  await until('the pool saw it go', () => pool.connectionCount === 0);
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  await pool.close();
  await server.close();
});

test('one-way messages arrive in order; a peer that stops reading makes notify drop, never block', async () => {
  const { server, addr } = await startServer();
  const got: number[] = [];
  server.handleNotify('Raft.Message', (args) => void got.push(args as number));
  const { pool } = newPool();
  for (let i = 0; i < 1000; i++) assert.equal(pool.notify(addr, 'Raft.Message', i), true);
  await until('1000 messages', () => got.length === 1000);
  assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i));
  await pool.close();
  await server.close();

  // A peer that accepts and never reads: the kernel buffers fill, then our queue, then we drop.
  const accepted = new Set<net.Socket>();
  const stalled = net.createServer((s) => {
    s.pause();
    accepted.add(s);
  });
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
  const stalledAddr = `127.0.0.1:${(stalled.address() as net.AddressInfo).port}`;
  const limit = 256 * 1024;
  const { pool: p2 } = newPool({ maxNotifyQueueBytes: limit });
  const payload = new Uint8Array(16 * 1024);
  let queued = 0;
  let refused = 0;
  for (let i = 0; i < 20_000 && refused === 0; i++) {
    const t0 = performance.now();
    if (p2.notify(stalledAddr, 'Raft.Message', payload)) queued++;
    else refused++;
    assert.ok(performance.now() - t0 < 1000, 'notify returned at once');
    if (i % 16 === 15) await new Promise((r) => setImmediate(r));
  }
  assert.equal(refused, 1, `a notify was dropped after ${queued} were queued`);
  assert.equal(p2.droppedNotifies, 1);
  await p2.close();
  for (const s of accepted) s.destroy();
  await new Promise<void>((r) => stalled.close(() => r()));
});

test('a server that stops answering is detected by keepalive pings', async () => {
  // Takes the protocol byte and requests, answers nothing, not even pings.
  const mute = net.createServer((s) => s.on('data', () => undefined));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(mute.address() as net.AddressInfo).port}`;
  const { pool, logger } = newPool({ keepaliveIntervalMs: 100 });
  const t0 = performance.now();
  await assert.rejects(pool.call(addr, 'Node.GetClientAllocs', null, { timeoutMs: 30_000 }), (e: unknown) => e instanceof RpcError && e.code === 'closed' && /keepalive/.test(e.message));
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 150 && elapsed < 5000, `detected after ${elapsed} ms`);
  await logger.waitFor(/did not answer a keepalive ping within 100 ms/);
  await pool.close();
  await new Promise<void>((r) => mute.close(() => r()));
});

test('closing the pool or the server fails what is in flight with closed', async () => {
  const { server, addr } = await startServer();
  const arrived = deferred();
  let n = 0;
  server.handle('Slow.Wait', async (_args, ctx) => {
    if (++n === 2) arrived.resolve();
    await new Promise((r) => ctx.signal.addEventListener('abort', r));
    return null;
  });
  const { pool } = newPool();
  const a = pool.call(addr, 'Slow.Wait', null);
  const b = pool.call(addr, 'Slow.Wait', null);
  const outcomes = Promise.allSettled([a, b]);
  await arrived.promise;
  await server.close();
  for (const o of await outcomes) {
    assert.equal(o.status, 'rejected');
    const e = (o as PromiseRejectedResult).reason as unknown;
    assert.ok(e instanceof RpcError && e.code === 'closed' && /shutting down/.test(e.message), String(e));
  }
  await pool.close();
  await assert.rejects(pool.call(addr, 'Slow.Wait', null), (e: unknown) => e instanceof RpcError && e.code === 'closed' && /pool is closed/.test(e.message));
  assert.equal(pool.notify(addr, 'X', null), false);

  const s2 = await startServer();
  const started = deferred();
  s2.server.handle('Slow.Wait', async (_args, ctx) => {
    started.resolve();
    await new Promise((r) => ctx.signal.addEventListener('abort', r));
    return null;
  });
  const { pool: p2 } = newPool();
  const c = p2.call(s2.addr, 'Slow.Wait', null);
  await started.promise;
  await p2.close();
  await assert.rejects(c, (e: unknown) => e instanceof RpcError && e.code === 'closed');
  await s2.server.close();
});

test('bad addresses are refused as connect errors', async () => {
  const { pool } = newPool();
  for (const bad of ['nohost', ':4647', 'host:0', 'host:70000', 'host:port']) {
    await assert.rejects(pool.call(bad, 'X', null), (e: unknown) => e instanceof RpcError && e.code === 'connect' && /bad RPC address/.test(e.message), bad);
  }
  await pool.close();
});
