import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';

let api: InProcessApi;

before(async () => {
  api = await startInProcessApi();
});

after(async () => {
  await api.close();
});

/** Job IDs Nomad accepts: slashes (as periodic children have), tabs, unicode, a percent sign, dots. */
const IDS = ['team/web', 'tab\there', 'ünï/cödé ✓'.replace(' ', '-'), '100%', 'x.y/..z', 'q?a=1#f'];

function body(id: string): Record<string, unknown> {
  return { ID: id, Datacenters: ['dc1'], Update: { MaxParallel: 0 }, TaskGroups: [{ Name: 'g', Count: 1, Scaling: { Min: 0, Max: 3 }, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' } }] }] };
}

test('every job route works for IDs with slashes, tabs, unicode and URL characters when escaped', async () => {
  for (const id of IDS) {
    const e = encodeURIComponent(id);
    const reg = await api.call('PUT', `/v1/job/${e}`, { Job: body(id) });
    assert.equal(reg.status, 200, `${id}: ${reg.text}`);
    const reads = ['', '/allocations', '/evaluations', '/summary', '/versions', '/deployments', '/deployment', '/scale'];
    for (const r of reads) {
      const res = await api.call('GET', `/v1/job/${e}${r}`);
      assert.equal(res.status, 200, `GET ${id}${r}: ${res.text}`);
    }
    assert.equal((await api.call('GET', `/v1/job/${e}`)).json().ID, id);
    assert.equal((await api.call('GET', `/v1/job/${e}/summary`)).json().JobID, id);
    const writes: Array<[string, string, unknown]> = [
      ['PUT', '/plan', { Job: body(id) }],
      ['PUT', '/evaluate', {}],
      ['POST', '/scale', { Count: 2, Target: { Group: 'g' } }],
      ['PUT', '/stable', { JobVersion: 0, Stable: true }],
    ];
    for (const [m, r, b] of writes) {
      const res = await api.call(m, `/v1/job/${e}${r}`, b);
      assert.equal(res.status, 200, `${m} ${id}${r}: ${res.text}`);
    }
    const listed = (await api.call('GET', `/v1/jobs?prefix=${e}`)).json();
    assert.ok(listed.some((j: { ID: string }) => j.ID === id), `listed by prefix: ${id}`);
    const del = await api.call('DELETE', `/v1/job/${e}?purge=true`);
    assert.equal(del.status, 200, `DELETE ${id}: ${del.text}`);
    assert.equal((await api.call('GET', `/v1/job/${e}`)).status, 404);
  }
});
