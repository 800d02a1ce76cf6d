// Two servers' gossip in one process on loopback: Nomad's member shape and tags, join answers,
// a graceful leave, force-leave with prune, the serf stats and the keyring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, mergeConfig, type AgentConfig } from './config.js';
import { resolveAddresses, type ResolvedAddresses } from './addresses.js';
import { silentLogger } from './logger.js';
import { ServerGossip } from './server-gossip.js';
import type { AgentMember } from '../structs/agent-member.js';
import { freePort } from '../../test/e2e/harness.js';

const KEY = 'T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=';

async function serverConfig(name: string, extra: Partial<AgentConfig['server']> = {}): Promise<{ c: AgentConfig; addrs: ResolvedAddresses }> {
  const c = mergeConfig(defaultConfig(), {
    name,
    bindAddr: '127.0.0.1',
    ports: { http: 4646, rpc: 4647, serf: await freePort() },
    server: { enabled: true, bootstrapExpect: 1, ...extra },
  });
  const r = resolveAddresses(c);
  assert.ok(r.ok);
  return { c, addrs: r.addrs };
}

async function startServerGossip(name: string, extra: Partial<AgentConfig['server']> = {}): Promise<ServerGossip> {
  const { c, addrs } = await serverConfig(name, extra);
  return ServerGossip.start({ config: c, addrs, nodeName: name, serverId: `id-${name}`, logger: silentLogger });
}

/** Polls the local view (no I/O of its own) until it holds; bounded. */
async function until(what: string, check: () => boolean, boundMs = 5_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} not reached within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statusOf = (ms: AgentMember[], name: string): string | undefined => ms.find((m) => m.Name === name)?.Status;

test('servers join, show Nomad member shapes, and a graceful leave is seen as left', async () => {
  const a = await startServerGossip('a');
  const b = await startServerGossip('b');
  try {
    const self = a.localMember();
    assert.equal(self.Name, 'a.global');
    assert.equal(self.Addr, '127.0.0.1');
    assert.equal(self.Status, 'alive');
    assert.deepEqual([self.ProtocolMin, self.ProtocolMax, self.ProtocolCur, self.DelegateMin, self.DelegateMax, self.DelegateCur], [1, 5, 2, 2, 5, 4]);
    assert.equal(self.Tags['role'], 'nomad');
    assert.equal(self.Tags['bootstrap'], '1');
    assert.equal(self.Tags['id'], 'id-a');
    assert.equal(self.Tags['port'], '4647');

    const bad = await a.join(['127.0.0.1:1']);
    assert.equal(bad.num_joined, 0);
    assert.match(bad.error, /127\.0\.0\.1:1/);

    const ok = await a.join([`127.0.0.1:${b.localMember().Port}`]);
    assert.deepEqual(ok, { num_joined: 1, error: '' });
    await until('both see both', () => [a, b].every((g) => statusOf(g.members(), 'a.global') === 'alive' && statusOf(g.members(), 'b.global') === 'alive'));
    assert.equal(a.stats()['members'], '2');

    await b.leave();
    await until('a sees b left', () => statusOf(a.members(), 'b.global') === 'left');
    assert.equal(a.stats()['left'], '1');

    // Force-leave of an alive or unknown member changes nothing and is not an error (Serf's way).
    a.forceLeave('nobody.global', false);
    a.forceLeave('a.global', true);
    assert.equal(statusOf(a.members(), 'a.global'), 'alive');

    a.forceLeave('b.global', true);
    assert.equal(statusOf(a.members(), 'b.global'), undefined);
    assert.equal(a.stats()['members'], '1');
    assert.equal(a.stats()['left'], '0');
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

test('serf stats carry Serf keys; the keyring answers only with encryption on', async () => {
  const plain = await startServerGossip('p');
  const sealed = await startServerGossip('s', { encrypt: KEY });
  try {
    const stats = plain.stats();
    assert.deepEqual(Object.keys(stats).sort(), [
      'coordinate_resets', 'encrypted', 'event_queue', 'event_time', 'failed', 'health_score',
      'intent_queue', 'left', 'member_time', 'members', 'query_queue', 'query_time',
    ]);
    assert.equal(stats['encrypted'], 'false');
    assert.equal(sealed.stats()['encrypted'], 'true');
    assert.throws(() => plain.keyring('list', ''), /encryption is not enabled/);

    assert.deepEqual(sealed.keyring('list', ''), { Messages: {}, Keys: { [KEY]: 1 }, NumNodes: 1 });
    const next = Buffer.alloc(16, 7).toString('base64');
    sealed.keyring('install', next);
    sealed.keyring('use', next);
    assert.throws(() => sealed.keyring('remove', next), /primary/);
    sealed.keyring('remove', KEY);
    assert.deepEqual(Object.keys(sealed.keyring('list', '').Keys), [next]);
  } finally {
    await plain.shutdown();
    await sealed.shutdown();
  }
});

test('a port already taken fails start-up with the address in the message', async () => {
  const a = await startServerGossip('a');
  const { c, addrs } = await serverConfig('b');
  const taken = { ...c, ports: { ...c.ports, serf: a.localMember().Port } };
  const takenAddrs = { ...addrs, advertise: { ...addrs.advertise, serf: `127.0.0.1:${a.localMember().Port}` } };
  try {
    await assert.rejects(ServerGossip.start({ config: taken, addrs: takenAddrs, nodeName: 'b', serverId: 'x', logger: silentLogger }), /Failed to start gossip on 127\.0\.0\.1:\d+/);
  } finally {
    await a.shutdown();
  }
});
