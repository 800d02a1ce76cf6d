import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FSM } from '../../../src/state/fsm.js';
import { StateStore } from '../../../src/state/store.js';
import { mockAlloc, mockJob, mockNode, mockPlanApply } from '../../unit/state-fixtures.js';
import type { Allocation } from '../../../src/structs/alloc.js';
import { ClusterChecker, InvariantViolation } from './checkers.js';
import type { JobWrite } from './workload.js';

const NODE_ID = '00000000-0000-4000-8000-000000000001';

function stateWith(gen: string, allocCpu: number[] = []): { store: StateStore; fsm: FSM } {
  const store = new StateStore();
  const fsm = new FSM(store);
  const node = mockNode(NODE_ID, { NodeResources: { Cpu: { CpuShares: 1_000, TotalCpuCores: 1, ReservableCpuCores: null }, Memory: { MemoryMB: 1_024 }, Disk: { DiskMB: 1_000 }, Networks: null, NodeNetworks: null, Devices: null } });
  fsm.apply(1, { Type: 'NodeRegister', Node: node, TimestampNs: 0 });
  const job = mockJob('job-1', { Meta: { gen } });
  fsm.apply(2, { Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: 0 });
  const allocs: Allocation[] = allocCpu.map((cpu, i) =>
    mockAlloc(`00000000-0000-4000-8000-00000000010${i}`, NODE_ID, {
      JobID: 'job-1',
      AllocatedResources: { Tasks: { t: { Cpu: { CpuShares: cpu, ReservedCores: null }, Memory: { MemoryMB: 10, MemoryMaxMB: 0 }, Networks: null, Devices: null } }, TaskLifecycles: {}, Shared: { Networks: null, DiskMB: 0, Ports: null } },
    }),
  );
  if (allocs.length > 0) fsm.apply(3, mockPlanApply(store.snapshot().jobByID('default', 'job-1'), { AllocsUpdated: allocs }));
  return { store, fsm };
}

test('two leaders in one term are caught; one leader per term is fine', () => {
  const c = new ClusterChecker(1);
  c.leader('id-a', 'a', 2);
  c.leader('id-a', 'a', 2);
  c.leader('id-b', 'b', 3);
  assert.throws(() => c.leader('id-c', 'c', 3), (e: unknown) => e instanceof InvariantViolation && /two leaders in term 3/.test((e as Error).message));
});

test('servers holding different states at the same index are caught', () => {
  const c = new ClusterChecker(1);
  c.state('a', stateWith('g1').store, true);
  c.state('b', stateWith('g1').store, true);
  assert.throws(() => c.state('c', stateWith('g2').store, true), /state at index 2 differs: a has/);
});

test('an acknowledged write missing from a server that applied its index is caught', () => {
  const c = new ClusterChecker(1);
  const issued = new Map([['job-1', new Set(['g1', 'g2'])]]);
  const acked = (gen: string, index: number): JobWrite => ({ jobId: 'job-1', kind: 'register', gen, outcome: 'acked', index });
  const { store } = stateWith('g1');
  // The job as the write left it (registered at index 2), or a later write's: fine.
  c.acknowledged('s', store.snapshot(), 2, [acked('g1', 2)], issued);
  // Not yet applied there: nothing to check.
  c.acknowledged('s', store.snapshot(), 2, [acked('g2', 5)], issued);
  // Applied, yet the state holds an older version: lost.
  assert.throws(() => c.acknowledged('s', store.snapshot(), 5, [acked('g2', 5)], issued), /acknowledged register of job-1 at index 5 is lost/);
  // A generation nobody sent.
  assert.throws(() => c.acknowledged('s', stateWith('g9').store.snapshot(), 2, [acked('g1', 2)], issued), /generation "g9" that no write sent/);
  assert.throws(() => c.acknowledged('s', new StateStore().snapshot(), 2, [acked('g1', 2)], issued), /has no such job/);
});

test('a node given more than its capacity is caught', () => {
  const c = new ClusterChecker(1);
  c.capacity('s', stateWith('g1', [400, 600]).store.snapshot());
  assert.throws(() => c.capacity('s', stateWith('g1', [400, 601]).store.snapshot()), /holds 1001 MHz .* over its 1000 MHz/);
});
