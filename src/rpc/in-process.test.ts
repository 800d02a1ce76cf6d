// The in-process channel gives each side what a remote peer would: its own copies, the wire's
// error kinds, and deadlines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessRpc } from './in-process.js';
import { RpcError } from './errors.js';
import { NomadError } from '../structs/errors.js';

test('arguments and answers are copies: neither side keeps a reference into the other', async () => {
  const rpc = new InProcessRpc();
  const kept: Array<{ list: number[] }> = [];
  const answer = { nested: { n: 1 } };
  rpc.handle('T.Echo', async (args) => {
    kept.push(args as { list: number[] });
    return answer;
  });
  const sent = { list: [1, 2] };
  const got = await rpc.call<{ nested: { n: number } }>('T.Echo', sent);
  sent.list.push(3);
  got.nested.n = 99;
  assert.deepEqual(kept[0], { list: [1, 2] });
  assert.notEqual(kept[0], sent);
  assert.equal(answer.nested.n, 1);
});

test('values that are not plain data come through as msgpack decodes them', async () => {
  const rpc = new InProcessRpc();
  rpc.handle('T.Echo', async (args) => args);
  const got = await rpc.call<{ when: unknown; bytes: Uint8Array }>('T.Echo', { when: new Map([['a', 1]]), bytes: Buffer.from('hi') });
  assert.deepEqual(got.when, { a: 1 });
  assert.equal(Buffer.from(got.bytes).toString(), 'hi');
});

test('a handler error arrives as the wire rebuilds it, and a deadline ends a call that hangs', async () => {
  const rpc = new InProcessRpc();
  rpc.handle('T.Fail', async () => {
    throw new NomadError('not_found', 'job not found', 'Job.ID');
  });
  rpc.handle('T.Hang', () => new Promise(() => {}));
  await assert.rejects(rpc.call('T.Fail', {}), (e: unknown) => e instanceof NomadError && e.kind === 'not_found' && e.where === 'Job.ID');
  await assert.rejects(rpc.call('T.Hang', {}, { timeoutMs: 20 }), (e: unknown) => e instanceof RpcError && e.code === 'timeout');
  await assert.rejects(rpc.call('T.None', {}), /no handler for T.None/);
});
