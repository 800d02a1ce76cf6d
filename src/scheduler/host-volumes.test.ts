// Host volume requests as a placement constraint: a node must offer every host volume a group
// asks for, writable unless the request is read-only, and the reason is named when it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeNodeClass } from '../client/computed-class.js';
import type { Node } from '../structs/node.js';
import { mockJob, mockNode } from '../../test/unit/state-fixtures.js';
import { Feasibility, MISSING_HOST_VOLUMES } from './feasibility.js';
import { groupInfo } from './group-info.js';
import { newMetric } from './metrics.js';

function nodeWith(id: string, volumes: Node['HostVolumes']): Node {
  const drivers = { mock_driver: { Detected: true, Healthy: true, HealthDescription: '', Attributes: {}, UpdateTime: '' } } as Node['Drivers'];
  const n = mockNode(id, { HostVolumes: volumes, Drivers: drivers });
  return { ...n, ComputedClass: computeNodeClass(n) };
}

function jobWanting(readOnly: boolean) {
  const job = mockJob('web');
  job.TaskGroups[0]!.Tasks[0]!.Driver = 'mock_driver';
  job.TaskGroups[0]!.Volumes = { certs: { Name: 'certs', Type: 'host', Source: 'ssl-certs', ReadOnly: readOnly } };
  return job;
}

test('a group that mounts a host volume is placed only on nodes that offer it, as it asks', () => {
  const plain = nodeWith('n-plain', null);
  const writable = nodeWith('n-rw', { 'ssl-certs': { Path: '/etc/ssl', ReadOnly: false } });
  const readOnly = nodeWith('n-ro', { 'ssl-certs': { Path: '/etc/ssl', ReadOnly: true } });
  const nodes = [plain, writable, readOnly];
  assert.equal(new Set(nodes.map((n) => n.ComputedClass)).size, 3, 'host volumes are part of the computed class');

  const rw = jobWanting(false);
  const feasRw = new Feasibility(rw);
  const metric = newMetric();
  const infoRw = groupInfo(rw, rw.TaskGroups[0]!);
  assert.deepEqual(nodes.map((n) => feasRw.feasible(n, infoRw, metric)), [false, true, false]);
  assert.deepEqual(metric.ConstraintFiltered, { [MISSING_HOST_VOLUMES]: 2 });

  const ro = jobWanting(true);
  const feasRo = new Feasibility(ro);
  const infoRo = groupInfo(ro, ro.TaskGroups[0]!);
  assert.deepEqual(nodes.map((n) => feasRo.feasible(n, infoRo, newMetric())), [false, true, true]);
});
