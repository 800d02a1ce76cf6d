import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAllocation, type Allocation } from '../structs/alloc.js';
import { LIVE_ALLOC_CHANGES_KEPT, nextLiveAllocChanges, type LiveAllocChanges } from '../state/reader.js';
import { NodeTable, PACKED_STRIDE } from './node-table.js';
import type { NodeUsage } from './resources.js';
import { mockNode } from '../../test/unit/scheduler/mock.js';

const NODE_IDS = ['node-a', 'node-b', 'node-c', 'node-d'];

function table(): NodeTable {
  return new NodeTable(NODE_IDS.map((id) => mockNode({ id, cpuShares: 4000, memoryMB: 4096 })));
}

interface AllocSpec {
  cpu?: number;
  mem?: number;
  disk?: number;
  /** Ports in AllocatedResources.Shared.Ports (group network). */
  ports?: number[];
  /** Dynamic ports in the task's own network. */
  taskPorts?: number[];
  desired?: Allocation['DesiredStatus'];
  client?: Allocation['ClientStatus'];
  /** Legacy Resources block instead of AllocatedResources. */
  legacy?: boolean;
}

function alloc(id: string, nodeId: string, s: AllocSpec = {}): Allocation {
  const cpu = s.cpu ?? 100;
  const mem = s.mem ?? 64;
  const disk = s.disk ?? 10;
  const taskNets =
    s.taskPorts && s.taskPorts.length > 0
      ? [{ Mode: 'host', Device: '', CIDR: '', IP: '10.0.0.1', MBits: 0, DNS: null, ReservedPorts: null, DynamicPorts: s.taskPorts.map((p, i) => ({ Label: `t${i}`, Value: p, To: p, HostNetwork: 'default' })) }]
      : null;
  const base = newAllocation({ ID: id, Namespace: 'default', EvalID: 'e', Name: `${id}[0]`, NodeID: nodeId, NodeName: nodeId, JobID: 'j', Job: null, TaskGroup: 'g' });
  if (s.legacy) {
    return {
      ...base,
      DesiredStatus: s.desired ?? 'run',
      ClientStatus: s.client ?? 'pending',
      Resources: { CPU: cpu, Cores: 0, MemoryMB: mem, MemoryMaxMB: 0, DiskMB: disk, IOPS: 0, Networks: taskNets, Devices: null },
    };
  }
  return {
    ...base,
    DesiredStatus: s.desired ?? 'run',
    ClientStatus: s.client ?? 'pending',
    AllocatedResources: {
      Tasks: { t: { Cpu: { CpuShares: cpu, ReservedCores: null }, Memory: { MemoryMB: mem, MemoryMaxMB: 0 }, Networks: taskNets, Devices: null } },
      TaskLifecycles: { t: null },
      Shared: {
        Networks: null,
        DiskMB: disk,
        Ports: s.ports && s.ports.length > 0 ? s.ports.map((p, i) => ({ Label: `p${i}`, Value: p, To: p, HostIP: '10.0.0.1' })) : null,
      },
    },
  } as Allocation;
}

/** What the live allocations of a list use, summed independently of the code under test. */
function expected(allocs: readonly Allocation[]): { cpu: number; memMB: number; diskMB: number; ports: number[] } {
  let cpu = 0;
  let memMB = 0;
  let diskMB = 0;
  const ports = new Set<number>();
  for (const a of allocs) {
    if (a.DesiredStatus !== 'run' || a.ClientStatus === 'complete' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost') continue;
    if (a.AllocatedResources) {
      for (const t of Object.values(a.AllocatedResources.Tasks)) {
        cpu += t.Cpu.CpuShares;
        memMB += t.Memory.MemoryMB;
        for (const n of t.Networks ?? []) for (const p of n.DynamicPorts ?? []) ports.add(p.Value);
      }
      diskMB += a.AllocatedResources.Shared.DiskMB;
      for (const p of a.AllocatedResources.Shared.Ports ?? []) ports.add(p.Value);
    } else if (a.Resources) {
      cpu += a.Resources.CPU;
      memMB += a.Resources.MemoryMB;
      diskMB += a.Resources.DiskMB;
      for (const n of a.Resources.Networks ?? []) for (const p of n.DynamicPorts ?? []) ports.add(p.Value);
    }
  }
  return { cpu, memMB, diskMB, ports: [...ports].sort((x, y) => x - y) };
}

function view(u: NodeUsage): { cpu: number; memMB: number; diskMB: number; ports: number[] } {
  return { cpu: u.cpu, memMB: u.memMB, diskMB: u.diskMB, ports: u.ports === null ? [] : Array.from(u.ports) };
}

function assertUsage(u: NodeUsage, allocs: readonly Allocation[], msg?: string): void {
  assert.deepEqual(view(u), expected(allocs), msg);
  assert.equal(u.portCount, expected(allocs).ports.length, `${msg ?? ''} portCount`);
}

test('syncTo(null) syncs nothing and a fresh table has no fresh nodes', () => {
  const t = table();
  assert.equal(t.syncTo(null), false);
  const e1 = nextLiveAllocChanges(null, ['node-a']);
  assert.equal(t.syncTo(e1), true);
  for (let pos = 0; pos < t.size; pos++) assert.equal(t.freshUsageAt(pos, e1), undefined, `pos ${pos}`);
});

test('a node is fresh only after syncedUsageAt at the synced point', () => {
  const t = table();
  const a = t.positionOf('node-a');
  const b = t.positionOf('node-b');
  const listA = Object.freeze([alloc('a1', 'node-a', { cpu: 250, mem: 128, disk: 20, ports: [20001] })]);
  const listB = Object.freeze([alloc('b1', 'node-b', { cpu: 300 })]);
  const e1 = nextLiveAllocChanges(null, ['node-a', 'node-b']);
  assert.equal(t.syncTo(e1), true);
  assert.equal(t.syncTo(e1), true, 'syncing again to the same entry');

  const usageA = t.syncedUsageAt(a, listA, e1);
  assertUsage(usageA, listA);
  assert.equal(t.freshUsageAt(a, e1), usageA, 'fresh: the very same shared usage');
  assert.equal(t.freshUsageAt(b, e1), undefined, 'node-b was never looked up');

  // baseUsageAt sums but does not mark.
  const usageB = t.baseUsageAt(b, listB);
  assertUsage(usageB, listB);
  assert.equal(t.freshUsageAt(b, e1), undefined, 'baseUsageAt does not mark fresh');

  // syncedUsageAt for another entry than the synced one, or for no entry, does not mark either.
  const other = nextLiveAllocChanges(null, []);
  assert.equal(t.syncedUsageAt(b, listB, other), usageB, 'same list: same usage');
  assert.equal(t.freshUsageAt(b, e1), undefined);
  t.syncedUsageAt(b, listB, null);
  assert.equal(t.freshUsageAt(b, e1), undefined);

  // Asked with an entry that is not the synced point, even a fresh node is not given.
  assert.equal(t.freshUsageAt(a, other), undefined);
  assert.equal(t.freshUsageAt(a, nextLiveAllocChanges(e1, [])), undefined, 'a later entry the table was not synced to');
  assert.equal(t.freshUsageAt(a, e1), usageA, 'asking does not clear the mark');
});

test('a later sync that names a node clears only that node’s mark', () => {
  const t = table();
  const [a, b, c, d] = NODE_IDS.map((id) => t.positionOf(id)) as [number, number, number, number];
  const lists = NODE_IDS.map((id, i) => Object.freeze([alloc(`${id}-1`, id, { cpu: 100 * (i + 1), ports: [21000 + i] })]));
  const e1 = nextLiveAllocChanges(null, ['node-a']);
  t.syncTo(e1);
  const usages = [a, b, c, d].map((pos) => t.syncedUsageAt(pos, lists[pos]!, e1));
  for (const pos of [a, b, c, d]) assert.equal(t.freshUsageAt(pos, e1), usages[pos]);

  // Two writes later: one names node-b, the other a node the table does not have.
  const e2 = nextLiveAllocChanges(e1, ['node-b']);
  const e3 = nextLiveAllocChanges(e2, ['node-gone']);
  assert.equal(t.syncTo(e3), true);
  assert.equal(t.freshUsageAt(a, e3), usages[a]);
  assert.equal(t.freshUsageAt(b, e3), undefined, 'node-b changed');
  assert.equal(t.freshUsageAt(c, e3), usages[c]);
  assert.equal(t.freshUsageAt(d, e3), usages[d]);
  assert.equal(t.freshUsageAt(a, e1), undefined, 'e1 is no longer the synced point');

  // Re-syncing to the same entry changes nothing.
  assert.equal(t.syncTo(e3), true);
  assert.equal(t.freshUsageAt(a, e3), usages[a]);
  assert.equal(t.freshUsageAt(b, e3), undefined);

  // node-b is looked up again at e3 with a new list, and is fresh with the new usage.
  const newB = Object.freeze([...lists[b]!, alloc('node-b-2', 'node-b', { cpu: 50, ports: [21100] })]);
  const usageB = t.syncedUsageAt(b, newB, e3);
  assertUsage(usageB, newB);
  assert.equal(t.freshUsageAt(b, e3), usageB);

  // Several entries at once: those naming a and c clear a and c, b and d keep their marks.
  const e4 = nextLiveAllocChanges(e3, ['node-a']);
  const e5 = nextLiveAllocChanges(e4, []);
  const e6 = nextLiveAllocChanges(e5, ['node-c', 'node-a']);
  assert.equal(t.syncTo(e6), true);
  assert.equal(t.freshUsageAt(a, e6), undefined);
  assert.equal(t.freshUsageAt(b, e6), usageB);
  assert.equal(t.freshUsageAt(c, e6), undefined);
  assert.equal(t.freshUsageAt(d, e6), usages[d]);
});

test('syncing to an older entry, another chain or across a cut clears every mark', () => {
  const t = table();
  const positions = NODE_IDS.map((id) => t.positionOf(id));
  const lists = NODE_IDS.map((id) => Object.freeze([alloc(`${id}-1`, id)]));
  const markAll = (e: LiveAllocChanges): void => {
    assert.equal(t.syncTo(e), true);
    for (const pos of positions) t.syncedUsageAt(pos, lists[pos]!, e);
    for (const pos of positions) assert.ok(t.freshUsageAt(pos, e) !== undefined, `marked at pos ${pos}`);
  };
  const noneFresh = (e: LiveAllocChanges, why: string): void => {
    for (const pos of positions) assert.equal(t.freshUsageAt(pos, e), undefined, `${why}: pos ${pos}`);
  };

  // An older entry of the same chain (an older snapshot): the marks say nothing about it.
  const e1 = nextLiveAllocChanges(null, ['node-a']);
  const e2 = nextLiveAllocChanges(e1, ['node-b']);
  markAll(e2);
  assert.equal(t.syncTo(e1), true);
  noneFresh(e1, 'older entry');
  // And back to e2: e1 is on e2's chain, so only node-b (named by e2) would lose a mark; none is left.
  assert.equal(t.syncTo(e2), true);
  noneFresh(e2, 'back to the newer entry');

  // An entry of another chain (another store), even one naming no node.
  markAll(e2);
  const foreign = nextLiveAllocChanges(nextLiveAllocChanges(null, ['node-a']), []);
  assert.equal(t.syncTo(foreign), true);
  noneFresh(foreign, 'another chain');

  // A sibling branch off a common ancestor is not on the synced entry's chain either.
  markAll(e2);
  const sibling = nextLiveAllocChanges(e1, []);
  assert.equal(t.syncTo(sibling), true);
  noneFresh(sibling, 'sibling entry');

  // Across a cut: none of the entries in between names a node, but the chain was cut after the
  // synced entry, so what happened before the cut is unknown.
  const start = nextLiveAllocChanges(null, []);
  markAll(start);
  let e = start;
  while (e.prev !== null || e === start) e = nextLiveAllocChanges(e, []);
  assert.equal(e.depth, 1, 'the chain was cut');
  // LIVE_ALLOC_CHANGES_KEPT entries up to the cut, then the new start.
  let walked = 0;
  for (let x: LiveAllocChanges | null = e; x !== null; x = x.prev) walked++;
  assert.equal(walked, 1);
  assert.equal(t.syncTo(e), true);
  noneFresh(e, 'across a cut');

  // The same length without a cut keeps the marks (the walk reaches the synced entry).
  const fresh = nextLiveAllocChanges(null, []);
  markAll(fresh);
  let f = fresh;
  for (let i = 0; i < LIVE_ALLOC_CHANGES_KEPT - 1; i++) f = nextLiveAllocChanges(f, []);
  assert.equal(f.depth, LIVE_ALLOC_CHANGES_KEPT);
  assert.equal(t.syncTo(f), true);
  for (const pos of positions) assert.ok(t.freshUsageAt(pos, f) !== undefined, `uncut chain keeps pos ${pos}`);
});

test('baseUsageAt replacing a node’s base clears its mark; the same list keeps it', () => {
  const t = table();
  const a = t.positionOf('node-a');
  const b = t.positionOf('node-b');
  const x = alloc('x', 'node-a', { cpu: 100, ports: [20100] });
  const y = alloc('y', 'node-a', { cpu: 200, ports: [20200] });
  const list1 = Object.freeze([x]);
  const e = nextLiveAllocChanges(null, ['node-a']);
  t.syncTo(e);
  const u1 = t.syncedUsageAt(a, list1, e);
  t.syncedUsageAt(b, [], e);

  // The same list, or an equal copy of it: the base stays, and so does the mark.
  assert.equal(t.baseUsageAt(a, list1), u1);
  assert.equal(t.freshUsageAt(a, e), u1);
  assert.equal(t.baseUsageAt(a, [x]), u1, 'an equal list (same objects, same order) is the same base');
  assert.equal(t.freshUsageAt(a, e), u1);

  // Another list (an older or newer snapshot asked): the base is replaced, the mark goes.
  const list2 = Object.freeze([x, y]);
  const u2 = t.baseUsageAt(a, list2);
  assert.notEqual(u2, u1);
  assertUsage(u2, list2);
  assert.equal(t.freshUsageAt(a, e), undefined);
  assert.ok(t.freshUsageAt(b, e) !== undefined, 'another node keeps its mark');
  // The earlier usage object is untouched (it was shared).
  assertUsage(u1, list1, 'old usage');

  // Looked up at the synced point again: fresh again, with the list given then.
  const u3 = t.syncedUsageAt(a, list1, e);
  assertUsage(u3, list1);
  assert.equal(t.freshUsageAt(a, e), u3);
});

test('usage sums are right as lists are extended, shrunk and replaced', () => {
  const t = table();
  const pos = t.positionOf('node-c');
  const a1 = alloc('a1', 'node-c', { cpu: 100, mem: 64, disk: 10, ports: [20001] });
  const a2 = alloc('a2', 'node-c', { cpu: 200, mem: 128, disk: 20, ports: [20002, 20003], taskPorts: [25000] });
  const a3 = alloc('a3', 'node-c', { cpu: 300, mem: 256, disk: 30, legacy: true, taskPorts: [26000] });
  const a0 = alloc('a0', 'node-c', { cpu: 7, mem: 8, disk: 9, ports: [19999] });
  const stopped = alloc('s', 'node-c', { cpu: 1000, mem: 1000, disk: 1000, ports: [20500], desired: 'stop' });
  const done = alloc('d', 'node-c', { cpu: 1000, mem: 1000, disk: 1000, ports: [20600], client: 'complete' });

  const steps: Array<readonly Allocation[]> = [
    [],
    [a1],
    [a1, a2], // appended
    [a0, a1, a2], // inserted at the front
    [a0, a1, stopped, a2, a3], // inserted in the middle and at the end, one terminal
    [a0, a1, stopped, a2, done, a3], // terminal by the client: counts nothing
    [a0, a2, a3], // removed
    [a0, alloc('a2', 'node-c', { cpu: 5, mem: 5, disk: 5, ports: [30000] }), a3], // replaced in place
    [a0, alloc('a2', 'node-c', { cpu: 5, mem: 5, disk: 5, ports: [30000] }), a3, a1], // replaced, and extended
    [a0, { ...a1, ClientStatus: 'running' }], // status reports: the same resources
    [a0, { ...a1, ClientStatus: 'running', ModifyIndex: 9 }, { ...a2, ClientStatus: 'running' }], // reported again, and extended
    [a0, { ...a1, ClientStatus: 'complete' }, a2], // terminal now: counts nothing
    [{ ...a0, DesiredStatus: 'stop' }, a1, a2], // stopped by the server
    [a1],
  ];
  let prev: NodeUsage | null = null;
  let prevView: ReturnType<typeof view> | null = null;
  steps.forEach((list, i) => {
    const u = t.baseUsageAt(pos, list);
    assertUsage(u, list, `step ${i}`);
    // A usage handed out before is never changed by a later sum.
    if (prev !== null) assert.deepEqual(view(prev), prevView, `step ${i}: earlier usage changed`);
    prev = u;
    prevView = view(u);
  });
});

/** A 32-bit LCG (Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

test('randomized list changes: the shared usage always equals a fresh sum (seeded)', () => {
  for (const seed of [3, 77, 2024]) {
    const next = lcg(seed);
    const int = (n: number): number => next() % n;
    const t = table();
    const pos = t.positionOf('node-d');
    let list: Allocation[] = [];
    let serial = 0;
    const kept: Array<{ u: NodeUsage; v: ReturnType<typeof view> }> = [];
    for (let op = 0; op < 600; op++) {
      const r = int(10);
      const make = (): Allocation => {
        serial++;
        const ports = Array.from({ length: int(3) }, () => 20000 + int(200));
        const status = int(8);
        return alloc(`x${serial}`, 'node-d', {
          cpu: 1 + int(500),
          mem: 1 + int(300),
          disk: int(50),
          ports,
          taskPorts: int(4) === 0 ? [21000 + int(100)] : [],
          legacy: int(6) === 0,
          desired: status === 0 ? 'stop' : 'run',
          client: status === 1 ? 'failed' : 'pending',
        });
      };
      const next2 = list.slice();
      if (r < 5 || next2.length === 0) {
        // Add one to three at random places (the store inserts by ID).
        const n = 1 + int(3);
        for (let k = 0; k < n; k++) next2.splice(int(next2.length + 1), 0, make());
      } else if (r < 7) {
        next2.splice(int(next2.length), 1);
      } else if (r < 8) {
        next2[int(next2.length)] = make();
      } else if (r < 9) {
        // A status report: the same allocation and resources, live or terminal now.
        const k = int(next2.length);
        const status = int(4);
        next2[k] = { ...next2[k]!, ClientStatus: status === 0 ? 'complete' : status === 1 ? 'failed' : 'running' };
      } else if (next2.length > 0) {
        // Replace one and add one: not an extension of the old list.
        next2[int(next2.length)] = make();
        next2.splice(int(next2.length + 1), 0, make());
      }
      list = int(2) === 0 ? (Object.freeze(next2) as Allocation[]) : next2;
      const u = t.baseUsageAt(pos, list);
      assertUsage(u, list, `seed ${seed} op ${op}`);
      kept.push({ u, v: view(u) });
      if (list.length > 12) list = list.slice(int(4)); // keep lists short: drop a few from the front
    }
    for (const { u, v } of kept) assert.deepEqual(view(u), v, `seed ${seed}: an earlier usage was changed`);
  }
});

test('the packed arrays mirror the base usage and capacity, and the stamp changes with each new base', () => {
  const t = table();
  const pos = t.positionOf('node-b');
  assert.ok(Number.isNaN(t.packed[pos * PACKED_STRIDE]!), 'capacity is computed on first need');
  const cap = t.capacityAt(pos);
  assert.deepEqual([...t.packed.subarray(pos * PACKED_STRIDE, pos * PACKED_STRIDE + 4)], [cap.cpu, cap.memMB, cap.diskMB, cap.portRoom]);
  assert.equal(t.usageStamps[pos], 0, 'no base yet');

  const first = [alloc('x1', 'node-b', { cpu: 300, mem: 128, disk: 20, ports: [21000, 21001] })];
  const u1 = t.baseUsageAt(pos, first);
  assert.deepEqual([...t.packed.subarray(pos * PACKED_STRIDE + 4, pos * PACKED_STRIDE + 8)], [u1.cpu, u1.memMB, u1.diskMB, u1.portCount]);
  assert.deepEqual([u1.cpu, u1.memMB, u1.diskMB, u1.portCount], [300, 128, 20, 2]);
  const stamp1 = t.usageStamps[pos]!;
  assert.notEqual(stamp1, 0);

  // The same list again: same base, same stamp.
  assert.equal(t.baseUsageAt(pos, [...first]), u1);
  assert.equal(t.usageStamps[pos], stamp1);

  // A longer list: a new base, new packed numbers, a new stamp; other positions untouched.
  const second = [...first, alloc('x2', 'node-b', { cpu: 200, mem: 64, disk: 5 })];
  const u2 = t.baseUsageAt(pos, second);
  assert.notEqual(u2, u1);
  assert.deepEqual([...t.packed.subarray(pos * PACKED_STRIDE + 4, pos * PACKED_STRIDE + 8)], [500, 192, 25, 2]);
  assert.notEqual(t.usageStamps[pos], stamp1);
  assert.equal(t.usageStamps[t.positionOf('node-a')], 0);
  assert.deepEqual([...t.packed.subarray(4, 8)], [0, 0, 0, 0]);
});
