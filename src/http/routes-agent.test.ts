// The gossip endpoints of /v1/agent against a recording AgentInfo: join's answer shape, force-leave
// with prune, the keyring operations and their errors, and 501 when the agent has no keyring.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from '../state/store.js';
import { FSM } from '../state/fsm.js';
import { InMemoryConsensus } from '../server/consensus-memory.js';
import { Server } from '../server/server.js';
import { HttpServer } from './http-server.js';
import type { AgentInfo, KeyringOp } from './agent-info.js';

const calls: string[] = [];
let withKeyring = true;

const agent: AgentInfo = {
  self: () => ({}),
  members: () => ({ ServerName: 'a', ServerRegion: 'global', ServerDC: 'dc1', Members: [] }),
  servers: () => [],
  setServers: () => undefined,
  join: async (addrs) => {
    calls.push(`join ${addrs.join(',')}`);
    return addrs.includes('bad') ? { num_joined: 0, error: 'failed to join any member: bad: refused' } : { num_joined: addrs.length, error: '' };
  },
  forceLeave: async (node, prune) => {
    calls.push(`force-leave ${node} prune=${prune}`);
  },
  health: () => ({ server: { ok: true, message: 'ok' } }),
};
Object.defineProperty(agent, 'keyring', {
  get: () =>
    withKeyring
      ? (op: KeyringOp, key: string) => {
          calls.push(`keyring ${op} ${key}`);
          if (key === 'unknown') throw new Error('key is not installed');
          return { Messages: {}, Keys: op === 'list' ? { k1: 1 } : {}, NumNodes: 1 };
        }
      : undefined,
});

let server: Server;
let consensus: InMemoryConsensus;
let http: HttpServer;
let base = '';

before(async () => {
  const store = new StateStore();
  const fsm = new FSM(store);
  consensus = new InMemoryConsensus(fsm, { rpcAddr: '127.0.0.1:4647' });
  server = new Server({
    region: 'global',
    datacenter: 'dc1',
    nodeName: 'a',
    store,
    applied: fsm,
    consensus,
    rpcAddr: '127.0.0.1:4647',
    numSchedulers: 0,
    heartbeat: { minHeartbeatTtlMs: 60_000, heartbeatGraceMs: 10_000, random: () => 0 },
  });
  http = new HttpServer({ server, store, client: null, agent, port: 0 });
  base = `http://127.0.0.1:${(await http.listen()).port}`;
});

after(async () => {
  await http.close();
  await server.shutdown();
  await consensus.shutdown();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, text: await res.text() };
}

test('join answers with num_joined and error, as Nomad; a failed join is still a 200', async () => {
  calls.length = 0;
  let r = await call('PUT', '/v1/agent/join?address=127.0.0.2:4648&address=127.0.0.3');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), { num_joined: 2, error: '' });
  r = await call('PUT', '/v1/agent/join?address=bad');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), { num_joined: 0, error: 'failed to join any member: bad: refused' });
  assert.equal((await call('PUT', '/v1/agent/join')).status, 400);
  assert.deepEqual(calls, ['join 127.0.0.2:4648,127.0.0.3', 'join bad']);
});

test('force-leave passes the node and the prune flag', async () => {
  calls.length = 0;
  assert.equal((await call('PUT', '/v1/agent/force-leave?node=s3.global')).status, 200);
  assert.equal((await call('PUT', '/v1/agent/force-leave?node=s3.global&prune=true')).status, 200);
  assert.equal((await call('PUT', '/v1/agent/force-leave')).status, 400);
  assert.deepEqual(calls, ['force-leave s3.global prune=false', 'force-leave s3.global prune=true']);
});

test('keyring list, install, use and remove; refusals are 500s with the reason', async () => {
  calls.length = 0;
  const list = await call('GET', '/v1/agent/keyring/list');
  assert.equal(list.status, 200);
  assert.deepEqual(JSON.parse(list.text), { Messages: {}, Keys: { k1: 1 }, NumNodes: 1 });
  for (const op of ['install', 'use', 'remove']) assert.equal((await call('POST', `/v1/agent/keyring/${op}`, { Key: 'k2' })).status, 200);
  const refused = await call('POST', '/v1/agent/keyring/use', { Key: 'unknown' });
  assert.equal(refused.status, 500);
  assert.match(refused.text, /key is not installed/);
  assert.equal((await call('POST', '/v1/agent/keyring/install', {})).status, 400);
  assert.deepEqual(calls, ['keyring list ', 'keyring install k2', 'keyring use k2', 'keyring remove k2', 'keyring use unknown']);
  withKeyring = false;
  try {
    assert.equal((await call('GET', '/v1/agent/keyring/list')).status, 501);
  } finally {
    withKeyring = true;
  }
});
