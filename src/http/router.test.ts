import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from './router.js';

test('literal segments win over params; params decode; methods listed for 405', () => {
  const r = new Router<string>();
  r.add(['GET'], '/v1/job/:id', 'job');
  r.add(['GET'], '/v1/job/:id/allocations', 'allocs');
  r.add(['GET'], '/v1/deployment/allocations/:id', 'dep-allocs');
  r.add(['GET'], '/v1/deployment/:id', 'dep');
  r.add(['PUT', 'POST'], '/v1/jobs', 'register');
  assert.deepEqual(r.match('GET', '/v1/job/a%2Fb'), { handler: 'job', params: { id: 'a/b' }, allowed: ['GET'], pattern: '/v1/job/:id' });
  assert.equal(r.match('GET', '/v1/job/x/allocations')?.handler, 'allocs');
  // The route as added names a call whatever IDs its path holds.
  assert.equal(r.match('GET', '/v1/job/x/allocations')?.pattern, '/v1/job/:id/allocations');
  assert.equal(r.match('GET', '/v1/deployment/allocations/abc')?.handler, 'dep-allocs');
  assert.equal(r.match('GET', '/v1/deployment/abc')?.handler, 'dep');
  assert.deepEqual(r.match('DELETE', '/v1/jobs')?.allowed, ['PUT', 'POST']);
  assert.equal(r.match('GET', '/v1/unknown'), null);
});
