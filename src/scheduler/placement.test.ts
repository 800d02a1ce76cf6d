// Feasibility and ranking through whole evaluations: constraints at each level, datacenters,
// drivers, distinct_hosts/distinct_property, affinities, spreads, ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../../test/unit/scheduler/harness.js';
import { mockEval, mockJob, mockNode, planAllocs, sequentialIds, withClass } from '../../test/unit/scheduler/mock.js';
import { fitScore, antiAffinityScore, spreadDesired } from './rank.js';
import { nodeLimit } from './stack.js';
import type { Job } from '../structs/job.js';

const opts = { nowMs: () => 1_795_282_745_000, generateId: sequentialIds() };

async function place(h: Harness, job: Job) {
  const stored = h.registerJob(job);
  const ev = await h.process(mockEval(stored), opts);
  return { ev: ev!, allocs: h.plans.length ? planAllocs(h.lastPlan()) : [] };
}

test('binpack scores as Nomad: the reference figures', () => {
  assert.ok(Math.abs(fitScore(100, 5198, 64, 24105, 'binpack') - 0.027458635733748418) < 1e-12);
  assert.ok(Math.abs(fitScore(74 * 20, 5198, 740, 24105, 'binpack') - 0.30506546940497575) < 1e-12);
  assert.equal(fitScore(5198, 5198, 24105, 24105, 'binpack'), 1);
  assert.equal(fitScore(0, 100, 0, 100, 'spread'), 1);
  assert.equal(antiAffinityScore(73, 100), -0.74);
  assert.equal(antiAffinityScore(0, 100), 0);
  assert.equal(nodeLimit(5000, false), 13);
  assert.equal(nodeLimit(5000, true), 2);
  assert.equal(nodeLimit(1, false), 2);
});

test('only ready, eligible, non-draining nodes of the job datacenters are used', async () => {
  const h = new Harness();
  const good = h.upsertNode(mockNode({ datacenter: 'dc1' }));
  h.upsertNode(mockNode({ datacenter: 'dc9' }));
  h.upsertNode({ ...mockNode(), Status: 'down' });
  h.upsertNode({ ...mockNode(), SchedulingEligibility: 'ineligible' });
  h.upsertNode({ ...mockNode(), DrainStrategy: { Deadline: 1, IgnoreSystemJobs: false, ForceDeadline: '', StartedAt: '' } });
  const { allocs } = await place(h, mockJob({}, 3));
  assert.equal(allocs.length, 3);
  for (const a of allocs) {
    assert.equal(a.NodeID, good.ID);
    assert.deepEqual(a.Metrics!.NodesAvailable, { dc1: 1 });
  }
});

test('job, group and task constraints all apply', async () => {
  const h = new Harness();
  const linux = h.upsertNode(mockNode({ meta: { rack: 'r1' }, attributes: { 'cpu.numcores': '16' } }));
  h.upsertNode(mockNode({ meta: { rack: 'r2' }, attributes: { 'cpu.numcores': '16' } }));
  h.upsertNode(mockNode({ meta: { rack: 'r1' }, attributes: { 'cpu.numcores': '2' } }));
  h.upsertNode(mockNode({ meta: { rack: 'r1' }, attributes: { 'kernel.name': 'windows', 'cpu.numcores': '16' } }));
  const job = mockJob({ Constraints: [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }] }, 2);
  job.TaskGroups[0]!.Constraints = [{ LTarget: '${meta.rack}', RTarget: 'r1', Operand: '=' }];
  job.TaskGroups[0]!.Tasks[0]!.Constraints = [{ LTarget: '${attr.cpu.numcores}', RTarget: '8', Operand: '>=' }];
  const { allocs, ev } = await place(h, job);
  assert.equal(allocs.length, 2);
  for (const a of allocs) assert.equal(a.NodeID, linux.ID);
  void ev;
});

test('failed placement reports each filtering constraint with its count', async () => {
  const h = new Harness();
  h.upsertNode(mockNode({ attributes: { 'kernel.name': 'windows' } }));
  h.upsertNode(mockNode({ attributes: { 'kernel.name': 'windows' } }));
  h.upsertNode(mockNode({ meta: { rack: 'r2' } }));
  const job = mockJob({ Constraints: [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }] }, 1);
  job.TaskGroups[0]!.Constraints = [{ LTarget: '${meta.rack}', RTarget: 'r1', Operand: '=' }];
  const { ev } = await place(h, job);
  const m = ev.FailedTGAllocs!['cache']!;
  assert.equal(m.NodesEvaluated, 3);
  assert.equal(m.NodesFiltered, 3);
  assert.deepEqual(m.ConstraintFiltered, { '${attr.kernel.name} = linux': 2, '${meta.rack} = r1': 1 });
  assert.equal(m.ClassFiltered, null);
});

test('class filtering counts by node class; unhealthy drivers are "missing drivers"', async () => {
  const h = new Harness();
  const n = mockNode({ nodeClass: 'gpu' });
  n.Drivers['raw_exec'] = { ...n.Drivers['raw_exec']!, Healthy: false };
  h.upsertNode(withClass(n));
  const { ev } = await place(h, mockJob({}, 1));
  const m = ev.FailedTGAllocs!['cache']!;
  assert.deepEqual(m.ClassFiltered, { gpu: 1 });
  assert.deepEqual(m.ConstraintFiltered, { 'missing drivers': 1 });
});

test('unique-name constraints escape class memoization and are judged per node', async () => {
  const h = new Harness();
  const nodes = [0, 1, 2].map((i) => h.upsertNode(mockNode({ name: `n${i}` })));
  const job = mockJob({ Constraints: [{ LTarget: '${node.unique.name}', RTarget: 'n2', Operand: '=' }] }, 1);
  const { allocs } = await place(h, job);
  assert.equal(allocs[0]!.NodeID, nodes[2]!.ID);
  // Other nodes share the computed class, yet were not excluded by it.
  const h2 = new Harness();
  [0, 1, 2].map((i) => h2.upsertNode(mockNode({ name: `n${i}` })));
  const r2 = await place(h2, mockJob({ Constraints: [{ LTarget: '${node.unique.name}', RTarget: 'none', Operand: '=' }] }, 1));
  assert.equal(h2.createdEvals.find((e) => e.Status === 'blocked')!.EscapedComputedClass, true);
  void r2;
});

test('distinct_hosts puts each alloc on its own node', async () => {
  const h = new Harness();
  for (let i = 0; i < 3; i++) h.upsertNode(mockNode());
  const job = mockJob({ Constraints: [{ LTarget: '', RTarget: '', Operand: 'distinct_hosts' }] }, 4);
  const { allocs, ev } = await place(h, job);
  assert.equal(allocs.length, 3);
  assert.equal(new Set(allocs.map((a) => a.NodeID)).size, 3);
  assert.deepEqual(ev.FailedTGAllocs!['cache']!.ConstraintFiltered, { distinct_hosts: 3 });
});

test('distinct_property limits allocs per property value (RTarget as the limit)', async () => {
  const h = new Harness();
  for (const rack of ['r1', 'r1', 'r2', 'r2']) h.upsertNode(mockNode({ meta: { rack } }));
  const job = mockJob({}, 5);
  job.TaskGroups[0]!.Constraints = [{ LTarget: '${meta.rack}', RTarget: '2', Operand: 'distinct_property' }];
  const { allocs, ev } = await place(h, job);
  assert.equal(allocs.length, 4);
  const perRack = new Map<string, number>();
  for (const a of allocs) {
    const rack = h.nodeByID(a.NodeID)!.Meta!['rack']!;
    perRack.set(rack, (perRack.get(rack) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(perRack), { r1: 2, r2: 2 });
  assert.ok(Object.keys(ev.FailedTGAllocs!['cache']!.ConstraintFiltered!).every((k) => k.startsWith('distinct_property: ${meta.rack}=')));
});

test('affinities draw allocs to matching nodes and show as node-affinity scores', async () => {
  const h = new Harness();
  const fast = h.upsertNode(mockNode({ meta: { disk: 'ssd' } }));
  for (let i = 0; i < 5; i++) h.upsertNode(mockNode({ meta: { disk: 'hdd' } }));
  const job = mockJob({ Affinities: [{ LTarget: '${meta.disk}', RTarget: 'ssd', Operand: '=', Weight: 100 }] }, 1);
  const { allocs } = await place(h, job);
  assert.equal(allocs[0]!.NodeID, fast.ID);
  const top = allocs[0]!.Metrics!.ScoreMetaData![0]!;
  assert.equal(top.NodeID, fast.ID);
  assert.equal(top.Scores['node-affinity'], 1);
  assert.ok(allocs[0]!.Metrics!.NodesEvaluated === 6, 'affinities look at every node');
});

test('spread over a property with targets follows the percentages', async () => {
  const h = new Harness();
  for (let i = 0; i < 4; i++) h.upsertNode(mockNode({ meta: { zone: 'a' } }));
  for (let i = 0; i < 4; i++) h.upsertNode(mockNode({ meta: { zone: 'b' } }));
  const job = mockJob({}, 10);
  job.TaskGroups[0]!.Spreads = [{ Attribute: '${meta.zone}', Weight: 100, SpreadTarget: [{ Value: 'a', Percent: 70 }, { Value: 'b', Percent: 30 }] }];
  const { allocs } = await place(h, job);
  const zones = allocs.map((a) => h.nodeByID(a.NodeID)!.Meta!['zone']);
  assert.equal(zones.filter((z) => z === 'a').length, 7);
  assert.equal(zones.filter((z) => z === 'b').length, 3);
  assert.ok('allocation-spread' in allocs[0]!.Metrics!.ScoreMetaData![0]!.Scores);
  assert.deepEqual(Object.fromEntries(spreadDesired({ Attribute: 'x', Weight: 1, SpreadTarget: [{ Value: 'a', Percent: 50 }] }, 10)), { a: 5, '*': 5 });
});

test('even spread without targets balances values', async () => {
  const h = new Harness();
  for (const dc of ['dc1', 'dc1', 'dc1', 'dc2']) h.upsertNode(mockNode({ datacenter: dc }));
  const job = mockJob({ Datacenters: ['dc1', 'dc2'], Spreads: [{ Attribute: '${node.datacenter}', Weight: 50, SpreadTarget: null }] }, 6);
  const { allocs } = await place(h, job);
  const dcs = allocs.map((a) => h.nodeByID(a.NodeID)!.Datacenter);
  assert.equal(dcs.filter((d) => d === 'dc1').length, 3);
  assert.equal(dcs.filter((d) => d === 'dc2').length, 3);
});

test('memory and disk exhaustion are named dimensions', async () => {
  const h = new Harness();
  h.upsertNode(mockNode({ memoryMB: 32 }));
  h.upsertNode(mockNode({ diskMB: 100 }));
  const { ev } = await place(h, mockJob({}, 1));
  assert.deepEqual(ev.FailedTGAllocs!['cache']!.DimensionExhausted, { memory: 1, disk: 1 });
  assert.equal(ev.FailedTGAllocs!['cache']!.NodesExhausted, 2);
});

test('dynamic ports come from the node range and avoid used ports; a full range is exhausted', async () => {
  const h = new Harness();
  const n = mockNode();
  n.NodeResources!.MinDynamicPort = 30000;
  n.NodeResources!.MaxDynamicPort = 30002;
  n.ReservedResources!.Networks.ReservedHostPorts = '30001';
  h.upsertNode(n);
  const { allocs, ev } = await place(h, mockJob({}, 3));
  assert.equal(allocs.length, 2);
  assert.deepEqual(allocs.map((a) => a.AllocatedResources!.Shared.Ports![0]!.Value).sort(), [30000, 30002]);
  assert.deepEqual(ev.FailedTGAllocs!['cache']!.DimensionExhausted, { 'network: dynamic port selection failed': 1 });
});

test('allocations of other jobs use capacity: placement respects it', async () => {
  const h = new Harness();
  const n = h.upsertNode(mockNode({ cpuShares: 300 }));
  await place(h, mockJob({ ID: 'one' }, 2));
  const { ev, allocs } = await place(h, mockJob({ ID: 'two' }, 2));
  assert.equal(allocs.length, 1);
  assert.equal(allocs[0]!.NodeID, n.ID);
  assert.equal(ev.FailedTGAllocs!['cache']!.DimensionExhausted!['cpu'], 1);
});
