// What the leader's queues do after applied entries: capacity changes release blocked evals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import { mockAlloc, mockEval, mockJob, mockNode, mockPlanApply } from '../../test/unit/state-fixtures.js';
import type { Allocation } from '../structs/alloc.js';
import { systemClock, systemRandom } from '../structs/clock.js';
import { BlockedEvals } from './blocked-evals.js';
import { EvalBroker } from './eval-broker.js';
import { afterApply } from './leader-hooks.js';

const NODE = '00000000-0000-4000-8000-0000000000a1';

function resources(memoryMB: number): Allocation['AllocatedResources'] {
  return { Tasks: { redis: { Cpu: { CpuShares: 100, ReservedCores: null }, Memory: { MemoryMB: memoryMB, MemoryMaxMB: 0 }, Networks: null, Devices: null } }, TaskLifecycles: {}, Shared: { Networks: null, DiskMB: 0, Ports: null } };
}

test('an allocation updated in place (which may have shrunk) releases the blocked evals of its node class', () => {
  const store = new StateStore();
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode(NODE), TimestampNs: 0 });
  const job = mockJob('web');
  fsm.apply(2, { Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: 0 });
  const stored = store.snapshot().jobByID('default', 'web')!;
  fsm.apply(3, mockPlanApply(stored, { AllocsUpdated: [mockAlloc('00000000-0000-4000-8000-0000000000b1', NODE, { JobID: 'web', AllocatedResources: resources(512) })] }));

  const released: string[] = [];
  const blocked = new BlockedEvals({ enqueue: (e) => released.push(e.ID), onDuplicate: () => {} });
  blocked.setEnabled(true);
  const broker = new EvalBroker({ clock: systemClock, random: systemRandom });
  const waiting = mockEval('00000000-0000-4000-8000-0000000000e1', 'other', { Status: 'blocked', ClassEligibility: { 'v1:123': true }, SnapshotIndex: 3, CreateIndex: 3, ModifyIndex: 3 });
  blocked.block(waiting);

  // The same allocation, written again smaller: an in-place update of a stored allocation.
  const shrunk = { ...store.snapshot().allocByID('00000000-0000-4000-8000-0000000000b1')!, AllocatedResources: resources(128) };
  const entry = mockPlanApply(stored, { AllocsUpdated: [shrunk] });
  fsm.apply(4, entry);
  afterApply(entry, 4, store.snapshot(), broker, blocked);
  assert.deepEqual(released, [waiting.ID]);
});

test('a stopped job keeps its blocked eval tracked until an evaluation of the job succeeds (the state still holds it blocked)', () => {
  const store = new StateStore();
  const fsm = new FSM(store);
  const job = mockJob('web');
  fsm.apply(1, { Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: 0 });
  const blocked = new BlockedEvals({ enqueue: () => {}, onDuplicate: () => {} });
  blocked.setEnabled(true);
  const broker = new EvalBroker({ clock: systemClock, random: systemRandom });
  broker.setEnabled(true);
  const waiting = mockEval('00000000-0000-4000-8000-0000000000e2', 'web', { Status: 'blocked', ClassEligibility: { 'v1:123': true }, SnapshotIndex: 1 });
  fsm.apply(2, { Type: 'EvalUpsert', Evals: [waiting] });
  afterApply({ Type: 'EvalUpsert', Evals: [waiting] }, 2, store.snapshot(), broker, blocked);
  assert.ok(blocked.has(waiting.ID));
  // The job is stopped and registered again before the stop's evaluation runs: that evaluation may
  // then fail to place, cancelling nothing, and an untracked blocked eval would be left for good.
  const stop = { Type: 'JobDeregister' as const, Namespace: 'default', JobID: 'web', Purge: false, Eval: mockEval('00000000-0000-4000-8000-0000000000e3', 'web'), SubmitTimeNs: 0 };
  fsm.apply(3, stop);
  afterApply(stop, 3, store.snapshot(), broker, blocked);
  assert.equal(store.snapshot().evalByID(waiting.ID)?.Status, 'blocked');
  assert.ok(blocked.has(waiting.ID), 'still tracked while the state holds it blocked');
  broker.setEnabled(false);
});
