// ACLs across two regions in one process over real sockets: east is authoritative, west copies
// east's policies and global tokens with a replication token. Writes of global ACLs sent to west
// are made in east; local tokens stay in their region; while east cannot be reached west keeps
// serving with what it has, and catches up when east is back. The source side refuses anything
// but a live management token and waits for a change past the index it is given.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessFederation, untilState, type TestRegion } from '../../test/unit/federation.js';
import { systemClock } from '../structs/clock.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import { StateStore } from '../state/store.js';
import { AclReplicationSource } from './acl-replication-endpoints.js';

const MANAGEMENT_SECRET = '7e3b7f10-5c59-4b4b-9a53-2f6ad1a3c001';
const RULES = 'namespace "default" {\n  policy = "read"\n}\n';

const fed = new InProcessFederation();
let east: TestRegion;
let west: TestRegion;

before(async () => {
  east = await fed.addRegion('east', { acl: {} });
  west = await fed.addRegion('west', { acl: { authoritativeRegion: 'east', replicationToken: MANAGEMENT_SECRET, replication: { backoff: { baseMs: 20, maxMs: 200 }, maxQueryTimeMs: 5_000 } } });
  const boot = await east.call('PUT', '/v1/acl/bootstrap', { body: { BootstrapSecret: MANAGEMENT_SECRET } });
  assert.equal(boot.status, 200, boot.text);
});
after(() => fed.close());

const inWest = (what: string, check: () => boolean): Promise<void> => untilState(west, ['acl_policy', 'acl_token'], what, check);

async function createToken(r: TestRegion, name: string, global: boolean): Promise<AclToken> {
  const res = await r.call('POST', '/v1/acl/token', { token: MANAGEMENT_SECRET, body: { Name: name, Type: 'client', Policies: ['readonly'], Global: global } });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as AclToken;
}

const westPolicy = (name: string): AclPolicy | null => west.store.snapshot().aclPolicyByName(name);
const westToken = (accessor: string): AclToken | null => west.store.snapshot().aclTokenByAccessor(accessor);

test('only the leader of the non-authoritative region replicates', () => {
  assert.equal(west.server.replicating(), true);
  assert.equal(east.server.replicating(), false);
});

test('policies and global tokens written in the authoritative region appear in the other; local ones do not', async () => {
  const put = await east.call('PUT', '/v1/acl/policy/readonly', { token: MANAGEMENT_SECRET, body: { Name: 'readonly', Description: 'read', Rules: RULES } });
  assert.equal(put.status, 200, put.text);
  const global = await createToken(east, 'everywhere', true);
  const local = await createToken(east, 'east-only', false);
  const bootstrap = east.store.snapshot().aclTokenBySecret(MANAGEMENT_SECRET)!;
  await inWest('policy and global tokens replicated', () => westPolicy('readonly') !== null && westToken(global.AccessorID) !== null && westToken(bootstrap.AccessorID) !== null);
  assert.equal(westPolicy('readonly')!.Rules, RULES);
  assert.equal(westPolicy('readonly')!.Hash, east.store.snapshot().aclPolicyByName('readonly')!.Hash);
  assert.equal(westToken(global.AccessorID)!.SecretID, global.SecretID);
  assert.equal(westToken(local.AccessorID), null, 'a local token stays in its region');

  // The replicated token works in west; east's local one is unknown there.
  assert.equal((await west.call('GET', '/v1/jobs', { token: global.SecretID })).status, 200);
  const refused = await west.call('GET', '/v1/jobs', { token: local.SecretID });
  assert.deepEqual([refused.status, refused.text], [403, 'ACL token not found']);
});

test('global ACL writes sent to the other region are made in the authoritative one; local tokens stay local', async () => {
  const put = await west.call('PUT', '/v1/acl/policy/ops', { token: MANAGEMENT_SECRET, body: { Name: 'ops', Description: '', Rules: RULES } });
  assert.equal(put.status, 200, put.text);
  assert.notEqual(east.store.snapshot().aclPolicyByName('ops'), null, 'written in east');
  await inWest('ops replicated back', () => westPolicy('ops') !== null);

  const global = await createToken(west, 'made-through-west', true);
  assert.notEqual(east.store.snapshot().aclTokenByAccessor(global.AccessorID), null, 'a global token is created in east');
  await inWest('global token replicated back', () => westToken(global.AccessorID) !== null);

  const local = await createToken(west, 'west-only', false);
  assert.notEqual(westToken(local.AccessorID), null);
  assert.equal(east.store.snapshot().aclTokenByAccessor(local.AccessorID), null, 'a local token of west is not in east');

  const del = await west.call('DELETE', `/v1/acl/token/${global.AccessorID}`, { token: MANAGEMENT_SECRET });
  assert.equal(del.status, 200, del.text);
  assert.equal(east.store.snapshot().aclTokenByAccessor(global.AccessorID), null, 'deleted in east');
  await inWest('deletion replicated', () => westToken(global.AccessorID) === null);
  assert.notEqual(westToken(local.AccessorID), null, 'replication never removes local tokens');

  const delPolicy = await west.call('DELETE', '/v1/acl/policy/ops', { token: MANAGEMENT_SECRET });
  assert.equal(delPolicy.status, 200, delPolicy.text);
  await inWest('policy deletion replicated', () => westPolicy('ops') === null);

  const again = await west.call('PUT', '/v1/acl/bootstrap', { body: {} });
  assert.equal(again.status, 400);
  assert.match(again.text, /^ACL bootstrap already done \(reset index: \d+\)$/, 'bootstrap is the authoritative region\'s');
});

test('while the authoritative region is down the other serves with what it has, and catches up after', async () => {
  const before = await createToken(east, 'before-outage', true);
  await inWest('token replicated', () => westToken(before.AccessorID) !== null);
  await east.closeRpc();
  const ruled = await east.call('PUT', '/v1/acl/policy/readonly', { token: MANAGEMENT_SECRET, body: { Name: 'readonly', Description: 'changed while west could not see', Rules: RULES } });
  assert.equal(ruled.status, 200, ruled.text);
  const during = await createToken(east, 'during-outage', true);

  assert.equal((await west.call('GET', '/v1/jobs', { token: before.SecretID })).status, 200, 'west serves with the tokens it has');
  const unreachable = await west.call('PUT', '/v1/acl/policy/other', { token: MANAGEMENT_SECRET, body: { Name: 'other', Description: '', Rules: RULES } });
  assert.equal(unreachable.status, 500);
  assert.match(unreachable.text, /^Failed to reach region "east"/, 'a global write fails clearly while the authoritative region is away');
  assert.equal(westToken(during.AccessorID), null);

  await east.reopenRpc();
  await inWest('caught up after the outage', () => westToken(during.AccessorID) !== null && westPolicy('readonly')?.Description === 'changed while west could not see');
});

test('the source answers only a live management token, and waits for a change past the index given', async () => {
  const store = east.store;
  const source = new AclReplicationSource({ store, clock: systemClock, aclEnabled: true });
  const client = await createToken(east, 'not-management', true);
  await assert.rejects(source.listPolicies({ AuthToken: client.SecretID, MinQueryIndex: 0 }), /^NomadError: Permission denied$/);
  await assert.rejects(source.listPolicies({ AuthToken: 'a0000000-0000-4000-8000-000000000000', MinQueryIndex: 0 }), /ACL token not found/);
  await assert.rejects(source.listPolicies({ MinQueryIndex: 0 }), /Permission denied/);
  await assert.rejects(source.getTokens({ AuthToken: MANAGEMENT_SECRET, AccessorIDs: 'x' }), /AccessorIDs must be a list of strings/);
  const off = new AclReplicationSource({ store: new StateStore(), clock: systemClock, aclEnabled: false });
  await assert.rejects(off.listTokens({ AuthToken: MANAGEMENT_SECRET, MinQueryIndex: 0 }), /ACL support disabled/);

  const now = await source.listPolicies({ AuthToken: MANAGEMENT_SECRET, MinQueryIndex: 0 });
  assert.ok(now.Index >= 1);
  const timedOut = await source.listPolicies({ AuthToken: MANAGEMENT_SECRET, MinQueryIndex: now.Index, MaxQueryTimeMs: 30 });
  assert.equal(timedOut.Index, now.Index, 'nothing changed: the same index after the wait');
  const waiting = source.listPolicies({ AuthToken: MANAGEMENT_SECRET, MinQueryIndex: now.Index, MaxQueryTimeMs: 20_000 });
  const put = await east.call('PUT', '/v1/acl/policy/late', { token: MANAGEMENT_SECRET, body: { Name: 'late', Description: '', Rules: RULES } });
  assert.equal(put.status, 200);
  const woke = await waiting;
  assert.ok(woke.Index > now.Index);
  assert.ok(woke.Policies.some((p) => p.Name === 'late'));

  const globalOnly = await source.listTokens({ AuthToken: MANAGEMENT_SECRET, MinQueryIndex: 0, GlobalOnly: true });
  assert.ok(globalOnly.Tokens.length > 0 && globalOnly.Tokens.every((t) => t.Global));
  assert.equal('SecretID' in globalOnly.Tokens[0]!, false, 'lists carry no secrets');

  const none = new AclReplicationSource({ store: new StateStore(), clock: systemClock, aclEnabled: true });
  await assert.rejects(none.listPolicies({ AuthToken: MANAGEMENT_SECRET, MinQueryIndex: 0 }), /ACL token not found/, 'a region that was never bootstrapped knows no token');
});
