import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, type PolicyParseResult } from './parse-policy.js';
import type { Policy } from './policy.js';

function ok(r: PolicyParseResult): Policy {
  if (!r.ok) assert.fail(`expected the rules to parse: ${JSON.stringify(r.errors)}`);
  return r.policy;
}

function errors(r: PolicyParseResult): string[] {
  if (r.ok) assert.fail('expected the rules to be refused');
  return r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
}

test('HCL rules: namespaces with globs, policies expanded into capabilities, coarse rules', () => {
  const p = ok(
    parsePolicy(`
namespace "default" {
  policy = "read"
}
namespace "web-*" {
  policy       = "write"
  capabilities = ["alloc-node-exec"]
}
host_volume "shared" {
  policy = "read"
}
agent { policy = "read" }
node { policy = "write" }
operator { policy = "deny" }
quota { policy = "read" }
plugin { policy = "list" }
`),
  );
  assert.deepEqual(p.namespaces.map((n) => n.name), ['default', 'web-*']);
  const def = p.namespaces[0]!.capabilities;
  assert.ok(def.includes('list-jobs') && def.includes('read-job') && def.includes('parse-job'));
  assert.ok(!def.includes('submit-job') && !def.includes('read-logs'));
  const web = p.namespaces[1]!.capabilities;
  assert.ok(web.includes('submit-job') && web.includes('read-logs') && web.includes('alloc-node-exec'));
  assert.deepEqual(p.hostVolumes, [{ name: 'shared', capabilities: ['mount-readonly'] }]);
  assert.deepEqual(p.coarse, { agent: 'read', node: 'write', operator: 'deny', quota: 'read', plugin: 'list' });
});

test('scale policy grants scaling but not submitting', () => {
  const caps = ok(parsePolicy('namespace "default" {\n  policy = "scale"\n}\n')).namespaces[0]!.capabilities;
  assert.ok(caps.includes('scale-job') && caps.includes('read-job-scaling'));
  assert.ok(!caps.includes('submit-job') && !caps.includes('read-job'));
});

test('JSON rules in HCL JSON form, objects or lists of objects', () => {
  const p = ok(
    parsePolicy(
      JSON.stringify({
        namespace: { default: { policy: 'read' }, 'ops-*': [{ capabilities: ['submit-job'] }] },
        node: { policy: 'read' },
        agent: [{ policy: 'write' }],
      }),
    ),
  );
  assert.deepEqual(p.namespaces.map((n) => n.name), ['default', 'ops-*']);
  assert.deepEqual(p.namespaces[1]!.capabilities, ['submit-job']);
  assert.deepEqual(p.coarse, { node: 'read', agent: 'write' });
});

test('bad values are errors with the line and column of the value', () => {
  const errs = errors(parsePolicy('namespace "default" {\n  policy = "bogus"\n}\n'));
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^2:12: invalid namespace policy "bogus" in namespace "default": must be one of "deny", "read", "write", "scale"$/);

  const caps = errors(parsePolicy('namespace "x" {\n  capabilities = ["read-job", "fly"]\n}\n'));
  assert.match(caps[0]!, /^2:18: invalid namespace capability "fly"/);

  assert.match(errors(parsePolicy('plugin {\n  policy = "write"\n}\n'))[0]!, /^2:12: invalid plugin policy "write"/);
  assert.match(errors(parsePolicy('agent {\n}\n'))[0]!, /^1:1: agent rule has no policy/);
});

test('unknown rules, keys and names are errors, never ignored', () => {
  assert.match(errors(parsePolicy('namespce "default" {\n  policy = "read"\n}\n'))[0]!, /^1:1: unknown rule "namespce"/);
  assert.match(errors(parsePolicy('namespace "default" {\n  polcy = "read"\n}\n'))[0]!, /^2:3: unknown key "polcy" in namespace "default"/);
  assert.match(errors(parsePolicy('namespace "bad name!" {\n  policy = "read"\n}\n'))[0]!, /^1:11: invalid namespace name "bad name!"/);
  assert.match(errors(parsePolicy('node "x" {\n  policy = "read"\n}\n'))[0]!, /^1:6: a node rule takes no name/);
  assert.match(errors(parsePolicy('policy = "read"\n'))[0]!, /^1:1: unexpected attribute "policy"/);
  assert.match(errors(parsePolicy(''))[0]!, /^1:1: the policy has no rules/);
  assert.match(errors(parsePolicy('{"namespace": {"default": "read"}}'))[0]!, /^1:27: namespace "default" must be an object/);
});

test('syntax errors carry the position the parser stopped at', () => {
  const hcl = errors(parsePolicy('namespace "default" {\n  policy = "read"\n'));
  assert.match(hcl[0]!, /^\d+:\d+: /);
  const json = errors(parsePolicy('{"node": {"policy": "read",}}'));
  assert.match(json[0]!, /^1:\d+: /);
});

test('every problem is reported at once', () => {
  const errs = errors(parsePolicy('namespace "a" {\n  policy = "x"\n}\nnode {\n  policy = "y"\n}\nwat {}\n'));
  assert.equal(errs.length, 3, errs.join('\n'));
});

test('deeply nested input is refused, not a crash', () => {
  assert.match(errors(parsePolicy('{"namespace":' + '['.repeat(100_000)))[0]!, /^\d+:\d+: (rules are nested too deeply|Nesting too deep)/);
  assert.match(errors(parsePolicy('namespace "a" { policy = ' + '['.repeat(50_000) + ' }'))[0]!, /^\d+:\d+: /);
  assert.match(errors(parsePolicy('x'.repeat(300 * 1024)))[0]!, /more than the \d+ allowed/);
});
