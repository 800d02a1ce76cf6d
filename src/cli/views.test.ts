import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAllocMetrics, groupDrivers } from './views.js';
import type { AllocMetric } from '../structs/alloc.js';

test('a missing-drivers failure names the drivers the group uses; other reasons read as Nomad prints them', () => {
  const m = { NodesEvaluated: 2, NodesAvailable: { dc1: 2 }, ConstraintFiltered: { 'missing drivers': 2, '${attr.kernel.name} = windows': 1 }, NodesExhausted: 0 } as unknown as AllocMetric;
  const drivers = groupDrivers({ TaskGroups: [{ Name: 'g', Tasks: [{ Driver: 'qemu' }, { Driver: 'docker' }, { Driver: 'qemu' }] }] });
  assert.deepEqual(drivers, { g: ['docker', 'qemu'] });
  assert.equal(
    formatAllocMetrics(m, '  ', drivers['g']),
    ['  * Constraint "${attr.kernel.name} = windows": 1 nodes excluded by filter', '  * Constraint "missing drivers": 2 nodes excluded by filter (the group\'s tasks use drivers "docker", "qemu")'].join('\n'),
  );
  assert.equal(formatAllocMetrics(m, '', []).split('\n')[1], '* Constraint "missing drivers": 2 nodes excluded by filter');
});
