// Namespaces across two regions in one process over real sockets, ACLs off: east is
// authoritative, west copies east's namespaces. Namespace writes sent to west are made in east;
// while east cannot be reached west keeps its copies and catches up when east is back. The
// source answers anyone with ACLs off and only a management token with ACLs on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessFederation, untilState, type TestRegion } from '../../test/unit/federation.js';
import { systemClock } from '../structs/clock.js';
import type { Namespace } from '../structs/namespace.js';
import type { AclToken } from '../structs/acl.js';
import { StateStore } from '../state/store.js';
import { FSM } from '../state/fsm.js';
import { NamespaceReplicationSource, namespaceHash } from './namespace-replication-endpoints.js';

const fed = new InProcessFederation();
let east: TestRegion;
let west: TestRegion;

before(async () => {
  east = await fed.addRegion('east');
  west = await fed.addRegion('west', { authoritativeRegion: 'east', replication: { backoff: { baseMs: 20, maxMs: 200 }, maxQueryTimeMs: 5_000 } });
});
after(() => fed.close());

const inWest = (what: string, check: () => boolean): Promise<void> => untilState(west, ['namespaces'], what, check);

const westNs = (name: string): Namespace | null => west.store.snapshot().namespaceByName(name);
const eastNs = (name: string): Namespace | null => east.store.snapshot().namespaceByName(name);

test('without ACLs, only the leader of the non-authoritative region copies namespaces', () => {
  assert.equal(west.server.replicating(), true);
  assert.equal(east.server.replicating(), false);
});

test('namespaces written in the authoritative region appear in the other, changed and deleted there too', async () => {
  const put = await east.call('PUT', '/v1/namespace/prod', { body: { Name: 'prod', Description: 'production', Meta: { team: 'ops' } } });
  assert.equal(put.status, 200, put.text);
  await inWest('prod copied', () => westNs('prod') !== null);
  assert.equal(westNs('prod')!.Description, 'production');
  assert.deepEqual(westNs('prod')!.Meta, { team: 'ops' });
  assert.equal(namespaceHash(westNs('prod')!), namespaceHash(eastNs('prod')!));

  const changed = await east.call('PUT', '/v1/namespace/prod', { body: { Name: 'prod', Description: 'production, v2' } });
  assert.equal(changed.status, 200, changed.text);
  await inWest('change copied', () => westNs('prod')?.Description === 'production, v2');
  assert.equal(westNs('prod')!.Meta, null);

  const del = await east.call('DELETE', '/v1/namespace/prod');
  assert.equal(del.status, 200, del.text);
  await inWest('deletion copied', () => westNs('prod') === null);
  assert.notEqual(westNs('default'), null, 'the default namespace stays');
});

test('namespace writes sent to the other region are made in the authoritative one', async () => {
  const put = await west.call('PUT', '/v1/namespace', { body: { Name: 'via-west', Description: 'sent to west' } });
  assert.equal(put.status, 200, put.text);
  assert.equal(eastNs('via-west')?.Description, 'sent to west', 'written in east before the answer');
  await inWest('copied back to west', () => westNs('via-west') !== null);
  const listed = await west.call('GET', '/v1/namespaces');
  assert.deepEqual((JSON.parse(listed.text) as Namespace[]).map((n) => n.Name), ['default', 'via-west']);

  const del = await west.call('DELETE', '/v1/namespace/via-west');
  assert.equal(del.status, 200, del.text);
  assert.equal(eastNs('via-west'), null, 'deleted in east');
  await inWest('deletion copied back', () => westNs('via-west') === null);
});

test('while the authoritative region is down the other keeps its namespaces, and catches up after', async () => {
  assert.equal((await east.call('PUT', '/v1/namespace/kept', { body: { Name: 'kept' } })).status, 200);
  await inWest('kept copied', () => westNs('kept') !== null);
  await east.closeRpc();
  assert.equal((await east.call('PUT', '/v1/namespace/during', { body: { Name: 'during', Description: 'made during the outage' } })).status, 200);

  const read = await west.call('GET', '/v1/namespace/kept');
  assert.equal(read.status, 200, 'west serves the namespaces it has');
  const unreachable = await west.call('PUT', '/v1/namespace/other', { body: { Name: 'other' } });
  assert.equal(unreachable.status, 500);
  assert.match(unreachable.text, /^Failed to reach region "east"/, 'a namespace write fails clearly while the authoritative region is away');
  assert.equal(westNs('during'), null);

  await east.reopenRpc();
  await inWest('caught up after the outage', () => westNs('during')?.Description === 'made during the outage');
});

const workerJob = (ns: string): Record<string, unknown> => ({ ID: 'worker', Name: 'worker', Namespace: ns, Type: 'batch', Datacenters: ['dc1'], TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 20, MemoryMB: 16 } }] }] });

test('a namespace with a live job in another region is not deleted, wherever the deletion is asked', async () => {
  assert.equal((await east.call('PUT', '/v1/namespace/held', { body: { Name: 'held' } })).status, 200);
  await inWest('held copied', () => westNs('held') !== null);
  const run = await west.call('PUT', '/v1/jobs?namespace=held', { body: { Job: workerJob('held') } });
  assert.equal(run.status, 200, run.text);

  for (const r of [east, west]) {
    const refused = await r.call('DELETE', '/v1/namespace/held');
    assert.deepEqual([refused.status, refused.text], [400, 'namespace "held" has non-terminal jobs in regions: [west]'], `asked of ${r.name}`);
  }
  assert.notEqual(eastNs('held'), null);

  assert.equal((await west.call('DELETE', '/v1/job/worker?namespace=held&purge=true')).status, 200);
  const del = await west.call('DELETE', '/v1/namespace/held');
  assert.equal(del.status, 200, del.text);
  assert.equal(eastNs('held'), null);
  await inWest('the deletion copied', () => westNs('held') === null);
});

test('a deletion the other region refuses (a job registered there meanwhile) holds back nothing else, and lands once the job is gone', async () => {
  assert.equal((await east.call('PUT', '/v1/namespace/busy', { body: { Name: 'busy' } })).status, 200);
  await inWest('busy copied', () => westNs('busy') !== null);
  const run = await west.call('PUT', '/v1/jobs?namespace=busy', { body: { Job: workerJob('busy') } });
  assert.equal(run.status, 200, run.text);

  // Written to east's log directly: a job registered in west just after east asked looks the same.
  const deleted = await east.server.apply({ Type: 'NamespaceDelete', Names: ['busy'] });
  assert.equal(deleted.result instanceof Error, false);
  assert.equal((await east.call('PUT', '/v1/namespace/after-busy', { body: { Name: 'after-busy' } })).status, 200);
  await inWest('the later namespace copied', () => westNs('after-busy') !== null);
  assert.notEqual(westNs('busy'), null, 'west keeps the namespace while its job lives');

  const purge = await west.call('DELETE', '/v1/job/worker?namespace=busy&purge=true');
  assert.equal(purge.status, 200, purge.text);
  await inWest('the deletion lands once the job is gone', () => westNs('busy') === null);
});

test('the source answers anyone with ACLs off, only a management token with ACLs on, and waits past the index given', async () => {
  const open = new NamespaceReplicationSource({ store: east.store, clock: systemClock, aclEnabled: false });
  const now = await open.list({ MinQueryIndex: 0 });
  assert.ok(now.Namespaces.some((n) => n.Name === 'kept'));
  const timedOut = await open.list({ MinQueryIndex: now.Index, MaxQueryTimeMs: 30 });
  assert.equal(timedOut.Index, now.Index, 'nothing changed: the same index after the wait');
  const waiting = open.list({ MinQueryIndex: now.Index, MaxQueryTimeMs: 20_000 });
  assert.equal((await east.call('PUT', '/v1/namespace/late', { body: { Name: 'late' } })).status, 200);
  const woke = await waiting;
  assert.ok(woke.Index > now.Index);
  assert.ok(woke.Namespaces.some((n) => n.Name === 'late'));
  const got = await open.get({ Names: ['late', 'missing'] });
  assert.deepEqual((await open.withLiveJobs({ Names: ['late', 'default'] })).Namespaces, [], 'no live job in either');
  assert.deepEqual(got.Namespaces.map((n) => n.Name), ['late']);
  await assert.rejects(open.get({ Names: 'late' }), /Names must be a list of strings/);
  await assert.rejects(open.list({ MinQueryIndex: -1 }), /MinQueryIndex must be a whole number/);

  const store = new StateStore();
  const token = (secret: string, type: AclToken['Type']): AclToken => ({ AccessorID: `a-${secret}`, SecretID: secret, Name: secret, Type: type, Policies: type === 'client' ? ['p'] : null, Global: true, Hash: 'h', CreateTime: new Date().toISOString(), ExpirationTime: null, CreateIndex: 0, ModifyIndex: 0 });
  new FSM(store).apply(1, { Type: 'AclTokenUpsert', Tokens: [token('s-client', 'client'), token('s-manage', 'management')] });
  const guarded = new NamespaceReplicationSource({ store, clock: systemClock, aclEnabled: true });
  await assert.rejects(guarded.list({ MinQueryIndex: 0 }), /Permission denied/);
  await assert.rejects(guarded.list({ AuthToken: 's-client', MinQueryIndex: 0 }), /Permission denied/);
  await assert.rejects(guarded.list({ AuthToken: 's-unknown', MinQueryIndex: 0 }), /ACL token not found/);
  assert.deepEqual((await guarded.list({ AuthToken: 's-manage', MinQueryIndex: 0 })).Namespaces.map((n) => n.Name), ['default']);
});
