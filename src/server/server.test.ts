// The server on the single-node log: heartbeat expiry and client alloc updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockJob, mockNode } from '../../test/unit/scheduler/mock.js';
import type { StateStoreView } from '../state/reader.js';
import { systemRandom, type Random } from '../structs/clock.js';
import { startSingleNodeServer } from '../../test/unit/single-node-server.js';

function startServer(heartbeat = {}, random?: Random) {
  return startSingleNodeServer({ heartbeat, ...(random ? { random } : {}) });
}

/** Waits (bounded) until pred holds on the latest state, waking on changes of nodes, evals and allocations. */
async function waitState(store: StateStoreView, pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    const remaining = deadline - Date.now();
    assert.ok(remaining > 0, 'condition not reached in time');
    await store.waitForChange(['nodes', 'evals', 'allocs'], store.snapshot().latestIndex(), remaining);
  }
}

test('a node that misses its heartbeat goes down; a heartbeat in time keeps it up', async () => {
  const { store, consensus, server } = await startServer({ minHeartbeatTtlMs: 40, heartbeatGraceMs: 10, random: () => 0 });
  try {
    const quiet = { ...mockNode({ id: '00000000-0000-0000-0000-00000000000a' }), SecretID: 's1' };
    const reg = await server.nodes.nodeRegister(quiet);
    assert.equal(reg.HeartbeatTTLMs, 40);
    assert.equal(reg.LeaderRPCAddr, '127.0.0.1:4647');
    await waitState(store, () => store.snapshot().nodeByID(quiet.ID)?.Status === 'down', 5_000);
    const node = store.snapshot().nodeByID(quiet.ID)!;
    assert.ok(node.Events?.some((e) => e.Message === 'Node heartbeat missed'));
    await assert.rejects(server.nodes.nodeUpdateStatus('missing', 'ready'), /node not found/);
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});

test('registration validates the node and keeps secrets', async () => {
  const { consensus, server } = await startServer({ minHeartbeatTtlMs: 60_000 });
  try {
    const node = { ...mockNode({ id: '00000000-0000-0000-0000-00000000000b' }), SecretID: 's1' };
    await server.nodes.nodeRegister(node);
    await assert.rejects(server.nodes.nodeRegister({ ...node, SecretID: 'other' }), /secret ID does not match/);
    await assert.rejects(server.nodes.nodeRegister({ ...node, ID: '', Datacenter: '' }), /missing node ID.*missing datacenter/);
    const none = await server.nodes.nodeGetClientAllocs(node.ID, 1_000_000, 20);
    assert.deepEqual(none.Allocs, {});
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});

test('a job blocked while its only node is ineligible is placed when the node is eligible again', async () => {
  const { store, consensus, server } = await startServer({ minHeartbeatTtlMs: 60_000 });
  try {
    const node = { ...mockNode({ id: '00000000-0000-0000-0000-00000000000c' }), SecretID: 's1', Status: 'ready' as const };
    await server.nodes.nodeRegister(node);
    await server.nodes.updateEligibility(node.ID, 'ineligible');
    const job = mockJob({ ID: 'waits' });
    await server.jobs.register(job);
    const blocked = () => store.snapshot().evalsByJob('default', 'waits').find((e) => e.Status === 'blocked');
    await waitState(store, () => blocked() !== undefined && server.stats().blocked.totalBlocked === 1, 5_000);
    // Stamped with the state it was computed on, so the blocked set tracks it rather than
    // treating every earlier capacity change as one it missed.
    assert.ok(blocked()!.SnapshotIndex > 0);
    assert.equal(store.snapshot().allocsByJob('default', 'waits', false).length, 0);

    await server.nodes.updateEligibility(node.ID, 'eligible');
    await waitState(store, () => store.snapshot().allocsByJob('default', 'waits', false).length === 1, 5_000);
    assert.equal(store.snapshot().allocsByJob('default', 'waits', false)[0]!.NodeID, node.ID);
    assert.equal(server.stats().blocked.totalBlocked, 0);
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});

test('the heartbeat TTL stagger draws from the randomness the server was given', async () => {
  // A simulation that replays a seed passes its own Random: the TTLs handed to clients must come from it.
  const random: Random = { float: () => 0.5, uuid: () => systemRandom.uuid() };
  const { consensus, server } = await startServer({ minHeartbeatTtlMs: 60_000 }, random);
  try {
    const node = { ...mockNode({ id: '00000000-0000-0000-0000-00000000000c' }), SecretID: 's1' };
    const reg = await server.nodes.nodeRegister(node);
    assert.equal(reg.HeartbeatTTLMs, 90_000);
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});
