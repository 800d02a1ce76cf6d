// Three server agents as one Raft cluster on 127.0.0.1-3, driven with the real `nomad` program:
// the Raft configuration and autopilot as every server tells them; a snapshot saved through one
// follower, more jobs registered, the snapshot restored through the other follower, and every
// server then holding exactly the saved jobs, with writes going on after it; a dead server
// turning the health 429 and removed by ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runNomad } from './harness.js';
import { agreedLeader, Cluster, http, jobBody, tableRows, waitFor, type ServerSpec } from './cluster-harness.js';

async function jobIds(s: ServerSpec, stale: boolean): Promise<string> {
  const r = await http<Array<{ ID: string }>>(s.addr, 'GET', `/v1/jobs${stale ? '?stale' : ''}`);
  assert.equal(r.status, 200, r.text);
  return r.body.map((j) => j.ID).sort().join(',');
}

test('three servers: operator commands, snapshot save and restore reaching every server, a dead server removed', { timeout: 240_000 }, async () => {
  const cluster = await Cluster.create(3, { base: 11 });
  try {
    await cluster.startAll();
    const leader = await agreedLeader(cluster.specs);
    const [f1, f2] = cluster.specs.filter((s) => s !== leader) as [ServerSpec, ServerSpec];
    const nomad = (via: ServerSpec, ...args: string[]) => runNomad(args, via.addr, { cwd: cluster.root });

    // list-peers: gossip names, server UUIDs, the same leader from every server.
    for (const s of cluster.specs) {
      const peers = await nomad(s, 'operator', 'raft', 'list-peers');
      assert.equal(peers.code, 0, peers.stderr);
      const table = tableRows(peers.stdout).sort((a, b) => a[0]!.localeCompare(b[0]!));
      assert.deepEqual(table.map((r) => r[0]), ['s1.global', 's2.global', 's3.global']);
      for (const r of table) assert.match(r[1]!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.deepEqual(table.filter((r) => r[3] === 'leader').map((r) => r[2]), [`${leader.ip}:${leader.rpc}`]);
    }

    // Autopilot through a follower: written on the leader, read back from every server. Dead
    // servers are left to the operator for the end of this test.
    const set = await nomad(f1, 'operator', 'autopilot', 'set-config', '-cleanup-dead-servers=false', '-last-contact-threshold=500ms');
    assert.equal(set.stdout.trim(), 'Configuration updated!', set.stderr);
    for (const s of cluster.specs) {
      const get = await nomad(s, 'operator', 'autopilot', 'get-config');
      assert.match(get.stdout, /^CleanupDeadServers = false$/m);
      assert.match(get.stdout, /^LastContactThreshold = 500ms$/m);
    }

    for (const id of ['a', 'b']) assert.equal((await http(f1.addr, 'PUT', '/v1/jobs', jobBody(id))).status, 200);
    const save = await nomad(f1, 'operator', 'snapshot', 'save', 'backup.snap');
    assert.equal(save.code, 0, save.stderr);
    const inspect = await nomad(f1, 'operator', 'snapshot', 'inspect', join(cluster.root, 'backup.snap'));
    assert.equal(inspect.code, 0, inspect.stderr);
    const savedIndex = Number(/^Index\s+(\d+)$/m.exec(inspect.stdout)?.[1]);
    assert.ok(savedIndex > 0, inspect.stdout);

    for (const id of ['c', 'd']) assert.equal((await http(f2.addr, 'PUT', '/v1/jobs', jobBody(id))).status, 200);
    for (const s of cluster.specs) assert.equal(await jobIds(s, false), 'a,b,c,d');

    const restore = await nomad(f2, 'operator', 'snapshot', 'restore', 'backup.snap');
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(restore.stdout.trim(), 'Snapshot Restored');
    // Every server's own state (stale reads) comes to the saved jobs, and consistent reads see them.
    for (const s of cluster.specs) {
      await waitFor(`${s.name} holds the restored state`, async () => ((await jobIds(s, true)) === 'a,b' ? true : undefined), 20_000);
      assert.equal(await jobIds(s, false), 'a,b');
    }
    const e = await http<{ JobModifyIndex: number }>(f1.addr, 'PUT', '/v1/jobs', jobBody('e'));
    assert.equal(e.status, 200);
    assert.ok(e.body.JobModifyIndex > savedIndex);
    for (const s of cluster.specs) assert.equal(await jobIds(s, false), 'a,b,e');

    // A server dies: the health turns 429; removed by ID, two voters remain.
    const healthy = await http<{ Healthy: boolean; Servers: unknown[] }>(f1.addr, 'GET', '/v1/operator/autopilot/health');
    assert.equal(healthy.status, 200, healthy.text);
    assert.equal(healthy.body.Servers.length, 3);
    const peers = tableRows((await nomad(leader, 'operator', 'raft', 'list-peers')).stdout);
    const deadId = peers.find((r) => r[2] === `${f2.ip}:${f2.rpc}`)![1]!;
    await cluster.kill(f2.name);
    await waitFor('health 429', async () => ((await http(f1.addr, 'GET', '/v1/operator/autopilot/health')).status === 429 ? true : undefined), 20_000);
    // Until gossip sees it failed, the leader would add an alive member back.
    await waitFor(`${f2.name} failed in gossip`, async () => {
      const m = await nomad(f1, 'server', 'members');
      return tableRows(m.stdout).some((r) => r[0] === `${f2.name}.global` && r[3] === 'failed') ? true : undefined;
    }, 30_000);
    const removed = await nomad(f1, 'operator', 'raft', 'remove-peer', `-peer-id=${deadId}`);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.trim(), `Removed peer with id "${deadId}"`);
    const after = tableRows((await nomad(f1, 'operator', 'raft', 'list-peers')).stdout);
    assert.equal(after.length, 2, JSON.stringify(after));
    assert.ok(!after.some((r) => r[1] === deadId));
    assert.deepEqual(await http<string[]>(f1.addr, 'GET', '/v1/status/peers').then((r) => r.body.length), 2);
  } finally {
    await cluster.shutdown();
  }
});
