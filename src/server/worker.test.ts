// Scheduling workers on the single-node log: what they write for evaluations they cannot finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '../state/store.js';
import { mockJob, mockNode } from '../scheduler/testing/mock.js';
import type { Evaluation } from '../structs/evaluation.js';
import { startSingleNodeServer } from '../../test/unit/single-node-server.js';

/** Waits, bounded, until `done` holds, looking again at every change of the evals table. */
async function waitEvals(store: StateStore, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    const remaining = deadline - Date.now();
    assert.ok(remaining > 0, 'condition not reached in time');
    // The broker settles between writes: look again at least every 20 ms.
    await store.waitForChange(['evals'], store.latestIndex(), Math.min(remaining, 20));
  }
}

test('an eval that cannot be placed in full leaves a blocked eval that the leader tracks, stamped with the state it was decided on', async () => {
  const { store, server, consensus } = await startSingleNodeServer({ heartbeat: { minHeartbeatTtlMs: 60_000 } });
  try {
    // Capacity appears (an unblock for the node's class) before the job that will not fit.
    await server.nodes.nodeRegister({ ...mockNode({ id: '00000000-0000-0000-0000-0000000000b1', cpuShares: 250, memoryMB: 1024 }), SecretID: 's', Status: 'ready' });
    await server.jobs.register(mockJob({ ID: 'big', TaskGroups: [{ ...mockJob().TaskGroups[0]!, Networks: null, Count: 5 }] }));
    const blocked = (): Evaluation | undefined => store.snapshot().evals('*').find((e) => e.JobID === 'big' && e.Status === 'blocked');
    const idle = (): boolean => {
      const b = server.broker.stats();
      return b.totalReady + b.totalUnacked + b.totalPending + b.totalWaiting === 0;
    };
    await waitEvals(store, () => blocked() !== undefined && idle(), 5_000);
    const ev = blocked()!;
    assert.ok(ev.SnapshotIndex > 0, `the blocked eval records its snapshot index (got ${ev.SnapshotIndex})`);
    // Left untracked, it would never be released when capacity appears, and the job never placed.
    assert.ok(server.blocked.has(ev.ID), 'the leader tracks the blocked eval');
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});
