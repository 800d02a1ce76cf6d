// The operator routes on a real server of one (dev mode): Raft configuration and status, the
// autopilot configuration with check-and-set and its refusals, health, peer removal texts, and a
// snapshot saved, refused when damaged and restored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { jobInput, startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';

let api: InProcessApi;
let base = '';

before(async () => {
  api = await startInProcessApi();
  base = `http://127.0.0.1:${api.port}`;
});
after(() => api.close());

test('raft configuration, status leader and peers describe the one server', async () => {
  const cfg = await api.call('GET', '/v1/operator/raft/configuration');
  assert.equal(cfg.status, 200);
  assert.deepEqual(cfg.json(), { Servers: [{ ID: 'dev', Node: 'test.global', Address: '127.0.0.1:4647', Leader: true, Voter: true, RaftProtocol: '3' }], Index: 0 });
  assert.deepEqual((await api.call('GET', '/v1/operator/raft/configuration?stale')).json(), cfg.json());
  assert.equal((await api.call('GET', '/v1/status/leader')).json(), '127.0.0.1:4647');
  assert.deepEqual((await api.call('GET', '/v1/status/peers')).json(), ['127.0.0.1:4647']);
});

test('autopilot configuration: Go durations, writes with and without check-and-set, refusals naming the field', async () => {
  const first = (await api.call('GET', '/v1/operator/autopilot/configuration')).json();
  assert.deepEqual(first, {
    CleanupDeadServers: true,
    LastContactThreshold: '200ms',
    MaxTrailingLogs: 250,
    MinQuorum: 0,
    ServerStabilizationTime: '10s',
    EnableRedundancyZones: false,
    DisableUpgradeMigration: false,
    EnableCustomUpgrades: false,
    CreateIndex: 0,
    ModifyIndex: 0,
  });
  const put = await api.call('PUT', '/v1/operator/autopilot/configuration', { ...first, LastContactThreshold: '1.5s' });
  assert.equal(put.status, 200);
  assert.equal(put.json(), true);
  const second = (await api.call('GET', '/v1/operator/autopilot/configuration')).json();
  assert.equal(second.LastContactThreshold, '1.5s');
  assert.ok(second.ModifyIndex > 0);

  // A partial body changes only what it names.
  assert.equal((await api.call('PUT', `/v1/operator/autopilot/configuration?cas=${second.ModifyIndex}`, { MaxTrailingLogs: 99 })).json(), true);
  const third = (await api.call('GET', '/v1/operator/autopilot/configuration')).json();
  assert.equal(third.MaxTrailingLogs, 99);
  assert.equal(third.LastContactThreshold, '1.5s');
  // A check-and-set against the index read before the last write loses, and changes nothing.
  const lost = await api.call('PUT', `/v1/operator/autopilot/configuration?cas=${second.ModifyIndex}`, { MaxTrailingLogs: 1 });
  assert.equal(lost.status, 200);
  assert.equal(lost.json(), false);
  assert.equal((await api.call('GET', '/v1/operator/autopilot/configuration')).json().MaxTrailingLogs, 99);

  const refusals: Array<[string, unknown, RegExp]> = [
    ['', { LastContactThreshold: 'soon' }, /LastContactThreshold must be a duration such as "200ms" or "10s", got "soon"/],
    ['', { LastContactThreshold: 200 }, /LastContactThreshold must be a duration/],
    ['', { MaxTrailingLogs: -1 }, /MaxTrailingLogs must be a non-negative integer/],
    ['', { CleanupDeadServers: 'yes' }, /CleanupDeadServers must be a boolean/],
    ['', { RedundancyZoneTag: 'zone' }, /unknown field "RedundancyZoneTag"/],
    ['?cas=abc', {}, /Error parsing cas value: strconv.ParseUint: parsing "abc": invalid syntax/],
  ];
  for (const [query, body, re] of refusals) {
    const r = await api.call('PUT', `/v1/operator/autopilot/configuration${query}`, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} ${query}`);
    assert.match(r.text, re);
  }
  assert.equal((await api.call('GET', '/v1/operator/autopilot/configuration')).json().MaxTrailingLogs, 99, 'refused writes changed nothing');
});

test('autopilot health of a server of one: healthy leader, seconds in StableSince', async () => {
  const r = await api.call('GET', '/v1/operator/autopilot/health');
  assert.equal(r.status, 200);
  const h = r.json();
  assert.equal(h.Healthy, true);
  assert.equal(h.FailureTolerance, 0);
  assert.equal(h.Servers.length, 1);
  const s = h.Servers[0];
  assert.deepEqual({ ...s, StableSince: 'x', LastIndex: 0, LastTerm: 0 }, {
    ID: 'dev', Name: 'test.global', Address: '127.0.0.1:4647', SerfStatus: 'alive', Version: '1.1.2', Leader: true,
    LastContact: '0s', LastTerm: 0, LastIndex: 0, Healthy: true, Voter: true, StableSince: 'x',
  });
  assert.match(s.StableSince, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(s.LastIndex > 0);
});

test('peer removal: Nomad texts for missing, doubled and unknown peers; the leader itself is refused', async () => {
  const none = await api.call('DELETE', '/v1/operator/raft/peer');
  assert.equal(none.status, 400);
  assert.equal(none.text, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
  const both = await api.call('DELETE', '/v1/operator/raft/peer?id=a&address=b');
  assert.equal(both.status, 400);
  assert.equal(both.text, 'Must specify only one of ?id or ?address');
  const unknownId = await api.call('DELETE', '/v1/operator/raft/peer?id=nope');
  assert.equal(unknownId.status, 500);
  assert.equal(unknownId.text, 'id "nope" was not found in the Raft configuration');
  const unknownAddr = await api.call('DELETE', '/v1/operator/raft/peer?address=10.0.0.1:4647');
  assert.equal(unknownAddr.text, 'address "10.0.0.1:4647" was not found in the Raft configuration');
  const self = await api.call('DELETE', '/v1/operator/raft/peer?address=127.0.0.1:4647');
  assert.equal(self.status, 400);
  assert.match(self.text, /cannot remove the leader itself/);
});

test('snapshot: saved with its digest; a damaged file is refused and changes nothing; the saved state comes back', async () => {
  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('kept') })).status, 200);
  const res = await fetch(`${base}/v1/operator/snapshot`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-gzip');
  const archive = new Uint8Array(await res.arrayBuffer());
  assert.equal(res.headers.get('digest'), `sha-256=${createHash('sha256').update(archive).digest('base64')}`);
  const stale = await fetch(`${base}/v1/operator/snapshot?stale`);
  assert.equal(stale.status, 200);

  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('later') })).status, 200);
  const before = (await api.call('GET', '/v1/jobs')).json().map((j: { ID: string }) => j.ID).sort();
  assert.deepEqual(before, ['kept', 'later']);

  const cut = await fetch(`${base}/v1/operator/snapshot`, { method: 'PUT', body: archive.subarray(0, archive.length / 2) });
  assert.equal(cut.status, 400);
  assert.match(await cut.text(), /snapshot archive: the file is damaged or is not a snapshot/);
  const empty = await fetch(`${base}/v1/operator/snapshot`, { method: 'PUT' });
  assert.equal(empty.status, 400);
  assert.deepEqual((await api.call('GET', '/v1/jobs')).json().map((j: { ID: string }) => j.ID).sort(), before, 'refused restores changed nothing');

  // Blocking queries on the job list (woken by any change meanwhile, such as the scheduler's)
  // come to the restored list without any write after the restore.
  const listIndex = Number((await api.call('GET', '/v1/jobs')).headers['x-nomad-index']);
  const watching = (async () => {
    let index = listIndex;
    for (let round = 0; round < 50; round++) {
      const r = await fetch(`${base}/v1/jobs?index=${index}&wait=60s`);
      const ids = ((await r.json()) as Array<{ ID: string }>).map((j) => j.ID);
      if (ids.length === 1 && ids[0] === 'kept') return Number(r.headers.get('x-nomad-index'));
      index = Number(r.headers.get('x-nomad-index'));
    }
    throw new Error('the blocking queries never saw the restored list');
  })();
  const restored = await fetch(`${base}/v1/operator/snapshot`, { method: 'PUT', body: archive });
  assert.equal(restored.status, 200, await restored.clone().text());
  const restoreIndex = Number(restored.headers.get('x-nomad-index'));
  assert.ok((await watching) >= restoreIndex, 'the list changed at the restore');
  assert.ok(restoreIndex > listIndex);
  assert.deepEqual((await api.call('GET', '/v1/jobs')).json().map((j: { ID: string }) => j.ID), ['kept']);
  // Later writes go on from beyond the restore.
  const again = await api.call('PUT', '/v1/jobs', { Job: jobInput('after') });
  assert.equal(again.status, 200);
  assert.ok(again.json().JobModifyIndex > restoreIndex, `${again.json().JobModifyIndex} > ${restoreIndex}`);
  assert.deepEqual((await api.call('GET', '/v1/jobs')).json().map((j: { ID: string }) => j.ID).sort(), ['after', 'kept']);
});
