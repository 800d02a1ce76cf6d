import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { MultiError, NomadError } from '../structs/errors.js';
import { aborted, deferred, newPool, startServer } from '../../test/unit/rpc/fixture.js';
import { RpcError } from './index.js';
import type { RpcRequestContext } from './index.js';

test('a call carries msgpack values both ways and the handler sees who called', async () => {
  const { server, addr } = await startServer();
  let seen: RpcRequestContext | null = null;
  server.handle('Echo.Echo', async (args, ctx) => {
    seen = ctx;
    return { got: args, n: 42, bytes: new Uint8Array([1, 2, 3]), nested: [null, true, 'x'] };
  });
  const { pool } = newPool();
  const args = { Name: 'job', Count: 3, Meta: { a: 'b' }, Data: new Uint8Array([9, 8]) };
  const r = await pool.call<{ got: typeof args; n: number; bytes: Uint8Array; nested: unknown[] }>(addr, 'Echo.Echo', args);
  assert.deepEqual({ ...r.got, Data: [...r.got.Data] }, { ...args, Data: [9, 8] });
  assert.equal(r.n, 42);
  assert.deepEqual([...r.bytes], [1, 2, 3]);
  assert.deepEqual(r.nested, [null, true, 'x']);
  const ctx = seen as RpcRequestContext | null;
  assert.ok(ctx);
  assert.match(ctx.remoteAddr, /^127\.0\.0\.1:\d+$/);
  assert.equal(ctx.tls, null);
  await pool.close();
  await server.close();
});

test('many calls in flight on one connection are answered out of order', async () => {
  const { server, addr } = await startServer();
  const count = 200;
  const gates = new Map<number, { resolve: () => void }>();
  const allArrived = deferred();
  server.handle('Slow.Answer', async (args) => {
    const i = args as number;
    const gate = deferred();
    gates.set(i, gate);
    if (gates.size === count) allArrived.resolve();
    await gate.promise;
    return i * 10;
  });
  const { pool } = newPool();
  const order: number[] = [];
  const calls = Array.from({ length: count }, (_, i) => pool.call<number>(addr, 'Slow.Answer', i).then((v) => (order.push(i), v)));
  await allArrived.promise;
  assert.equal(server.connectionCount, 1, 'every call shares one connection');
  // Release them last-first: answers must still reach their own callers.
  for (let i = count - 1; i >= 0; i--) {
    gates.get(i)?.resolve();
    await new Promise((r) => setImmediate(r));
  }
  const results = await Promise.all(calls);
  assert.deepEqual(results, Array.from({ length: count }, (_, i) => i * 10));
  assert.deepEqual(order, Array.from({ length: count }, (_, i) => count - 1 - i), 'completed in the order released');
  await pool.close();
  await server.close();
});

test('a NomadError reaches the caller with its kind, message and where; other errors become internal', async () => {
  const { server, addr, logger } = await startServer();
  server.handle('Job.Register', async () => {
    throw new NomadError('bad_request', 'Task group "web" count must be >= 0', 'Job.TaskGroups[0].Count');
  });
  server.handle('Job.Validate', async () => {
    throw new MultiError(['Missing job datacenters', 'Missing job name']);
  });
  server.handle('Job.Crash', async () => {
    throw new TypeError('cannot read properties of undefined');
  });
  server.handle('Job.Sync', () => {
    throw new NomadError('not_found', 'job not found');
  });
  server.handle('Job.Forward', async () => {
    throw new RpcError('connect', 'leader unreachable');
  });
  const { pool } = newPool();
  await assert.rejects(pool.call(addr, 'Job.Register', {}), (e: unknown) => {
    assert.ok(e instanceof NomadError && !(e instanceof RpcError));
    assert.equal(e.kind, 'bad_request');
    assert.equal(e.message, 'Task group "web" count must be >= 0');
    assert.equal(e.where, 'Job.TaskGroups[0].Count');
    return true;
  });
  await assert.rejects(pool.call(addr, 'Job.Validate', {}), (e: unknown) => {
    assert.ok(e instanceof MultiError);
    assert.deepEqual(e.errors, ['Missing job datacenters', 'Missing job name']);
    assert.equal(e.message, '2 errors occurred:\n\t* Missing job datacenters\n\t* Missing job name\n\n');
    return true;
  });
  await assert.rejects(pool.call(addr, 'Job.Crash', {}), (e: unknown) => e instanceof NomadError && e.kind === 'internal' && e.message === 'cannot read properties of undefined');
  await assert.rejects(pool.call(addr, 'Job.Sync', {}), (e: unknown) => e instanceof NomadError && e.kind === 'not_found');
  // A transport error inside a handler is the server's failure, not the caller's connection's.
  await assert.rejects(pool.call(addr, 'Job.Forward', {}), (e: unknown) => e instanceof NomadError && !(e instanceof RpcError) && e.kind === 'internal');
  // Errors that are not answers are logged on the server; NomadErrors are not.
  await logger.waitFor(/handler of Job\.Crash failed for 127\.0\.0\.1:\d+: TypeError: cannot read properties of undefined/);
  assert.deepEqual(
    logger.lines.filter((l) => l.level === 'warn').map((l) => /handler of (\S+) failed/.exec(l.msg)?.[1]),
    ['Job.Crash', 'Job.Forward'],
  );
  // A failed call to another server is one line with its code, not a stack trace.
  const forward = logger.lines.find((l) => l.level === 'warn' && l.msg.includes('Job.Forward'))!.msg;
  assert.match(forward, /: its call to another server failed \((connect|timeout|closed|overloaded|cancelled|protocol|tls|unknown_method)\): /);
  assert.doesNotMatch(forward, /\n\s+at /);
  await pool.close();
  await server.close();
});

test('an unknown method answers unknown_method and the connection stays up', async () => {
  const { server, addr } = await startServer();
  server.handle('Status.Ping', async () => 'pong');
  server.handleStream('Logs.Follow', async () => undefined);
  const { pool } = newPool();
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  await assert.rejects(pool.call(addr, 'No.Such', null), (e: unknown) => e instanceof RpcError && e.code === 'unknown_method' && /No\.Such/.test(e.message) && e.notProcessed);
  await assert.rejects(pool.call(addr, 'Logs.Follow', null), (e: unknown) => e instanceof RpcError && e.code === 'unknown_method' && /is a stream, not a call/.test(e.message));
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  assert.equal(server.connectionCount, 1);
  assert.equal(server.refusedConnections, 0);
  await pool.close();
  await server.close();
});

test('the deadline travels with the request: the handler sees it and is aborted when it passes', async () => {
  const { server, addr } = await startServer();
  const handlerSignal = deferred<RpcRequestContext>();
  server.handle('Node.GetClientAllocs', async (_args, ctx) => {
    handlerSignal.resolve(ctx);
    await aborted(ctx.signal, 10_000);
    return 'too late';
  });
  const { pool } = newPool();
  const started = performance.now();
  const call = pool.call(addr, 'Node.GetClientAllocs', {}, { timeoutMs: 300 });
  const ctx = await handlerSignal.promise;
  assert.ok(ctx.deadlineMs !== null && ctx.deadlineMs <= 300 && ctx.deadlineMs > 0, `deadline seen by the handler: ${ctx.deadlineMs}`);
  await assert.rejects(call, (e: unknown) => e instanceof RpcError && e.code === 'timeout');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 295 && elapsed < 3000, `timed out after ${elapsed} ms`);
  const reason = await aborted(ctx.signal);
  assert.ok(reason instanceof RpcError && (reason.code === 'timeout' || reason.code === 'cancelled'), `abort reason ${String(reason)}`);
  // The connection outlives the timeout.
  server.handle('Status.Ping', async () => 'pong');
  assert.equal(await pool.call(addr, 'Status.Ping', null), 'pong');
  assert.equal(server.connectionCount, 1);
  await pool.close();
  await server.close();
});

test('a caller that cancels gets cancelled and the handler is aborted', async () => {
  const { server, addr } = await startServer();
  const started = deferred<AbortSignal>();
  server.handle('Eval.Dequeue', async (_args, ctx) => {
    started.resolve(ctx.signal);
    await aborted(ctx.signal, 10_000);
    return null;
  });
  const { pool } = newPool();
  const ac = new AbortController();
  const call = pool.call(addr, 'Eval.Dequeue', {}, { signal: ac.signal, timeoutMs: 30_000 });
  const signal = await started.promise;
  ac.abort();
  await assert.rejects(call, (e: unknown) => e instanceof RpcError && e.code === 'cancelled');
  const reason = await aborted(signal);
  assert.ok(reason instanceof RpcError && reason.code === 'cancelled');
  // Already aborted: refused before anything is sent.
  await assert.rejects(pool.call(addr, 'Eval.Dequeue', {}, { signal: ac.signal }), (e: unknown) => e instanceof RpcError && e.code === 'cancelled');
  await pool.close();
  await server.close();
});

test('past the in-flight bound the server answers overloaded without running the handler', async () => {
  const { server, addr } = await startServer({ maxInflightPerConnection: 4 });
  const release = deferred();
  let running = 0;
  let ran = 0;
  server.handle('Work.Do', async () => {
    running++;
    ran++;
    await release.promise;
    running--;
    return 'done';
  });
  const { pool } = newPool();
  const held = Array.from({ length: 4 }, () => pool.call(addr, 'Work.Do', null));
  await new Promise<void>((resolve) => {
    const check = (): void => (running === 4 ? resolve() : void setImmediate(check));
    check();
  });
  await assert.rejects(pool.call(addr, 'Work.Do', null), (e: unknown) => e instanceof RpcError && e.code === 'overloaded' && e.notProcessed);
  assert.equal(ran, 4, 'the refused call did not run');
  release.resolve();
  assert.deepEqual(await Promise.all(held), ['done', 'done', 'done', 'done']);
  assert.equal(await pool.call(addr, 'Work.Do', null), 'done');
  await pool.close();
  await server.close();
});

test('calls the caller gave up on no longer count against the server\'s in-flight bound, though their handlers still run', async () => {
  const { server, addr } = await startServer({ maxInflightPerConnection: 4 });
  const release = deferred();
  let running = 0;
  server.handle('Work.Slow', async () => {
    running++;
    // Ignores its signal, as a handler waiting on a commit does.
    await release.promise;
    running--;
    return 'late';
  });
  server.handle('Work.Fast', async () => 'fast');
  const { pool } = newPool({ maxInflightPerConnection: 4 });
  assert.equal(await pool.call(addr, 'Work.Fast', null), 'fast', 'connected');
  const ac = new AbortController();
  const timedOut = Array.from({ length: 2 }, () => assert.rejects(pool.call(addr, 'Work.Slow', null, { timeoutMs: 500 }), (e: unknown) => e instanceof RpcError && e.code === 'timeout'));
  const cancelled = Array.from({ length: 2 }, () => assert.rejects(pool.call(addr, 'Work.Slow', null, { signal: ac.signal }), (e: unknown) => e instanceof RpcError && e.code === 'cancelled'));
  await new Promise<void>((resolve) => {
    const check = (): void => (running === 4 ? resolve() : void setImmediate(check));
    check();
  });
  ac.abort();
  await Promise.all([...timedOut, ...cancelled]);
  assert.equal(running, 4, 'the four handlers are still running');
  // The pool has nothing in flight now; neither may the server count anything against it.
  assert.deepEqual(await Promise.all(Array.from({ length: 4 }, () => pool.call(addr, 'Work.Fast', null))), ['fast', 'fast', 'fast', 'fast']);
  release.resolve();
  await pool.close();
  await server.close();
});

test('past its own in-flight bound the pool holds calls in line, in order and within their deadlines; past the line it refuses them', async () => {
  const { server, addr } = await startServer();
  const release = deferred();
  const order: number[] = [];
  server.handle('Work.Do', async (n) => {
    order.push(n as number);
    await release.promise;
    return n;
  });
  const { pool } = newPool({ maxInflightPerConnection: 2, maxQueuedCallsPerConnection: 3 });
  const held = [pool.call(addr, 'Work.Do', 1), pool.call(addr, 'Work.Do', 2)];
  await new Promise<void>((resolve) => {
    const check = (): void => (order.length === 2 ? resolve() : void setImmediate(check));
    check();
  });
  const waiting = [pool.call(addr, 'Work.Do', 3), pool.call(addr, 'Work.Do', 4)];
  // A call whose deadline passes in line fails with it, and leaves its place in the line.
  await assert.rejects(pool.call(addr, 'Work.Do', 5, { timeoutMs: 30 }), (e: unknown) => e instanceof RpcError && e.code === 'timeout' && /waited behind 2 requests in flight/.test(e.message));
  const ac = new AbortController();
  const cancelled = pool.call(addr, 'Work.Do', 6, { signal: ac.signal });
  ac.abort();
  await assert.rejects(cancelled, (e: unknown) => e instanceof RpcError && e.code === 'cancelled');
  const last = pool.call(addr, 'Work.Do', 7);
  // The line holds 3, 4 and 7: one more is refused at once.
  await assert.rejects(pool.call(addr, 'Work.Do', 8), (e: unknown) => e instanceof RpcError && e.code === 'overloaded' && /2 requests in flight .* and 3 waiting/.test(e.message));
  assert.deepEqual(order, [1, 2], 'nothing in line was sent');
  release.resolve();
  assert.deepEqual(await Promise.all([...held, ...waiting, last]), [1, 2, 3, 4, 7]);
  assert.deepEqual(order, [1, 2, 3, 4, 7], 'sent in the order they came');
  await pool.close();
  await server.close();
});

test('calls in line fail with the connection that closes under them', async () => {
  const { server, addr } = await startServer();
  const started = deferred();
  server.handle('Work.Hang', () => {
    started.resolve();
    return new Promise(() => {});
  });
  const { pool } = newPool({ maxInflightPerConnection: 1 });
  const inflight = pool.call(addr, 'Work.Hang', null);
  const waiting = pool.call(addr, 'Work.Hang', null);
  await started.promise;
  const failed = Promise.all([
    assert.rejects(inflight, (e: unknown) => e instanceof RpcError),
    assert.rejects(waiting, (e: unknown) => e instanceof RpcError && e.code === 'closed' && /shutting down/.test(e.message)),
  ]);
  await server.close();
  await failed;
  await pool.close();
});

test('messages larger than a frame are split and joined; over the size limit they are refused', async () => {
  const { server, addr } = await startServer({ maxMessageBytes: 8 * 1024 * 1024 });
  server.handle('Blob.Reverse', async (args) => {
    const b = args as Uint8Array;
    return Uint8Array.from(b).reverse();
  });
  server.handle('Blob.Make', async (args) => new Uint8Array(args as number));
  const { pool } = newPool({ maxMessageBytes: 8 * 1024 * 1024 });
  const big = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const back = await pool.call<Uint8Array>(addr, 'Blob.Reverse', big);
  assert.equal(back.length, big.length);
  assert.equal(back[0], big[big.length - 1]);
  assert.equal(back[back.length - 1], big[0]);
  await assert.rejects(pool.call(addr, 'Blob.Reverse', new Uint8Array(9 * 1024 * 1024)), (e: unknown) => e instanceof RpcError && e.code === 'protocol' && /over the 8388608-byte limit/.test(e.message));
  await assert.rejects(pool.call(addr, 'Blob.Make', 9 * 1024 * 1024), (e: unknown) => e instanceof NomadError && e.kind === 'internal' && /over the 8388608-byte limit/.test(e.message));
  assert.equal((await pool.call<Uint8Array>(addr, 'Blob.Make', 10)).length, 10);
  await pool.close();
  await server.close();
});
