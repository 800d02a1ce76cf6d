import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Acl } from './acl.js';
import { parsePolicy } from './parse-policy.js';
import { namespaceNeed, coarseNeed, permits, MANAGEMENT, OPEN, ANY_TOKEN, NAMESPACE_VISIBLE } from './need.js';
import type { Policy } from './policy.js';

function policy(rules: string): Policy {
  const r = parsePolicy(rules);
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.policy;
}

test('exact namespace rules win over globs; the closest glob wins among globs', () => {
  const acl = Acl.compile([
    policy(`
namespace "*" { policy = "read" }
namespace "prod-*" { policy = "deny" }
namespace "prod-web" { policy = "write" }
namespace "prod-web-*" { capabilities = ["read-logs"] }
`),
  ]);
  assert.equal(acl.allowNamespaceOperation('dev', 'read-job'), true);
  assert.equal(acl.allowNamespaceOperation('dev', 'submit-job'), false);
  assert.equal(acl.allowNamespaceOperation('prod-db', 'read-job'), false, 'prod-* denies');
  assert.equal(acl.allowNamespaceOperation('prod-web', 'submit-job'), true, 'exact beats the glob');
  assert.equal(acl.allowNamespaceOperation('prod-web-1', 'read-logs'), true, 'prod-web-* is closer than prod-*');
  assert.equal(acl.allowNamespaceOperation('prod-web-1', 'read-job'), false);
  assert.equal(acl.allowNamespace('prod-db'), false);
  assert.equal(acl.allowNamespace('dev'), true);
});

test('policies merge: capabilities add up, deny in any of them wins', () => {
  const reader = policy('namespace "default" { policy = "read" }\nnode { policy = "read" }');
  const writer = policy('namespace "default" { capabilities = ["submit-job"] }\nnode { policy = "write" }');
  const both = Acl.compile([reader, writer]);
  assert.equal(both.allowNamespaceOperation('default', 'submit-job'), true);
  assert.equal(both.allowNamespaceOperation('default', 'read-job'), true);
  assert.equal(both.allow('node', 'write'), true);
  const denied = Acl.compile([reader, writer, policy('namespace "default" { policy = "deny" }\nnode { policy = "deny" }')]);
  assert.equal(denied.allowNamespaceOperation('default', 'read-job'), false);
  assert.equal(denied.allow('node', 'read'), false);
});

test('coarse rules: write implies read; plugin read implies list', () => {
  const acl = Acl.compile([policy('agent { policy = "write" }\noperator { policy = "read" }\nplugin { policy = "read" }')]);
  assert.equal(acl.allow('agent', 'read'), true);
  assert.equal(acl.allow('operator', 'read'), true);
  assert.equal(acl.allow('operator', 'write'), false);
  assert.equal(acl.allow('quota', 'read'), false);
  assert.equal(acl.allowPlugin('list'), true);
  assert.equal(Acl.compile([policy('plugin { policy = "list" }')]).allowPlugin('read'), false);
});

test('host volume rules', () => {
  const acl = Acl.compile([policy('host_volume "ro-*" { policy = "read" }\nhost_volume "data" { policy = "write" }')]);
  assert.equal(acl.allowHostVolumeOperation('ro-certs', 'mount-readonly'), true);
  assert.equal(acl.allowHostVolumeOperation('ro-certs', 'mount-readwrite'), false);
  assert.equal(acl.allowHostVolumeOperation('data', 'mount-readwrite'), true);
  assert.equal(acl.allowHostVolumeOperation('other', 'mount-readonly'), false);
});

test('needs: management, open, any token, namespaces and "*"', () => {
  const reader = Acl.compile([policy('namespace "default" { policy = "read" }')]);
  const none = Acl.compile([]);
  assert.equal(none.grantsNothing, true);
  assert.equal(permits(Acl.MANAGEMENT, MANAGEMENT, 'default'), true);
  assert.equal(permits(reader, MANAGEMENT, 'default'), false);
  assert.equal(permits(none, OPEN, 'default'), true);
  assert.equal(permits(none, ANY_TOKEN, 'default'), true);
  assert.equal(permits(reader, namespaceNeed('submit-job', 'read-job'), 'default'), true, 'any of the listed capabilities');
  assert.equal(permits(reader, namespaceNeed('submit-job'), 'default'), false);
  assert.equal(permits(reader, namespaceNeed('read-job'), 'other'), false);
  assert.equal(permits(reader, namespaceNeed('list-jobs'), '*'), true, 'allowed in some namespace');
  assert.equal(permits(none, namespaceNeed('list-jobs'), '*'), false);
  assert.equal(permits(reader, NAMESPACE_VISIBLE, 'default'), true);
  assert.equal(permits(reader, NAMESPACE_VISIBLE, 'other'), false);
  assert.equal(permits(reader, coarseNeed('node', 'read'), 'default'), false);
});
