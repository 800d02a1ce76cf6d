import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPrefixRules, parsePrefixRules, PrefixFilter } from './prefix-filter.js';

function filter(rules: string[], filterDefault = true): PrefixFilter {
  const parsed = parsePrefixRules(rules);
  assert.ok(!('error' in parsed));
  return new PrefixFilter(parsed, filterDefault);
}

test('the longest matching prefix decides, as in the telemetry docs example', () => {
  const f = filter(['-nomad.raft', '+nomad.raft.apply', '-nomad.memberlist']);
  assert.equal(f.allows('nomad.raft.commitTime'), false);
  assert.equal(f.allows('nomad.raft.apply'), true);
  assert.equal(f.allows('nomad.memberlist.gossip'), false);
  assert.equal(f.allows('nomad.nomad.plan.evaluate'), true);
});

test('names no rule matches get filter_default; blocking wins for the same prefix', () => {
  const f = filter(['+nomad.client', '-nomad.client'], false);
  assert.equal(f.allows('nomad.client.host.cpu.user'), false);
  assert.equal(f.allows('nomad.runtime.alloc_bytes'), false);
  const g = filter(['+nomad.client'], false);
  assert.equal(g.allows('nomad.client.host.cpu.user'), true);
  assert.equal(g.allows('nomad.runtime.alloc_bytes'), false);
});

test('prefixes match bytes, not dotted segments', () => {
  assert.equal(filter(['-nomad.raft']).allows('nomad.raftish'), false);
});

test('a rule without + or - is refused, naming the rule', () => {
  assert.deepEqual(parsePrefixRules(['+a', 'nomad.raft']), { error: `filter rule must begin with either '+' or '-': "nomad.raft"` });
  assert.match(checkPrefixRules(['-x', 'oops'])!, /"oops"/);
  assert.equal(checkPrefixRules(['-x', '+y', '']), null);
});
