import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConstraintMatcher, constraintEscapesClass, constraintString, resolveTarget } from './constraints.js';
import { parseConstraintTerms, versionMatches } from '../structs/versions.js';
import { mockNode } from '../../test/unit/scheduler/mock.js';

const node = mockNode({
  id: 'aaaaaaaa-0000-0000-0000-000000000001',
  name: 'web-1',
  datacenter: 'dc2',
  nodeClass: 'large',
  attributes: { 'kernel.name': 'linux', 'cpu.numcores': '8', 'nomad.version': '1.1.2', 'os.version': '12.11', tags: 'a,b, c', 'nomad.region': 'europe' },
  meta: { rack: 'r1', zone: 'z2' },
});
const m = new ConstraintMatcher();
const holds = (LTarget: string, Operand: string, RTarget: string) => m.matches({ LTarget, Operand, RTarget }, node);

test('targets resolve node fields, attributes and meta; literals stay as written', () => {
  assert.deepEqual(resolveTarget('${node.unique.id}', node), { value: node.ID, found: true });
  assert.deepEqual(resolveTarget('${node.unique.name}', node), { value: 'web-1', found: true });
  assert.deepEqual(resolveTarget('${node.datacenter}', node), { value: 'dc2', found: true });
  assert.deepEqual(resolveTarget('${node.class}', node), { value: 'large', found: true });
  assert.deepEqual(resolveTarget('${node.region}', node), { value: 'europe', found: true });
  assert.deepEqual(resolveTarget('${attr.kernel.name}', node), { value: 'linux', found: true });
  assert.deepEqual(resolveTarget('${meta.rack}', node), { value: 'r1', found: true });
  assert.equal(resolveTarget('${attr.nope}', node).found, false);
  assert.equal(resolveTarget('${meta.nope}', node).found, false);
  assert.equal(resolveTarget('${bogus.x}', node).found, false);
  assert.deepEqual(resolveTarget('linux', node), { value: 'linux', found: true });
});

test('equality operators: =, ==, is and their negations !=, not', () => {
  for (const op of ['=', '==', 'is']) {
    assert.equal(holds('${attr.kernel.name}', op, 'linux'), true, op);
    assert.equal(holds('${attr.kernel.name}', op, 'windows'), false, op);
    assert.equal(holds('${attr.missing}', op, 'linux'), false, op);
  }
  for (const op of ['!=', 'not']) {
    assert.equal(holds('${attr.kernel.name}', op, 'windows'), true, op);
    assert.equal(holds('${attr.kernel.name}', op, 'linux'), false, op);
    assert.equal(holds('${attr.missing}', op, 'linux'), true, `${op} with a missing attribute`);
  }
});

test('ordering operators compare numerically when both sides are numbers, lexically otherwise', () => {
  assert.equal(holds('${attr.cpu.numcores}', '>', '4'), true);
  assert.equal(holds('${attr.cpu.numcores}', '>=', '8'), true);
  assert.equal(holds('${attr.cpu.numcores}', '<', '10'), true); // lexically "8" > "10"
  assert.equal(holds('${attr.cpu.numcores}', '<=', '7'), false);
  assert.equal(holds('${node.unique.name}', '<', 'web-2'), true);
  assert.equal(holds('${node.unique.name}', '>', 'xyz'), false);
  assert.equal(holds('${attr.missing}', '<', '5'), false);
});

test('regexp', () => {
  assert.equal(holds('${node.unique.name}', 'regexp', '^web-[0-9]+$'), true);
  assert.equal(holds('${node.unique.name}', 'regexp', '^db'), false);
  assert.equal(holds('${node.unique.name}', 'regexp', '(unclosed'), false);
  assert.equal(holds('${attr.missing}', 'regexp', '.*'), false);
  // Go's syntax: named groups as (?P<name>...), no lookbehind.
  assert.equal(holds('${node.unique.name}', 'regexp', '^(?P<role>web)-'), true);
  assert.equal(holds('${node.unique.name}', 'regexp', '(?<=web)-1'), false);
});

test('regexp matching takes linear time (no catastrophic backtracking)', () => {
  const longName = mockNode({ name: 'a'.repeat(20_000) + '!' });
  const started = performance.now();
  assert.equal(new ConstraintMatcher().matches({ LTarget: '${node.unique.name}', RTarget: '^(a+)+$', Operand: 'regexp' }, longName), false);
  assert.ok(performance.now() - started < 1_000, `took ${performance.now() - started} ms`);
});

test('version ranges in the go-version manner', () => {
  assert.equal(holds('${attr.nomad.version}', 'version', '>= 1.0, < 2.0'), true);
  assert.equal(holds('${attr.nomad.version}', 'version', '> 1.1.2'), false);
  assert.equal(holds('${attr.nomad.version}', 'version', '~> 1.1'), true);
  assert.equal(holds('${attr.nomad.version}', 'version', '~> 1.0.0'), false);
  assert.equal(holds('${attr.os.version}', 'version', '= 12.11'), true);
  const terms = parseConstraintTerms('>= 1.2', false)!;
  assert.equal(versionMatches('1.3.0-beta1', terms, false), false, 'a pre-release does not satisfy a release range');
  assert.equal(versionMatches('1.3.0-beta2', parseConstraintTerms('>= 1.3.0-beta1', false)!, false), true);
  assert.equal(versionMatches('v1.10.0', parseConstraintTerms('> 1.9', false)!, false), true);
  assert.equal(holds('${attr.nomad.version}', 'version', 'garbage!'), false);
});

test('semver with pre-release ordering and no pessimistic operator', () => {
  assert.equal(holds('${attr.nomad.version}', 'semver', '>= 1.1.0, < 1.2.0'), true);
  assert.equal(versionMatches('1.2.0-rc.1', parseConstraintTerms('< 1.2.0', true)!, true), true);
  assert.equal(versionMatches('1.2.0-rc.1', parseConstraintTerms('> 1.2.0-beta.9', true)!, true), true);
  assert.equal(versionMatches('1.2.0-alpha.10', parseConstraintTerms('> 1.2.0-alpha.9', true)!, true), true);
  assert.equal(parseConstraintTerms('~> 1.2.0', true), null);
  assert.equal(holds('${attr.os.version}', 'semver', '>= 12.0.0'), false, 'two-part versions are not semver');
});

test('set operators', () => {
  assert.equal(holds('${attr.tags}', 'set_contains', 'a,c'), true);
  assert.equal(holds('${attr.tags}', 'set_contains_all', 'a, b'), true);
  assert.equal(holds('${attr.tags}', 'set_contains', 'a,d'), false);
  assert.equal(holds('${attr.tags}', 'set_contains_any', 'x,c'), true);
  assert.equal(holds('${attr.tags}', 'set_contains_any', 'x,y'), false);
  assert.equal(holds('${attr.missing}', 'set_contains_any', 'a'), false);
});

test('is_set and is_not_set', () => {
  assert.equal(holds('${meta.rack}', 'is_set', ''), true);
  assert.equal(holds('${meta.nope}', 'is_set', ''), false);
  assert.equal(holds('${meta.nope}', 'is_not_set', ''), true);
  assert.equal(holds('${meta.rack}', 'is_not_set', ''), false);
});

test('distinct_* pass the node check (they are judged against placed allocations); unknown operands fail', () => {
  assert.equal(holds('', 'distinct_hosts', ''), true);
  assert.equal(holds('${meta.rack}', 'distinct_property', '1'), true);
  assert.equal(holds('${attr.kernel.name}', 'like', 'linux'), false);
});

test('constraint strings and class escape', () => {
  assert.equal(constraintString({ LTarget: '${attr.kernel.name}', Operand: '=', RTarget: 'windows' }), '${attr.kernel.name} = windows');
  assert.equal(constraintEscapesClass({ LTarget: '${node.unique.name}', RTarget: 'x' }), true);
  assert.equal(constraintEscapesClass({ LTarget: '${attr.unique.hostname}', RTarget: 'x' }), true);
  assert.equal(constraintEscapesClass({ LTarget: '${attr.kernel.name}', RTarget: 'x' }), false);
});
