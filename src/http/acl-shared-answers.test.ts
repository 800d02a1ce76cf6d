// Shared answers and ACLs: a list filtered by the caller's token is never given to another token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAclApiServer, type AclApiServer } from '../../test/unit/acl-api-server.js';
import { jobInput } from '../../test/unit/http-harness.js';

let api: AclApiServer;
let root = '';

before(async () => {
  api = await startAclApiServer();
  root = (JSON.parse((await api.call('PUT', '/v1/acl/bootstrap', '')).text) as { SecretID: string }).SecretID;
});

after(() => api.close());

test('a list read by one token is not shared with a token that may see less of it', async () => {
  const policy = await api.call('PUT', '/v1/acl/policy/elsewhere', root, { Name: 'elsewhere', Rules: 'namespace "other" {\n  policy = "read"\n}\n' });
  assert.equal(policy.status, 200, policy.text);
  const token = await api.call('PUT', '/v1/acl/token', root, { Name: 'elsewhere', Type: 'client', Policies: ['elsewhere'] });
  assert.equal(token.status, 200, token.text);
  const limited = (JSON.parse(token.text) as { SecretID: string }).SecretID;
  assert.equal((await api.call('PUT', '/v1/jobs', root, { Job: jobInput('private') })).status, 200);

  // The same request, the same state: first the management token, then the limited one.
  const all = await api.call('GET', '/v1/jobs?namespace=*', root);
  assert.deepEqual((JSON.parse(all.text) as Array<{ ID: string }>).map((j) => j.ID), ['private']);
  const mine = await api.call('GET', '/v1/jobs?namespace=*', limited);
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(JSON.parse(mine.text), []);
  // And the other way round on a fresh state.
  assert.equal((await api.call('PUT', '/v1/jobs', root, { Job: jobInput('private-2') })).status, 200);
  assert.deepEqual(JSON.parse((await api.call('GET', '/v1/jobs?namespace=*', limited)).text), []);
  assert.equal((JSON.parse((await api.call('GET', '/v1/jobs?namespace=*', root)).text) as unknown[]).length, 2);
});

test('a list shared while its own tables are unchanged is made again for the same token once its policy changed', async () => {
  const rules = (ns: string): string => `namespace "${ns}" {\n  policy = "read"\n}\n`;
  assert.equal((await api.call('PUT', '/v1/acl/policy/moving', root, { Name: 'moving', Rules: rules('default') })).status, 200);
  const token = await api.call('PUT', '/v1/acl/token', root, { Name: 'moving', Type: 'client', Policies: ['moving'] });
  assert.equal(token.status, 200, token.text);
  const secret = (JSON.parse(token.text) as { SecretID: string }).SecretID;
  assert.equal((await api.call('PUT', '/v1/jobs', root, { Job: jobInput('seen-then-not') })).status, 200);
  // Its evaluation is done (the scheduler's write to the job's summary is in) before the list is read.
  const evaluated = (): boolean => api.store.snapshot().evalsByJob('default', 'seen-then-not').some((e) => e.Status === 'complete');
  while (!evaluated()) await api.store.waitForChange(['evals'], api.store.tableIndex('evals'), 10_000);
  const ids = async (): Promise<string[]> => (JSON.parse((await api.call('GET', '/v1/jobs?namespace=*', secret)).text) as Array<{ ID: string }>).map((j) => j.ID);
  assert.ok((await ids()).includes('seen-then-not'));
  // Only the policy is written: the jobs and their summaries are as they were.
  assert.equal((await api.call('PUT', '/v1/acl/policy/moving', root, { Name: 'moving', Rules: rules('other') })).status, 200);
  assert.deepEqual(await ids(), []);
});
