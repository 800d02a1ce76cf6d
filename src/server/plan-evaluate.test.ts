import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePlan } from './plan-evaluate.js';
import { planAllocsUpdated } from '../state/alloc-deltas.js';
import { emptyPlan } from '../structs/plan.js';
import type { Allocation } from '../structs/alloc.js';
import type { Node } from '../structs/node.js';
import type { StateReader } from '../state/reader.js';
import { mockAlloc, mockJob, T0_NS, taskGroup } from '../../test/unit/state-fixtures.js';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import { mockNode } from '../../test/unit/scheduler/mock.js';

/** A reader with just what the plan check asks: nodes, allocations by ID and each node's live ones. */
function reader(nodes: Node[], allocs: Allocation[], index = 100): StateReader {
  const r: Partial<StateReader> = {
    latestIndex: () => index,
    nodeByID: (id) => nodes.find((n) => n.ID === id) ?? null,
    nodes: () => [...nodes].sort((a, b) => (a.ID < b.ID ? -1 : 1)),
    allocByID: (id) => allocs.find((a) => a.ID === id) ?? null,
    allocsByNodeNonTerminal: (id) => allocs.filter((a) => a.NodeID === id && a.DesiredStatus === 'run'),
  };
  return r as StateReader;
}

function alloc(id: string, nodeId: string, cpu: number, memMB: number, ports: number[] = []): Allocation {
  return mockAlloc(id, nodeId, {
    AllocatedResources: {
      Tasks: { web: { Cpu: { CpuShares: cpu, ReservedCores: null }, Memory: { MemoryMB: memMB, MemoryMaxMB: 0 }, Networks: null, Devices: null } },
      TaskLifecycles: {},
      Shared: { Networks: null, DiskMB: 0, Ports: ports.map((p) => ({ Label: `p${p}`, Value: p, To: 0, HostIP: '' })) },
    },
  });
}

const N1 = mockNode({ id: '11111111-0000-0000-0000-000000000001', cpuShares: 1000, memoryMB: 1024 });
const N2 = mockNode({ id: '22222222-0000-0000-0000-000000000002', cpuShares: 1000, memoryMB: 1024, reservedPorts: '22,8000-8002' });

/** The rejection reason of N1 or N2 for a plan placing `allocs` on it (empty when it fits). */
function verdict(node: Node, allocs: Allocation[], existing: Allocation[] = []): string {
  const plan = emptyPlan('eval-fit', 50, null);
  plan.NodeAllocation[node.ID] = allocs;
  return evaluatePlan(reader([N1, N2], existing), plan, 1).rejections[node.ID] ?? '';
}

test('fit checks cpu, memory, disk and port collisions', () => {
  assert.equal(verdict(N1, [alloc('a', N1.ID, 600, 100), alloc('b', N1.ID, 400, 100)]), '');
  assert.equal(verdict(N1, [alloc('a', N1.ID, 600, 100), alloc('b', N1.ID, 401, 100)]), 'resources exhausted: cpu');
  assert.equal(verdict(N1, [alloc('a', N1.ID, 1, 1000), alloc('b', N1.ID, 1, 25)]), 'resources exhausted: memory');
  assert.equal(verdict(N1, [alloc('b', N1.ID, 1, 10)], [alloc('a', N1.ID, 999, 1020)]), 'resources exhausted: memory');
  assert.equal(verdict(N2, [alloc('a', N2.ID, 1, 1, [8001])]), 'resources exhausted: reserved port collision');
  assert.equal(verdict(N1, [alloc('a', N1.ID, 1, 1, [9000]), alloc('b', N1.ID, 1, 1, [9000])]), 'resources exhausted: reserved port collision');
  const big = alloc('d', N1.ID, 1, 1);
  big.AllocatedResources!.Shared.DiskMB = 1_000_000_000;
  assert.equal(verdict(N1, [big]), 'resources exhausted: disk');
});

test('commits the nodes that still fit and reports the rest with a refresh index', () => {
  const existing = alloc('old', N1.ID, 800, 100);
  const snap = reader([N1, N2], [existing], 42);
  const plan = emptyPlan('eval-1', 50, null);
  plan.NodeAllocation[N1.ID] = [alloc('new1', N1.ID, 300, 100)]; // 800+300 > 1000: refused
  plan.NodeAllocation[N2.ID] = [alloc('new2', N2.ID, 300, 100)];
  const out = evaluatePlan(snap, plan, 1);
  assert.deepEqual(out.result.RejectedNodes, [N1.ID]);
  assert.equal(out.result.RefreshIndex, 42);
  assert.deepEqual(Object.keys(out.result.NodeAllocation), [N2.ID]);
  assert.deepEqual((out.entry ? planAllocsUpdated(out.entry) : undefined)?.map((a) => a.ID), ['new2']);
  assert.match(out.rejections[N1.ID]!, /cpu/);
});

test('stopping an allocation in the same plan makes room for its replacement', () => {
  const existing = alloc('old', N1.ID, 800, 100);
  const plan = emptyPlan('eval-1', 50, null);
  plan.NodeUpdate[N1.ID] = [{ ...existing, DesiredStatus: 'stop', DesiredDescription: 'alloc is being updated' }];
  plan.NodeAllocation[N1.ID] = [alloc('new', N1.ID, 900, 100)];
  const out = evaluatePlan(reader([N1], [existing]), plan, 1);
  assert.deepEqual(out.result.RejectedNodes, []);
  assert.equal(out.result.RefreshIndex, 0);
  assert.deepEqual(out.entry?.AllocsStopped.map((s) => [s.ID, s.DesiredStatus]), [['old', 'stop']]);
});

test('a placement taking a port in use on the node is refused unless the plan frees it', () => {
  const holder = alloc('holder', N1.ID, 100, 100, [9100]);
  const other = alloc('other', N1.ID, 100, 100, [9200]);
  const snap = reader([N1, N2], [holder, other]);
  const clash = emptyPlan('eval-1', 50, null);
  clash.NodeAllocation[N1.ID] = [alloc('new', N1.ID, 100, 100, [9100])];
  clash.NodeAllocation[N2.ID] = [alloc('new2', N2.ID, 100, 100, [8001])]; // reserved on N2
  const refused = evaluatePlan(snap, clash, 1);
  assert.deepEqual([...refused.result.RejectedNodes].sort(), [N1.ID, N2.ID].sort());
  assert.match(refused.rejections[N1.ID]!, /port collision/);
  assert.match(refused.rejections[N2.ID]!, /port collision/);

  // Two placements of one plan asking for the same port collide with each other.
  const twice = emptyPlan('eval-2', 50, null);
  twice.NodeAllocation[N1.ID] = [alloc('n1', N1.ID, 10, 10, [9300]), alloc('n2', N1.ID, 10, 10, [9300])];
  assert.deepEqual(evaluatePlan(snap, twice, 1).result.RejectedNodes, [N1.ID]);

  // The holder is stopped by the same plan: its port is free for the replacement.
  const freed = emptyPlan('eval-3', 50, null);
  freed.NodeUpdate[N1.ID] = [{ ...holder, DesiredStatus: 'stop', DesiredDescription: 'alloc is being updated' }];
  freed.NodeAllocation[N1.ID] = [alloc('new', N1.ID, 100, 100, [9100])];
  const ok = evaluatePlan(snap, freed, 1);
  assert.deepEqual(ok.result.RejectedNodes, []);
  assert.deepEqual((ok.entry ? planAllocsUpdated(ok.entry) : undefined)?.map((a) => a.ID), ['new']);
});

test('refuses placements on missing, down or ineligible nodes, but allows stops there', () => {
  const down = { ...N1, Status: 'down' as const };
  const inel = { ...N2, SchedulingEligibility: 'ineligible' as const };
  const gone = '33333333-0000-0000-0000-000000000003';
  const plan = emptyPlan('eval-1', 50, null);
  plan.NodeAllocation[down.ID] = [alloc('a', down.ID, 1, 1)];
  plan.NodeAllocation[inel.ID] = [alloc('b', inel.ID, 1, 1)];
  plan.NodeAllocation[gone] = [alloc('c', gone, 1, 1)];
  const lost = alloc('lost', gone, 1, 1);
  plan.NodeUpdate['44444444-0000-0000-0000-000000000004'] = [{ ...lost, DesiredStatus: 'stop', ClientStatus: 'lost' }];
  const out = evaluatePlan(reader([down, inel], []), plan, 1);
  assert.deepEqual(out.rejections, {
    [down.ID]: 'node is not ready for placements',
    [inel.ID]: 'node is not eligible',
    [gone]: 'node does not exist',
  });
  assert.deepEqual(out.entry?.AllocsStopped, [{ ID: 'lost', DesiredStatus: 'stop', DesiredDescription: '', ClientStatus: 'lost' }]);
});

test('an all-at-once plan commits nothing when any node is refused', () => {
  const plan = emptyPlan('eval-1', 50, null);
  plan.AllAtOnce = true;
  plan.NodeAllocation[N1.ID] = [alloc('a', N1.ID, 5000, 1)];
  plan.NodeAllocation[N2.ID] = [alloc('b', N2.ID, 1, 1)];
  const out = evaluatePlan(reader([N1, N2], []), plan, 1);
  assert.equal(out.entry, null);
  assert.deepEqual(out.result.RejectedNodes.sort(), [N1.ID, N2.ID].sort());
});

test('the entry carries the plan\'s job once: its placements travel without it and the FSM gives it back', () => {
  const store = new StateStore();
  const fsm = new FSM(store);
  fsm.apply(10, { Type: 'NodeRegister', Node: { ...N1, Status: 'ready' }, TimestampNs: T0_NS });
  fsm.apply(11, { Type: 'JobRegister', Job: mockJob('example', { TaskGroups: [taskGroup('cache', 2)] }), Eval: null, SubmitTimeNs: T0_NS });
  const snap = store.snapshot();
  const job = snap.jobByID('default', 'example')!;
  const otherVersion = { ...job, Version: job.Version + 1, JobModifyIndex: job.JobModifyIndex + 1 };
  const plan = emptyPlan('eval-1', 50, job);
  plan.NodeAllocation[N1.ID] = [
    { ...alloc('same', N1.ID, 1, 1), JobID: job.ID, Job: job },
    { ...alloc('copy', N1.ID, 1, 1), JobID: job.ID, Job: { ...job } },
    { ...alloc('other', N1.ID, 1, 1), JobID: job.ID, Job: otherVersion },
  ];
  const out = evaluatePlan(snap, plan, T0_NS);
  assert.deepEqual((out.entry ? planAllocsUpdated(out.entry) : undefined)?.map((a) => [a.ID, a.Job === null]), [['same', true], ['copy', true], ['other', false]]);
  // The scheduler's plan is left as it was: it goes on with its own allocations.
  assert.ok(plan.NodeAllocation[N1.ID]!.every((a) => a.Job !== null));
  fsm.apply(12, out.entry!);
  const after = store.snapshot();
  assert.deepEqual(after.allocByID('same')!.Job, job);
  assert.deepEqual(after.allocByID('copy')!.Job, job);
  assert.equal(after.allocByID('other')!.Job!.Version, otherVersion.Version);
});
