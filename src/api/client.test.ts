import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, FrameDecoder, TransportError, createClient, frameData, resolveConfig } from './index.js';
import { startServer } from '../../test/unit/cli-harness.js';

test('config: flags win over environment, which wins over defaults', () => {
  assert.equal(resolveConfig({}, {}).address, 'http://127.0.0.1:4646');
  assert.equal(resolveConfig({}, { NOMAD_ADDR: '10.0.0.1:4646/' }).address, 'http://10.0.0.1:4646');
  const c = resolveConfig({ address: 'https://a:1', region: 'eu' }, { NOMAD_ADDR: 'http://b:2', NOMAD_REGION: 'us', NOMAD_NAMESPACE: 'ops' });
  assert.deepEqual([c.address, c.region, c.namespace], ['https://a:1', 'eu', 'ops']);
});

test('query options become parameters; index headers become query meta', async () => {
  const server = await startServer((_m, u) => (u.pathname === '/v1/jobs' ? { body: [], headers: { 'X-Nomad-Index': '56', 'X-Nomad-LastContact': '3' } } : undefined));
  try {
    const client = createClient({ address: server.address, region: 'global', namespace: 'default' }, {});
    const ans = await client.jobs.list({ index: 55, waitMs: 2000, prefix: 'ex' });
    assert.deepEqual(ans.body, []);
    assert.equal(ans.meta.lastIndex, 56);
    assert.equal(ans.meta.knownLeader, true);
    assert.equal(ans.meta.lastContactMs, 3);
    const q = new URLSearchParams(server.requests[0]!.query);
    assert.deepEqual([q.get('region'), q.get('namespace'), q.get('index'), q.get('wait'), q.get('prefix')], ['global', 'default', '55', '2000ms', 'ex']);
    client.close();
  } finally {
    await server.close();
  }
});

test('non-2xx answers carry status and body; register sends EnforceIndex', async () => {
  const server = await startServer((m, u) => {
    if (u.pathname === '/v1/job/missing') return { status: 404, body: 'job not found' };
    if (m === 'PUT' && u.pathname === '/v1/jobs') return { body: { EvalID: 'e', EvalCreateIndex: 1, JobModifyIndex: 1, Warnings: '' } };
    return undefined;
  });
  try {
    const client = createClient({ address: server.address }, {});
    await assert.rejects(client.jobs.info('missing'), (err: unknown) => err instanceof ApiError && err.statusCode === 404 && err.message === 'Unexpected response code: 404 (job not found)');
    await client.jobs.register({ ID: 'x' }, { enforceIndex: 0 });
    assert.deepEqual(JSON.parse(server.requests[1]!.body), { Job: { ID: 'x' }, EnforceIndex: true, JobModifyIndex: 0 });
    client.close();
  } finally {
    await server.close();
  }
});

test('a refused connection reads like Go net errors', async () => {
  const client = createClient({ address: 'http://127.0.0.1:1' }, {});
  await assert.rejects(client.agent.self(), (err: unknown) => err instanceof TransportError && err.message === 'Get "http://127.0.0.1:1/v1/agent/self": dial tcp 127.0.0.1:1: connect: connection refused');
});

test('frame decoder joins objects split across chunks and skips heartbeats', () => {
  const d = new FrameDecoder();
  const whole = '{"Offset":3,"Data":"aGkK","File":"a{b}\\"c"}{}{"Offset":6,"Data":"aGkK"}';
  const out = [...d.push(whole.slice(0, 10)), ...d.push(whole.slice(10, 45)), ...d.push(whole.slice(45))];
  assert.equal(out.length, 3);
  assert.equal(out[0]!.File, 'a{b}"c');
  assert.equal(out.map((f) => frameData(f).toString('utf8')).join(''), 'hi\nhi\n');
});
