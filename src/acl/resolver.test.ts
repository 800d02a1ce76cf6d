import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import { TokenResolver, type AclStateReader } from './resolver.js';
import { authorizeNode, sameSecret } from './node-identity.js';
import { namespaceNeed } from './need.js';

/** A small in-memory ACL state whose table indexes move on every write, as the store's do. */
class FakeAclState implements AclStateReader {
  tokens = new Map<string, AclToken>();
  policies = new Map<string, AclPolicy>();
  tokenIndex = 1;
  policyIndex = 1;
  lookups = 0;
  aclTokenBySecret(secret: string): AclToken | null {
    this.lookups++;
    return this.tokens.get(secret) ?? null;
  }
  aclPolicyByName(name: string): AclPolicy | null {
    return this.policies.get(name) ?? null;
  }
  tableIndex(t: 'acl_token' | 'acl_policy'): number {
    return t === 'acl_token' ? this.tokenIndex : this.policyIndex;
  }
  putToken(t: Partial<AclToken> & { SecretID: string }): void {
    this.tokens.set(t.SecretID, { AccessorID: 'a-' + t.SecretID, Name: '', Type: 'client', Policies: [], Global: false, Hash: '', CreateTime: '', ExpirationTime: null, CreateIndex: 1, ModifyIndex: 1, ...t });
    this.tokenIndex++;
  }
  putPolicy(name: string, rules: string): void {
    this.policies.set(name, { Name: name, Description: '', Rules: rules, Hash: '', CreateIndex: 1, ModifyIndex: 1 });
    this.policyIndex++;
  }
}

function resolver(state: FakeAclState, nowMs = () => 1_000_000): TokenResolver {
  return new TokenResolver({ state: () => state, nowMs });
}

test('unknown secrets are "ACL token not found"; management tokens may do anything', () => {
  const s = new FakeAclState();
  s.putToken({ SecretID: 'root', Type: 'management', Policies: null });
  const r = resolver(s);
  assert.throws(() => r.resolve('nope'), { message: 'ACL token not found' });
  assert.equal(r.resolve('root').acl.management, true);
  assert.equal(r.authorize('root', namespaceNeed('submit-job'), 'default').token.AccessorID, 'a-root');
});

test('the anonymous token gets the "anonymous" policy, or nothing when it does not exist', () => {
  const s = new FakeAclState();
  const r = resolver(s);
  assert.throws(() => r.authorize('', namespaceNeed('list-jobs'), 'default'), { message: 'Permission denied' });
  s.putPolicy('anonymous', 'namespace "default" { policy = "read" }');
  assert.equal(r.authorize('', namespaceNeed('list-jobs'), 'default').token.Name, 'Anonymous Token');
  assert.throws(() => r.authorize('', namespaceNeed('submit-job'), 'default'), { message: 'Permission denied' });
});

test('resolutions are cached until a token or policy changes', () => {
  const s = new FakeAclState();
  s.putPolicy('ro', 'namespace "default" { policy = "read" }');
  s.putToken({ SecretID: 'dev', Policies: ['ro', 'missing'] });
  const r = resolver(s);
  r.resolve('dev');
  r.resolve('dev');
  assert.equal(s.lookups, 1, 'the second resolution came from the cache');
  assert.throws(() => r.authorize('dev', namespaceNeed('submit-job'), 'default'), { message: 'Permission denied' });
  s.putPolicy('ro', 'namespace "default" { policy = "write" }');
  assert.equal(r.authorize('dev', namespaceNeed('submit-job'), 'default').token.SecretID, 'dev', 'a changed policy applies at once');
  s.tokens.delete('dev');
  s.tokenIndex++;
  assert.throws(() => r.resolve('dev'), { message: 'ACL token not found' }, 'a deleted token is refused at once');
});

test('expired tokens are refused; the cache is bounded', () => {
  const s = new FakeAclState();
  let now = Date.parse('2030-01-01T00:00:00Z');
  s.putToken({ SecretID: 'short', Type: 'management', ExpirationTime: '2030-01-01T00:01:00Z' });
  const r = new TokenResolver({ state: () => s, nowMs: () => now, maxCachedTokens: 3 });
  assert.equal(r.resolve('short').acl.management, true);
  now += 60_000;
  assert.throws(() => r.resolve('short'), { message: 'ACL token expired' });
  for (let i = 0; i < 10; i++) {
    s.tokens.set(`t${i}`, { ...s.tokens.get('short')!, SecretID: `t${i}`, ExpirationTime: null });
    r.resolve(`t${i}`);
    assert.ok(r.cachedTokens <= 3);
  }
});

test('a stored policy that no longer parses grants nothing and is reported', () => {
  const s = new FakeAclState();
  s.putPolicy('broken', 'namespace "default" { policy = "nope" }');
  s.putToken({ SecretID: 'x', Policies: ['broken'] });
  const reported: string[] = [];
  const r = new TokenResolver({ state: () => s, nowMs: () => 0, onBadPolicy: (n, p) => reported.push(`${n}: ${p}`) });
  assert.equal(r.resolve('x').acl.grantsNothing, true);
  assert.match(reported[0]!, /^broken: 1:32: invalid namespace policy/);
});

test('node secrets: only the node\'s own secret is accepted', () => {
  const nodes = { nodeByID: (id: string) => (id === 'n1' ? { SecretID: 's-1' } : null) };
  authorizeNode(nodes, 'n1', 's-1');
  assert.throws(() => authorizeNode(nodes, 'n1', 's-2'), { message: 'Permission denied' });
  assert.throws(() => authorizeNode(nodes, 'n1', ''), { message: 'Permission denied' });
  assert.throws(() => authorizeNode(nodes, 'n2', 's-1'), { message: 'Permission denied' });
  assert.equal(sameSecret('abc', 'abc'), true);
  assert.equal(sameSecret('abc', 'abd'), false);
  assert.equal(sameSecret('abc', 'abcd'), false);
});
