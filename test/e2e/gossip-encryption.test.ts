// Encrypted gossip over real sockets: members with the key talk, a member with another key is
// shut out (and its packets counted, not crashed on), and keys rotate without a gap.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GossipAgent } from '../../src/gossip/agent.js';
import type { GossipTimings } from '../../src/gossip/timings.js';

const FAST: Partial<GossipTimings> = { probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 50, pushPullIntervalMs: 2000, tcpTimeoutMs: 1000 };

async function until(what: string, cond: () => boolean, boundMs: number): Promise<void> {
  const startMs = Date.now();
  while (!cond()) {
    if (Date.now() - startMs > boundMs) assert.fail(`${what} not reached within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const key = (bytes: number): string => randomBytes(bytes).toString('base64');
const aliveCount = (a: GossipAgent): number => a.members().filter((m) => m.status === 'alive').length;

test('encrypted members join, outsiders are dropped, keys rotate without downtime', { timeout: 60_000 }, async () => {
  const k1 = key(32);
  const k2 = key(16);
  const agents: GossipAgent[] = [];
  const make = (name: string, addr: string, encryptKey: string | undefined): GossipAgent => {
    const a = new GossipAgent({ name, bindAddr: addr, bindPort: 0, encryptKey, timings: FAST, tags: { role: 'server', region: 'global' } });
    agents.push(a);
    return a;
  };
  try {
    const a = make('a', '127.0.0.1', k1);
    const b = make('b', '127.0.0.2', k1);
    const outsider = make('x', '127.0.0.3', key(24));
    const plain = make('p', '127.0.0.4', undefined);
    await Promise.all(agents.map((g) => g.start()));
    assert.equal(await b.join([`127.0.0.1:${a.port}`]), 1);
    await until('a and b see each other', () => aliveCount(a) === 2 && aliveCount(b) === 2, 5000);

    await assert.rejects(outsider.join([`127.0.0.1:${a.port}`]), /failed to join/);
    await assert.rejects(plain.join([`127.0.0.1:${a.port}`]), /failed to join/);
    assert.ok(a.stats().transport.decryptFailures >= 2);
    assert.throws(() => plain.keyring.list(), /not enabled/);

    // Rotation: install everywhere, switch everywhere, remove the old key everywhere.
    for (const g of [a, b]) g.keyring.install(k2);
    a.keyring.use(k2);
    b.setTags({ role: 'server', region: 'global', build: '2' });
    await until('tag update through mixed keys', () => a.members().find((m) => m.name === 'b')?.tags['build'] === '2', 5000);
    b.keyring.use(k2);
    for (const g of [a, b]) g.keyring.remove(k1);
    assert.deepEqual(a.keyring.list(), { keys: [k2], primaryKey: k2 });
    assert.throws(() => a.keyring.remove(k2), /primary/);
    b.setTags({ role: 'server', region: 'global', build: '3' });
    await until('tag update on the new key', () => a.members().find((m) => m.name === 'b')?.tags['build'] === '3', 5000);
    assert.equal(a.members().find((m) => m.name === 'b')?.status, 'alive');
    assert.equal(a.stats().members.failed, 0);
  } finally {
    await Promise.all(agents.map((g) => g.shutdown()));
  }
});
