// What the leader's queues do after applied entries: capacity changes release blocked evals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import { mockAlloc, mockEval, mockJob, mockNode, mockPlanApply } from '../state/test-fixtures.js';
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
