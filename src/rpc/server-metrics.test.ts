import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { newPool, startServer, until } from '../../test/unit/rpc/fixture.js';

test('each connection that speaks the protocol counts as nomad.rpc.accept_conn; foreign bytes do not', async () => {
  const m = new RecordingMetrics();
  const { server, addr, port } = await startServer({ metrics: m });
  server.handle('Status.Ping', async () => 'pong');
  const a = newPool().pool;
  const b = newPool().pool;
  assert.equal(await a.call(addr, 'Status.Ping', null), 'pong');
  assert.equal(await b.call(addr, 'Status.Ping', null), 'pong');
  assert.equal(await a.call(addr, 'Status.Ping', null), 'pong', 'a second call reuses its connection');
  const stray = connect(port, '127.0.0.1', () => stray.write('GET / HTTP/1.1\r\n\r\n'));
  await new Promise<void>((r) => stray.once('close', () => r()));
  await until('the stray connection refused', () => server.refusedConnections >= 1);
  assert.equal(m.named('nomad.rpc.accept_conn', 'counter').length, 2);
  await a.close();
  await b.close();
  await server.close();
});
