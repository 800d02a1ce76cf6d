import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { newPool, startServer, until } from '../../test/unit/rpc/fixture.js';

/** An async iterable the test feeds by hand: push() adds a chunk, end() finishes it. */
function feed(): { data: AsyncIterable<Uint8Array>; push(b: string): void; end(): void } {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  return {
    data: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (queue.length > 0) yield queue.shift()!;
          else if (ended) return;
          else await new Promise<void>((r) => (wake = r));
        }
      },
    },
    push(b) {
      queue.push(new TextEncoder().encode(b));
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

test('a duplex exchange answers each chunk the caller sends while it is still sending', async () => {
  const { server, addr } = await startServer();
  server.handleDuplex('Echo.Session', async (args, data, _ctx, out) => {
    await out.write({ hello: args });
    for await (const chunk of data) await out.write(Buffer.from(chunk).toString().toUpperCase());
    await out.write('bye');
  });
  const { pool } = newPool();
  const input = feed();
  const items = pool.duplex(addr, 'Echo.Session', 'x', input.data)[Symbol.asyncIterator]();
  assert.deepEqual((await items.next()).value, { hello: 'x' });
  // Each answer comes before the next chunk is sent: the two directions really interleave.
  input.push('ab');
  assert.equal((await items.next()).value, 'AB');
  input.push('cd');
  assert.equal((await items.next()).value, 'CD');
  input.end();
  assert.equal((await items.next()).value, 'bye');
  assert.equal((await items.next()).done, true);
  await pool.close();
  await server.close();
});

test("a duplex handler's error reaches the caller; a caller that stops reading cancels the handler", async () => {
  const { server, addr } = await startServer();
  server.handleDuplex('Fail.Session', async (_args, data) => {
    for await (const chunk of data) if (Buffer.from(chunk).toString() === 'boom') throw new NomadError('bad_request', 'boom refused');
  });
  let cancelled = false;
  server.handleDuplex('Long.Session', async (_args, _data, ctx, out) => {
    await out.write('started');
    await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    cancelled = true;
  });
  const { pool } = newPool();
  const input = feed();
  input.push('boom');
  await assert.rejects(
    (async () => {
      for await (const _ of pool.duplex(addr, 'Fail.Session', null, input.data)) assert.fail('no items expected');
    })(),
    (e: unknown) => e instanceof NomadError && e.kind === 'bad_request' && e.message === 'boom refused',
  );
  const idle = feed();
  for await (const item of pool.duplex(addr, 'Long.Session', null, idle.data)) {
    assert.equal(item, 'started');
    break;
  }
  await until('the handler saw the cancellation', () => cancelled, 5_000);
  await pool.close();
  await server.close();
});

test('a duplex method is refused as a stream, and a stream method as a duplex', async () => {
  const { server, addr } = await startServer();
  server.handleStream('Only.Stream', async (_a, _c, out) => out.write(1));
  server.handleDuplex('Only.Duplex', async (_a, _d, _c, out) => out.write(1));
  const { pool } = newPool();
  await assert.rejects(async () => {
    for await (const _ of pool.stream(addr, 'Only.Duplex', null)) assert.fail('no items');
  }, /is a duplex, not a stream/);
  await assert.rejects(async () => {
    for await (const _ of pool.duplex(addr, 'Only.Stream', null, feed().data)) assert.fail('no items');
  }, /is a stream, not a duplex/);
  await pool.close();
  await server.close();
});
