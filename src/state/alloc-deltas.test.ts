// Plan placements as deltas: what is dropped, what survives the log's encoding, and when a list
// is left whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAllocDeltas, expandAllocDeltas, planAllocsUpdated } from './alloc-deltas.js';
import { decodeMsgpack, encodeMsgpack } from './codec.js';
import type { Allocation } from '../structs/alloc.js';
import type { PlanApplyEntry } from './log-entries.js';
import { mockAlloc } from '../../test/unit/state-fixtures.js';

function placements(): Allocation[] {
  return [0, 1, 2].map((i) =>
    mockAlloc(`a${i}`, `node-${i % 2}`, {
      Name: `example.cache[${i}]`,
      // Alike but distinct objects, as the scheduler builds them.
      AllocatedResources: { Tasks: { redis: { Cpu: { CpuShares: 100, ReservedCores: null }, Memory: { MemoryMB: 64, MemoryMaxMB: 0 }, Networks: null, Devices: null } }, TaskLifecycles: { redis: null }, Shared: { Networks: null, DiskMB: 300, Ports: null } },
    }),
  );
}

test('each placement after the first keeps only the fields that differ from the one before', () => {
  const allocs = placements();
  const deltas = encodeAllocDeltas(allocs)!;
  assert.equal(deltas[0], allocs[0]);
  assert.deepEqual(deltas[1], { ID: 'a1', Name: 'example.cache[1]', NodeID: 'node-1' });
  assert.deepEqual(deltas[2], { ID: 'a2', Name: 'example.cache[2]', NodeID: 'node-0' });
});

test('expanded through the log encoding, the placements are the originals, key order included', () => {
  const allocs = placements();
  const decoded = decodeMsgpack<Array<Partial<Allocation>>>(encodeMsgpack(encodeAllocDeltas(allocs)));
  const whole = expandAllocDeltas(decoded);
  assert.deepEqual(whole, allocs);
  assert.deepEqual(whole.map((a) => JSON.stringify(a)), allocs.map((a) => JSON.stringify(a)));
  // Unchanged nested objects are the one before's.
  assert.equal(whole[2]!.AllocatedResources, whole[1]!.AllocatedResources);
});

test('null and undefined, and objects of another key order, count as different', () => {
  const allocs = placements();
  allocs[1] = { ...allocs[1]!, DeploymentStatus: undefined as unknown as null };
  const shared = allocs[0]!.AllocatedResources!;
  allocs[2] = { ...allocs[2]!, AllocatedResources: { Shared: shared.Shared, TaskLifecycles: shared.TaskLifecycles, Tasks: shared.Tasks } };
  const deltas = encodeAllocDeltas(allocs)!;
  assert.ok('DeploymentStatus' in deltas[1]!);
  assert.ok('DeploymentStatus' in deltas[2]!, 'null after undefined is a change back');
  assert.ok('AllocatedResources' in deltas[2]!);
  assert.deepEqual(expandAllocDeltas(deltas).map((a) => JSON.stringify(a)), allocs.map((a) => JSON.stringify(a)));
});

test('a single placement, or placements of different keys, stay whole', () => {
  const allocs = placements();
  assert.equal(encodeAllocDeltas(allocs.slice(0, 1)), null);
  const extra = { ...allocs[1]!, Extra: 1 } as Allocation;
  assert.equal(encodeAllocDeltas([allocs[0]!, extra]), null, 'a key the one before lacks');
  const { NodeName: _dropped, ...fewer } = allocs[1]!;
  assert.equal(encodeAllocDeltas([allocs[0]!, fewer as Allocation]), null, 'a key the one before has');
});

test('an entry without deltas is read as it is, one with them is expanded once', () => {
  const allocs = placements();
  const plain = { Type: 'PlanApply', AllocsUpdated: allocs } as PlanApplyEntry;
  assert.equal(planAllocsUpdated(plain), allocs);
  const compact = { Type: 'PlanApply', AllocsUpdated: encodeAllocDeltas(allocs)!, AllocsDelta: true } as PlanApplyEntry;
  const once = planAllocsUpdated(compact);
  assert.deepEqual(once, allocs);
  assert.equal(planAllocsUpdated(compact), once);
});
