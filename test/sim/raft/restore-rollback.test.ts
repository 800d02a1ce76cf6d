// A restored snapshot that never reaches a quorum, step by step on the simulated network: the
// leader restores while cut off with one follower, which installs it; the three others elect a
// leader of a later term and commit without it. When the network heals, both servers that held
// the restore go back to the state before it, and every server ends with the same state, which
// has the new leader's write and none of the restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../src/raft/rng.js';
import type { Configuration, ServerId } from '../../../src/raft/types.js';
import { ClockedEventQueue } from '../event-queue.js';
import { SafetyChecker } from './safety-checker.js';
import { SimNetwork } from './sim-network.js';
import { SimNode, type PutOutcome, type SimNodeParams } from './sim-node.js';

const params: SimNodeParams = {
  tickMs: 10,
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  minDiskLatencyMs: 0,
  maxDiskLatencyMs: 2,
  snapshotThresholdEntries: 1000,
  trailingLogs: 5,
  maxEntriesPerAppend: 8,
  maxInflightAppends: 4,
};

test('raft simulation: a restore held by a minority is rolled back on both servers when a later leader lacks it', () => {
  const rng = new SeededRng(7);
  const queue = new ClockedEventQueue();
  const network = new SimNetwork(queue, rng.fork());
  const checker = new SafetyChecker();
  const nodes = new Map<ServerId, SimNode>();
  const ctx = { queue, network, checker, rng, params, node: (id: ServerId) => nodes.get(id) };
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const config: Configuration = { servers: ids.map((id) => ({ id, address: id, suffrage: 'voter' as const })) };
  ids.forEach((id, i) => nodes.set(id, new SimNode(id, ctx, 100 + i)));
  for (const n of nodes.values()) n.start(config);

  const runUntil = (what: string, done: () => boolean, boundMs = 5000): void => {
    const end = queue.nowMs + boundMs;
    while (!done()) {
      if (!queue.runNext(end)) throw new Error(`${what}: not reached by ${end} ms`);
      for (const n of nodes.values()) if (n.core) checker.observe(n.id, n.core);
    }
  };
  const leader = (among: readonly string[] = ids): SimNode | undefined =>
    among.map((id) => nodes.get(id)!).find((n) => n.core?.currentRole === 'leader');

  runUntil('a leader', () => leader() !== undefined);
  const l1 = leader()!;
  let put: PutOutcome | null = null;
  l1.propose({ key: 'k', value: 'before' }, (o) => (put = o));
  runUntil('the first write on every server', () => put === 'ok' && ids.every((id) => nodes.get(id)!.contents().some(([k, v]) => k === 'k' && v === 'before')));

  const f = nodes.get(ids.find((id) => id !== l1.id)!)!;
  const rest = ids.filter((id) => id !== l1.id && id !== f.id);
  network.partition([[l1.id, f.id], rest]);
  let restored: PutOutcome | null = null;
  assert.equal(l1.restore([['r', 'restored']], 0, (o) => (restored = o)), true, 'the leader takes the restore');
  const restoreIndex = l1.core!.log.compactedIndex;
  runUntil('the cut-off follower installs the restore', () => f.contents().some(([k]) => k === 'r'));
  assert.ok(f.core!.commitIndex < restoreIndex, 'the follower does not take the restore for committed');

  runUntil('a leader of a later term among the other three', () => leader(rest) !== undefined);
  const l2 = leader(rest)!;
  assert.ok(l2.core!.currentTerm > l1.core!.currentTerm || l1.core!.currentRole !== 'leader');
  let after: PutOutcome | null = null;
  l2.propose({ key: 'k', value: 'after' }, (o) => (after = o));
  runUntil('a write without the restore', () => after === 'ok');

  network.healAll();
  runUntil('every server with the same state', () => {
    const states = ids.map((id) => JSON.stringify(nodes.get(id)!.contents()));
    return new Set(states).size === 1 && ids.every((id) => nodes.get(id)!.applied === l2.applied);
  });
  assert.deepEqual(l2.contents(), [['k', 'after']]);
  assert.equal(l1.rollbacks + f.rollbacks, 2, 'both servers that held the restore went back');
  assert.notEqual(restored, 'ok', 'the restore was never acknowledged');
});
