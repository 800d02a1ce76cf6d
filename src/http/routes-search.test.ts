import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';
import { mockNode } from '../../test/unit/scheduler/mock.js';

let api: InProcessApi;

before(async () => {
  api = await startInProcessApi({ http: { search: { fuzzyEnabled: true, limitQuery: 3, limitResults: 2, minTermLength: 2 } } });
  for (const [id, group, task, command] of [
    ['web-frontend', 'www', 'nginx', '/usr/sbin/nginx'],
    ['api', 'web', 'server', '/srv/webapp'],
  ] as const) {
    const r = await api.call('PUT', '/v1/jobs', {
      Job: {
        ID: id,
        Datacenters: ['dc1'],
        TaskGroups: [{ Name: group, Count: 0, Tasks: [{ Name: task, Driver: 'raw_exec', Config: { command }, Services: [{ Name: `${task}-web`, PortLabel: '' }, { Name: `${task}-webui`, PortLabel: '' }], Resources: { CPU: 20, MemoryMB: 16 } }] }],
      },
    });
    assert.equal(r.status, 200, r.text);
  }
  await api.server.nodes.nodeRegister({ ...mockNode({ id: 'f2c4d8a1-0000-4000-8000-000000000001', name: 'webnode-1' }), SecretID: 's' });
});

after(async () => {
  await api.close();
});

test('fuzzy search finds jobs by name and expands them into groups, tasks, services and commands, best match first', async () => {
  const r = await api.call('POST', '/v1/search/fuzzy', { Text: 'web', Context: 'all' });
  assert.equal(r.status, 200, r.text);
  const { Matches, Truncations, Index } = r.json();
  assert.deepEqual(Matches.jobs, [{ ID: 'web-frontend', Scope: ['default'] }]);
  assert.deepEqual(Matches.groups, [{ ID: 'web', Scope: ['default', 'api'] }]);
  // Found at the start of the name beats found later; then the shorter name.
  assert.deepEqual(Matches.commands, [{ ID: '/srv/webapp', Scope: ['default', 'api', 'web', 'server'] }]);
  assert.deepEqual(Matches.nodes, [{ ID: 'webnode-1', Scope: ['f2c4d8a1-0000-4000-8000-000000000001'] }]);
  // Four services match, limit_results is 2: the first two found (jobs in ID order) are kept, and the cut is said.
  assert.deepEqual(Matches.services.map((m: { ID: string }) => m.ID), ['server-web', 'server-webui']);
  assert.equal(Truncations.services, true);
  assert.deepEqual(Matches.evals, []);
  assert.equal(Truncations.jobs, false);
  const snap = api.store.snapshot();
  assert.equal(Index, Math.max(snap.tableIndex('jobs'), snap.tableIndex('nodes'), snap.tableIndex('allocs')));
  assert.equal(r.headers['x-nomad-index'], String(Index));
});

test('fuzzy search is bounded: results per context, and objects looked at per context', async () => {
  for (let i = 0; i < 3; i++) {
    await api.call('PUT', '/v1/jobs', { Job: { ID: `z${i}`, Datacenters: ['dc1'], TaskGroups: [{ Name: 'g', Count: 0, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' } }] }] } });
  }
  // Five jobs now (api, web-frontend, z0, z1, z2), limit_query = 3: z1 and z2 are not looked at.
  const cut = (await api.call('POST', '/v1/search/fuzzy', { Text: 'z1', Context: 'jobs' })).json();
  assert.equal(cut.Matches.jobs, undefined);
  // z0 is the last one looked at while more remain: its match says the search stopped short.
  const last = (await api.call('POST', '/v1/search/fuzzy', { Text: 'z0', Context: 'jobs' })).json();
  assert.deepEqual(last.Matches.jobs, [{ ID: 'z0', Scope: ['default'] }]);
  assert.equal(last.Truncations.jobs, true);
  const early = (await api.call('POST', '/v1/search/fuzzy', { Text: 'web-', Context: 'jobs' })).json();
  assert.deepEqual(early.Matches.jobs, [{ ID: 'web-frontend', Scope: ['default'] }]);
  assert.equal(early.Truncations.jobs, false);
});

test('fuzzy search refuses a short term and an unknown context; prefix search answers with its tables index', async () => {
  const short = await api.call('POST', '/v1/search/fuzzy', { Text: 'w' });
  assert.deepEqual([short.status, short.text], [400, 'fuzzy search query must be at least 2 characters, got 1']);
  const ctx = await api.call('POST', '/v1/search/fuzzy', { Text: 'web', Context: 'bogus' });
  assert.equal(ctx.status, 400);
  assert.match(ctx.text, /^context must be one of \[allocs jobs nodes evals deployment plugins volumes scaling_policy namespaces\] or 'all' for all contexts; got "bogus"$/);
  const jobsIndexBefore = api.store.snapshot().tableIndex('jobs');
  const prefix = await api.call('POST', '/v1/search', { Prefix: 'web', Context: 'jobs' });
  const jobsIndexAfter = api.store.snapshot().tableIndex('jobs');
  assert.equal(prefix.status, 200);
  assert.deepEqual(prefix.json().Matches, { jobs: ['web-frontend'] });
  // The jobs table's index (the scheduler may write job statuses meanwhile), not the store's.
  assert.ok(prefix.json().Index >= jobsIndexBefore && prefix.json().Index <= jobsIndexAfter, `${prefix.json().Index} in [${jobsIndexBefore}, ${jobsIndexAfter}]`);
  const policies = await api.call('POST', '/v1/search', { Prefix: 'ab', Context: 'scaling_policy' });
  assert.deepEqual([policies.status, policies.json().Matches], [200, { scaling_policy: [] }]);
  assert.equal(policies.headers['x-nomad-index'], String(api.store.snapshot().tableIndex('scaling_policy')));
});

test('fuzzy search can be switched off', async () => {
  const off = await startInProcessApi({ http: { search: { fuzzyEnabled: false, limitQuery: 20, limitResults: 100, minTermLength: 2 } } });
  try {
    const r = await off.call('POST', '/v1/search/fuzzy', { Text: 'web' });
    assert.deepEqual([r.status, r.text], [400, 'fuzzy search is not enabled']);
  } finally {
    await off.close();
  }
});
