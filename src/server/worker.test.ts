// Scheduling workers on the single-node log: what they write for evaluations they cannot finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '../state/store.js';
import { mockEval, mockJob, mockNode } from '../../test/unit/scheduler/mock.js';
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

test('a blocked eval found on gaining leadership is evaluated again: capacity may have appeared while no leader tracked it', async () => {
  const job = mockJob({ ID: 'waiting', TaskGroups: [{ ...mockJob().TaskGroups[0]!, Networks: null, Count: 1 }] });
  const node = { ...mockNode({ id: '00000000-0000-0000-0000-0000000000b2' }), SecretID: 's' };
  let blockedId = '';
  const { store, server, consensus } = await startSingleNodeServer({ heartbeat: { minHeartbeatTtlMs: 60_000 } }, (fsm) => {
    fsm.apply(1, { Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: 0 });
    const ev = { ...mockEval(job, 'queued-allocs'), Status: 'blocked' as const, SnapshotIndex: 1, ClassEligibility: { [node.ComputedClass]: true } };
    blockedId = ev.ID;
    fsm.apply(2, { Type: 'EvalUpsert', Evals: [ev] });
    // The room appears after the eval blocked, while no leader followed the log.
    fsm.apply(3, { Type: 'NodeRegister', Node: node, TimestampNs: 0 });
  });
  try {
    await waitEvals(store, () => store.snapshot().evalByID(blockedId)?.Status === 'complete', 5_000);
    assert.equal(store.snapshot().allocsByJob('default', 'waiting', false).length, 1, 'the job was placed');
    assert.equal(server.blocked.has(blockedId), false);
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});

test('an eval that finds no room writes its blocked eval and its own status in one log entry', async () => {
  const { store, server, consensus } = await startSingleNodeServer({ heartbeat: { minHeartbeatTtlMs: 60_000 } });
  try {
    // A batch job: no deployment, so the plan is empty and only the evals are written.
    await server.jobs.register(mockJob({ ID: 'nowhere', Type: 'batch', TaskGroups: [{ ...mockJob().TaskGroups[0]!, Networks: null, Count: 1 }] }));
    const registeredAt = store.latestIndex();
    const evals = (): Evaluation[] => store.snapshot().evals('*').filter((e) => e.JobID === 'nowhere');
    const settled = (): boolean => evals().some((e) => e.Status === 'blocked') && evals().some((e) => e.Status === 'complete');
    await waitEvals(store, settled, 5_000);
    const blocked = evals().find((e) => e.Status === 'blocked')!;
    const done = evals().find((e) => e.Status === 'complete')!;
    assert.equal(done.BlockedEval, blocked.ID, 'the completed eval names its blocked follow-up');
    assert.equal(blocked.CreateIndex, done.ModifyIndex, 'both were written by the same entry');
    assert.equal(store.latestIndex(), registeredAt + 1, 'the registration causes one entry besides its own');
    assert.ok(server.blocked.has(blocked.ID), 'the leader tracks the blocked eval');
  } finally {
    await server.shutdown();
    await consensus.shutdown();
  }
});
