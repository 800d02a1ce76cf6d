// /v1/namespaces and /v1/namespace/:name against an in-process server: apply, read, list,
// refusals with their status and text, and jobs kept to the namespaces that exist.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobInput, startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';

let api: InProcessApi;
before(async () => {
  api = await startInProcessApi();
});
after(() => api.close());

describe('namespaces over HTTP', () => {
  it('lists the default namespace before any write, with index 1', async () => {
    const r = await api.call('GET', '/v1/namespaces');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), [{ Name: 'default', Description: 'Default shared namespace', Quota: '', Capabilities: null, Meta: null, CreateIndex: 1, ModifyIndex: 1 }]);
    assert.equal(r.headers['x-nomad-index'], '1');
  });

  it('applies a namespace, answers with its index and no body, and serves it', async () => {
    const put = await api.call('PUT', '/v1/namespace/prod', { Name: 'prod', Description: 'production', Meta: { team: 'web' } });
    assert.equal(put.status, 200);
    assert.equal(put.text, '');
    const index = Number(put.headers['x-nomad-index']);
    assert.ok(index >= 1);
    const get = await api.call('GET', '/v1/namespace/prod');
    assert.equal(get.status, 200);
    assert.deepEqual(get.json(), { Name: 'prod', Description: 'production', Quota: '', Capabilities: null, Meta: { team: 'web' }, CreateIndex: index, ModifyIndex: index });
    const list = await api.call('GET', '/v1/namespaces?prefix=pr');
    assert.deepEqual(list.json().map((n: { Name: string }) => n.Name), ['prod']);
    assert.equal(list.headers['x-nomad-index'], String(index));
  });

  it('refuses bad names, a path that does not match, wrong types and unknown namespaces', async () => {
    const bad = await api.call('PUT', '/v1/namespace', { Name: 'no spaces', Description: 'x'.repeat(300) });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /2 errors occurred/);
    assert.match(bad.text, /Invalid namespace "no spaces": invalid name "no spaces". Must match regex \^\[a-zA-Z0-9-\]\{1,128\}\$/);
    assert.match(bad.text, /description longer than 256/);
    const mismatch = await api.call('PUT', '/v1/namespace/a', { Name: 'b' });
    assert.deepEqual([mismatch.status, mismatch.text], [400, 'Namespace name does not match request path']);
    const typed = await api.call('PUT', '/v1/namespace/a', { Name: 'a', Description: 7 });
    assert.equal(typed.status, 400);
    assert.match(typed.text, /cannot unmarshal number into Go struct field Namespace.Description of type string/);
    const missing = await api.call('GET', '/v1/namespace/nope');
    assert.deepEqual([missing.status, missing.text], [404, 'namespace not found']);
    const quota = await api.call('PUT', '/v1/namespace/q', { Name: 'q', Quota: 'big' });
    assert.equal(quota.status, 400);
    assert.match(quota.text, /quotas are not supported/);
  });

  it('registers jobs only into existing namespaces, lists them per namespace and across all with *', async () => {
    const refused = await api.call('PUT', '/v1/jobs?namespace=ghost', { Job: jobInput('web') });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /job "web" is in nonexistent namespace "ghost"/);
    assert.equal((await api.call('PUT', '/v1/jobs?namespace=prod', { Job: jobInput('web') })).status, 200);
    assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('web') })).status, 200);
    const prod = (await api.call('GET', '/v1/jobs?namespace=prod')).json();
    assert.deepEqual(prod.map((j: { ID: string; Namespace: string }) => [j.ID, j.Namespace]), [['web', 'prod']]);
    const all = (await api.call('GET', '/v1/jobs?namespace=*')).json();
    assert.deepEqual(all.map((j: { Namespace: string }) => j.Namespace).sort(), ['default', 'prod']);
    const evals = (await api.call('GET', '/v1/evaluations?namespace=prod')).json();
    assert.ok(evals.length >= 1 && evals.every((e: { Namespace: string }) => e.Namespace === 'prod'));
  });

  it('keeps a namespace with a live job, and deletes it once the job is gone', async () => {
    const busy = await api.call('DELETE', '/v1/namespace/prod');
    assert.equal(busy.status, 400);
    assert.match(busy.text, /namespace "prod" contains at least one non-terminal job "web"/);
    assert.equal((await api.call('DELETE', '/v1/job/web?namespace=prod&purge=true')).status, 200);
    const gone = await api.call('DELETE', '/v1/namespace/prod');
    assert.equal(gone.status, 200);
    assert.equal((await api.call('GET', '/v1/namespace/prod')).status, 404);
    const def = await api.call('DELETE', '/v1/namespace/default');
    assert.deepEqual([def.status, def.text], [400, 'default namespace can not be deleted']);
    const unknown = await api.call('DELETE', '/v1/namespace/nope');
    assert.deepEqual([unknown.status, unknown.text], [404, 'namespace "nope" does not exist']);
  });

  it('refuses task drivers the namespace does not allow', async () => {
    const put = await api.call('PUT', '/v1/namespace/locked', { Name: 'locked', Capabilities: { EnabledTaskDrivers: ['docker'] } });
    assert.equal(put.status, 200);
    const r = await api.call('PUT', '/v1/jobs?namespace=locked', { Job: jobInput('web') });
    assert.deepEqual([r.status, r.text], [400, 'used task driver "raw_exec" is not allowed in namespace "locked"']);
  });
});
