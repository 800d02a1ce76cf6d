import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from './evaluate.js';
import { at, attrExpr, ctxWith, evalError, evalText } from '../../test/unit/hcl-support.js';

describe('evaluate: operators', () => {
  it('computes arithmetic with HCL precedence', () => {
    assert.equal(evalText('1 + 2 * 3'), 7);
    assert.equal(evalText('(1 + 2) * 3'), 9);
    assert.equal(evalText('10 - 4 - 3'), 3);
    assert.equal(evalText('7 % 4 * 2'), 6);
    assert.equal(evalText('-2 * -3'), 6);
    assert.equal(evalText('1 / 4'), 0.25);
  });

  it('converts numeric strings for arithmetic', () => {
    assert.equal(evalText('"3" + 4'), 7);
  });

  it('compares and tests equality without conversion', () => {
    assert.equal(evalText('1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 4'), false);
    assert.equal(evalText('1 == 1'), true);
    assert.equal(evalText('1 == "1"'), false);
    assert.equal(evalText('[1, {a = "x"}] == [1, {a = "x"}]'), true);
    assert.equal(evalText('"a" != "b"'), true);
  });

  it('evaluates logic, short-circuiting', () => {
    assert.equal(evalText('!true || false'), false);
    assert.equal(evalText('false && nosuch.thing'), false);
    assert.equal(evalText('true || nosuch'), true);
  });

  it('evaluates conditionals', () => {
    assert.equal(evalText('n > 1 ? "many" : "one"', { n: 3 }), 'many');
    assert.equal(evalText('n > 1 ? "many" : n == 1 ? "one" : "none"', { n: 0 }), 'none');
  });

  it('reports division by zero and bad operands at the operand', () => {
    const d = evalError('1 /\n0'.replace('\n', ' '));
    assert.equal(d.summary, 'Division by zero');
    const e = evalError('1 + "x"');
    assert.equal(e.summary, 'Invalid operand');
    assert.equal(at(e), '1:9');
  });
});

describe('evaluate: collections and traversals', () => {
  const vars = {
    servers: [
      { name: 'a', ports: [1, 2] },
      { name: 'b', ports: [3] },
    ],
    m: { x: 1, y: 2 },
  };

  it('reads attributes and indexes', () => {
    assert.equal(evalText('servers[1].name', vars), 'b');
    assert.equal(evalText('servers.0.name', vars), 'a');
    assert.equal(evalText('m["y"]', vars), 2);
    assert.equal(evalText('servers[0].ports["1"]', vars), 2);
  });

  it('applies splats', () => {
    assert.deepEqual(evalText('servers[*].name', vars), ['a', 'b']);
    assert.deepEqual(evalText('servers.*.name', vars), ['a', 'b']);
    assert.deepEqual(evalText('servers[*].ports[0]', vars), [1, 3]);
    assert.deepEqual(evalText('null[*]'), []);
    assert.deepEqual(evalText('m[*].x', vars), [1]);
  });

  it('evaluates for expressions', () => {
    assert.deepEqual(evalText('[for s in servers : upper(s.name)]', vars), ['A', 'B']);
    assert.deepEqual(evalText('[for i, s in servers : i if s.name == "b"]', vars), [1]);
    assert.deepEqual(evalText('{for s in servers : s.name => length(s.ports)}', vars), { a: 2, b: 1 });
    assert.deepEqual(evalText('{for k, v in m : v => k}', vars), { '1': 'x', '2': 'y' });
    assert.deepEqual(evalText('{for s in ["a", "b", "a"] : s => s...}'), { a: ['a', 'a'], b: ['b'] });
  });

  it('reports duplicate keys in object for expressions', () => {
    const d = evalError('{for s in ["a", "a"] : s => 1}');
    assert.equal(d.summary, 'Duplicate object key');
  });

  it('builds objects with literal, quoted and computed keys', () => {
    assert.deepEqual(evalText('{ a = 1, "b.c" = 2, (k) = 3 }', { k: 'dyn' }), { a: 1, 'b.c': 2, dyn: 3 });
  });

  it('reports missing attributes, bad indexes and unknown variables with positions', () => {
    assert.equal(evalError('m.z', vars).summary, 'Unsupported attribute');
    const idx = evalError('servers[5]', vars);
    assert.equal(idx.summary, 'Invalid index');
    assert.equal(at(idx), '1:13');
    const unknown = evalError('nosuch + 1');
    assert.equal(unknown.summary, 'Unknown variable');
    assert.equal(at(unknown), '1:5');
  });

  it('calls functions with expansion and checks arity', () => {
    assert.equal(evalText('max(1, xs...)', { xs: [5, 3] }), 5);
    assert.equal(evalError('upper()').summary, 'Not enough function arguments');
    assert.equal(evalError('upper("a", "b")').summary, 'Too many function arguments');
    assert.equal(evalError('nosuchfn(1)').summary, 'Call to unknown function');
    const bad = evalError('element([], 0)');
    assert.equal(bad.summary, 'Invalid function argument');
  });
});

describe('evaluate: keeping unknown references', () => {
  const keep = { keepUnknownReferences: true };

  it('keeps runtime references as their ${...} text', () => {
    assert.equal(evalText('"${attr.kernel.name}"', {}, keep), '${attr.kernel.name}');
    assert.equal(evalText('"${node.unique.name}-${NOMAD_ALLOC_DIR}/x"', {}, keep), '${node.unique.name}-${NOMAD_ALLOC_DIR}/x');
    assert.equal(evalText('"port ${NOMAD_PORT_db}"', {}, keep), 'port ${NOMAD_PORT_db}');
    assert.equal(evalText('"${meta.rack}"', {}, keep), '${meta.rack}');
    assert.equal(evalText('"${env.HOME}"', {}, keep), '${env.HOME}');
  });

  it('keeps the whole interpolation when an unknown is part of a larger expression', () => {
    assert.equal(evalText('"a-${NOMAD_PORT_db + 1}"', {}, keep), 'a-${NOMAD_PORT_db + 1}');
    assert.equal(evalText('"${upper(node.class)}"', {}, keep), '${upper(node.class)}');
  });

  it('keeps a bare reference, in lists too', () => {
    assert.equal(evalText('attr.kernel.name', {}, keep), '${attr.kernel.name}');
    assert.deepEqual(evalText('["${node.datacenter}", "x"]', {}, keep), ['${node.datacenter}', 'x']);
  });

  it('still evaluates known variables around kept references', () => {
    assert.equal(evalText('"${var.name}-${node.unique.name}"', { var: { name: 'web' } }, keep), 'web-${node.unique.name}');
    assert.equal(evalText('join(",", ["${meta.a}", var.x])', { var: { x: 'y' } }, keep), '${meta.a},y');
  });

  it('can keep only chosen roots', () => {
    const ctx = ctxWith({}, { keepUnknownReferences: (root) => root === 'attr' });
    assert.equal(evaluate(attrExpr('"${attr.x}"'), ctx).value, '${attr.x}');
    assert.equal(evaluate(attrExpr('"${nope.x}"'), ctx).diagnostics[0]?.summary, 'Unknown variable');
  });

  it('reports known roots with missing attributes even in keep mode', () => {
    const d = evalError('"${var.missing}"', { var: { name: 'x' } }, keep);
    assert.equal(d.summary, 'Unsupported attribute');
  });
});
