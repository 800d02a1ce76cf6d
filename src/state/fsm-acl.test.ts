import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclToken } from '../structs/acl.js';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';

function token(accessor: string, secret: string, over: Partial<AclToken> = {}): AclToken {
  return { AccessorID: accessor, SecretID: secret, Name: accessor, Type: 'client', Policies: ['ro'], Global: false, Hash: 'h', CreateTime: '2026-01-01T00:00:00Z', ExpirationTime: null, CreateIndex: 0, ModifyIndex: 0, ...over };
}

function setup(): { store: StateStore; fsm: FSM } {
  const store = new StateStore({ freezeObjects: true });
  return { store, fsm: new FSM(store) };
}

test('bootstrap happens once; a reset must name the index of the bootstrap it replaces', () => {
  const { store, fsm } = setup();
  const root = token('acc-root', 'sec-root', { Type: 'management', Policies: null });
  const stored = fsm.apply(3, { Type: 'AclBootstrap', Token: root, ResetIndex: 0 }) as AclToken;
  assert.equal(stored.CreateIndex, 3);
  const snap = store.snapshot();
  assert.equal(snap.aclBootstrapIndex(), 3);
  assert.equal(snap.aclTokenBySecret('sec-root')?.AccessorID, 'acc-root');
  assert.equal(snap.tableIndex('acl_token'), 3);

  const again = token('acc-2', 'sec-2', { Type: 'management', Policies: null });
  assert.throws(() => fsm.apply(4, { Type: 'AclBootstrap', Token: again, ResetIndex: 0 }), { message: 'ACL bootstrap already done (reset index: 3)' });
  assert.throws(() => fsm.apply(4, { Type: 'AclBootstrap', Token: again, ResetIndex: 2 }), { message: 'Invalid bootstrap reset index (specified 2, reset index: 3)' });
  assert.equal(store.snapshot().aclTokenByAccessor('acc-2'), null, 'a refused bootstrap writes nothing');
  fsm.apply(5, { Type: 'AclBootstrap', Token: again, ResetIndex: 3 });
  assert.equal(store.snapshot().aclBootstrapIndex(), 5);
  assert.deepEqual(store.snapshot().aclTokens().map((t) => t.AccessorID), ['acc-2', 'acc-root']);
});

test('tokens: upsert keeps CreateIndex, a changed secret replaces the old one, secrets are unique, delete', () => {
  const { store, fsm } = setup();
  fsm.apply(1, { Type: 'AclTokenUpsert', Tokens: [token('a1', 's1')] });
  fsm.apply(2, { Type: 'AclTokenUpsert', Tokens: [token('a1', 's1-new', { Name: 'renamed' })] });
  const snap = store.snapshot();
  assert.equal(snap.aclTokenBySecret('s1'), null);
  assert.deepEqual([snap.aclTokenBySecret('s1-new')?.Name, snap.aclTokenByAccessor('a1')?.CreateIndex, snap.aclTokenByAccessor('a1')?.ModifyIndex], ['renamed', 1, 2]);
  assert.throws(() => fsm.apply(3, { Type: 'AclTokenUpsert', Tokens: [token('a2', 's1-new')] }), { message: 'Tokens[0]: the SecretID is already in use' });
  assert.throws(() => fsm.apply(3, { Type: 'AclTokenUpsert', Tokens: [token('a2', '')] }), /no SecretID/);
  fsm.apply(4, { Type: 'AclTokenDelete', AccessorIDs: ['a1', 'missing'] });
  assert.equal(store.snapshot().aclTokenBySecret('s1-new'), null);
  assert.equal(store.snapshot().tableIndex('acl_token'), 4);
});

test('policies: upsert keeps CreateIndex; delete; an FSM snapshot restores ACL tables and the bootstrap index', () => {
  const { store, fsm } = setup();
  const p = { Name: 'ro', Description: 'd', Rules: 'namespace "default" { policy = "read" }', Hash: 'x', CreateIndex: 0, ModifyIndex: 0 };
  fsm.apply(1, { Type: 'AclPolicyUpsert', Policies: [p, { ...p, Name: 'other' }] });
  fsm.apply(2, { Type: 'AclPolicyUpsert', Policies: [{ ...p, Description: 'changed' }] });
  fsm.apply(3, { Type: 'AclPolicyDelete', Names: ['other'] });
  fsm.apply(4, { Type: 'AclBootstrap', Token: token('root', 'root-secret', { Type: 'management', Policies: null }), ResetIndex: 0 });
  const ro = store.snapshot().aclPolicyByName('ro')!;
  assert.deepEqual([ro.Description, ro.CreateIndex, ro.ModifyIndex], ['changed', 1, 2]);
  assert.equal(store.snapshot().aclPolicyByName('other'), null);

  const copy = new StateStore({ freezeObjects: true });
  new FSM(copy).restore(fsm.snapshot());
  const a = store.snapshot();
  const b = copy.snapshot();
  assert.deepEqual(b.aclPolicies(), a.aclPolicies());
  assert.deepEqual(b.aclTokens(), a.aclTokens());
  assert.equal(b.aclTokenBySecret('root-secret')?.AccessorID, 'root');
  assert.equal(b.aclBootstrapIndex(), 4);
  assert.equal(b.tableIndex('acl_policy'), 3);
  assert.equal(b.tableIndex('acl_token'), 4);
});
