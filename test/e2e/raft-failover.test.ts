// Three raft servers as separate processes on 127.0.0.1: writes through the
// leader, SIGKILL of the leader, a new leader without losing an acknowledged
// write, and the old leader back, catching up from a snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, findLeader, kill, makeTempRoot, portOf, removeTempRoot, startCluster, startServer, status, waitUntil,
} from './fixtures/raft-cluster.js';
import type { ServerProcess } from './fixtures/raft-cluster.js';

// Fast ticks keep the test short; a low snapshot threshold and few trailing
// logs make the restarted server too far behind for plain log replication.
const SERVER_ARGS = ['--tick-ms', '20', '--election-ticks', '10', '--snapshot-threshold', '50', '--trailing-logs', '10'];

async function put(leader: ServerProcess, key: string, value: string): Promise<boolean> {
  try {
    const r = await call<{ index?: number }>(leader, 'PUT', `/kv/${key}`, value, 5000);
    return r.status === 200;
  } catch {
    return false;
  }
}

test('raft e2e: leader killed, no acknowledged write lost, old leader catches up from a snapshot', { timeout: 120_000 }, async () => {
  const root = await makeTempRoot('raft-e2e-');
  let servers: ServerProcess[] = [];
  try {
    servers = await startCluster(root, 3, SERVER_ARGS);
    const leader = await waitUntil('a leader', () => findLeader(servers), 15_000);

    const acknowledged = new Map<string, string>();
    for (let i = 0; i < 120; i++) {
      const key = `key${i}`;
      if (await put(leader, key, `v${i}`)) acknowledged.set(key, `v${i}`);
    }
    assert.equal(acknowledged.size, 120, 'the stable leader acknowledged every write');

    await kill(leader, 'SIGKILL');
    const survivors = servers.filter((s) => s !== leader);
    const next = await waitUntil('a new leader', () => findLeader(survivors), 15_000);
    assert.notEqual(next.id, leader.id);

    for (const [key, value] of acknowledged) {
      const r = await call<{ value: string | null }>(next, 'GET', `/kv/${key}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.value, value, `acknowledged write ${key} survived the failover`);
    }

    // Enough new writes that the log the old leader needs is compacted away.
    for (let i = 120; i < 400; i++) {
      const key = `key${i}`;
      if (await put(next, key, `v${i}`)) acknowledged.set(key, `v${i}`);
    }
    const leaderStatus = await waitUntil('a snapshot on the new leader', async () => {
      const st = await status(next);
      return st && Number(st.stats.last_snapshot_index) > 200 ? st : null;
    }, 15_000);

    const restarted = await startServer(leader.id, leader.dir, SERVER_ARGS, portOf(leader.raftAddress));
    servers = servers.map((s) => (s === leader ? restarted : s));
    const target = Number(leaderStatus.stats.commit_index);
    const caughtUp = await waitUntil('the old leader to catch up', async () => {
      const st = await status(restarted);
      return st && st.applied >= target ? st : null;
    }, 30_000);
    assert.ok(caughtUp.snapshotsInstalled >= 1, 'the old leader caught up through InstallSnapshot');
    assert.equal(caughtUp.state, 'Follower');

    // Its state matches: read through the leader after the restart, compare with what was acknowledged.
    const finalLeader = await waitUntil('a leader', () => findLeader(servers), 15_000);
    for (const key of ['key0', 'key119', 'key250', 'key399']) {
      if (!acknowledged.has(key)) continue;
      const r = await call<{ value: string | null }>(finalLeader, 'GET', `/kv/${key}`);
      assert.equal(r.json.value, acknowledged.get(key));
    }
  } finally {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) await kill(s, 'SIGKILL');
    }
    await removeTempRoot(root);
  }
});
