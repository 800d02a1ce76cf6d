import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attribute, Block, Body } from './ast.js';
import { parseHcl } from './parser.js';
import { attrExpr, exprOf } from '../../test/unit/hcl-support.js';

function parseOk(src: string): Body {
  const r = parseHcl(src, 'test.hcl');
  assert.deepEqual(r.diagnostics.map((d) => `${d.range?.start.line}:${d.range?.start.column} ${d.summary}`), []);
  return r.body;
}

const attrs = (b: Body): Attribute[] => b.items.filter((i): i is Attribute => i.kind === 'attribute');
const blocks = (b: Body): Block[] => b.items.filter((i): i is Block => i.kind === 'block');

describe('parseHcl: bodies', () => {
  it('parses attributes and labelled blocks in order', () => {
    const body = parseOk(`
a = 1
job "example" {
  datacenters = ["dc1"]
  group "cache" {
    count = 1
  }
}
b = "x"
`);
    assert.deepEqual(body.items.map((i) => (i.kind === 'attribute' ? `attr ${i.name}` : `block ${i.type} ${i.labels.join(',')}`)), ['attr a', 'block job example', 'attr b']);
    const job = blocks(body)[0] as Block;
    assert.equal(attrs(job.body)[0]?.name, 'datacenters');
    const group = blocks(job.body)[0] as Block;
    assert.deepEqual(group.labels, ['cache']);
    assert.equal(group.typeRange.start.line, 5);
    assert.equal(group.typeRange.start.column, 3);
  });

  it('accepts identifier and quoted labels, and several of them', () => {
    const body = parseOk('resource aws_instance "web" { }\n');
    assert.deepEqual(blocks(body)[0]?.labels, ['aws_instance', 'web']);
  });

  it('accepts an empty file, comments only, and a file without a final newline', () => {
    assert.equal(parseOk('').items.length, 0);
    assert.equal(parseOk('# just a comment\n// another\n/* and\n a block */').items.length, 0);
    assert.equal(parseOk('a = 1').items.length, 1);
  });

  it('records ranges with file, line, column and byte offset', () => {
    const src = 'x = 1\n  name = "v"\n';
    const body = parseOk(src);
    const a = attrs(body)[1] as Attribute;
    assert.equal(a.nameRange.filename, 'test.hcl');
    assert.deepEqual(a.nameRange.start, { line: 2, column: 3, byte: 8 });
    assert.deepEqual(a.expr.range.start, { line: 2, column: 10, byte: 15 });
    assert.equal(a.expr.text, '"v"');
    assert.equal(src.slice(a.range.start.byte, a.range.end.byte), 'name = "v"');
  });

  it('counts columns in characters, not UTF-16 units', () => {
    const body = parseOk('s = "😀😀"\n');
    const body2 = parseOk('s = "😀"\nt = 1\n');
    assert.equal(attrs(body)[0]?.expr.range.end.column, 9);
    assert.equal(attrs(body2)[1]?.nameRange.start.column, 1);
  });

  it('accepts the HCL1 forms of agent configuration files', () => {
    const body = parseOk(`
data_dir = "/opt/nomad"
ports { http = 4646 }
ports {
  rpc = 4647
}
client {
  enabled = true
  meta {
    "rack" = "r1"
    "zone.name" = "z"
  }
  options = {
    "driver.raw_exec.enable" = "1"
  }
}
server_join { retry_join = ["a", "b"], retry_max = 3 }
plugin "docker" { config { allow_privileged = true } }
`);
    assert.deepEqual(blocks(body).map((b) => b.type), ['ports', 'ports', 'client', 'server_join', 'plugin']);
    const meta = blocks(blocks(body)[2]?.body as Body)[0] as Block;
    assert.deepEqual(attrs(meta.body).map((a) => a.name), ['rack', 'zone.name']);
    assert.deepEqual(attrs(blocks(body)[3]?.body as Body).map((a) => a.name), ['retry_join', 'retry_max']);
  });

  it('accepts hexadecimal numbers (HCL1)', () => {
    const e = exprOf('0x1F');
    assert.equal(e.kind === 'literal' && e.value, 31);
  });
});

describe('parseHcl: expressions', () => {
  it('parses literals', () => {
    for (const [text, value] of [['1', 1], ['1.5', 1.5], ['1e3', 1000], ['2.5E-1', 0.25], ['true', true], ['false', false], ['null', null], ['-3', -3]] as const) {
      const e = exprOf(text);
      assert.equal(e.kind, 'literal', text);
      assert.equal(e.kind === 'literal' ? e.value : undefined, value, text);
    }
  });

  it('applies HCL operator precedence', () => {
    const shape = (text: string): string => {
      const show = (e: ReturnType<typeof exprOf>): string => {
        switch (e.kind) {
          case 'binary':
            return `(${show(e.left)} ${e.op} ${show(e.right)})`;
          case 'unary':
            return `(${e.op}${show(e.operand)})`;
          case 'conditional':
            return `(${show(e.condition)} ? ${show(e.trueExpr)} : ${show(e.falseExpr)})`;
          default:
            return e.text;
        }
      };
      return show(exprOf(text));
    };
    assert.equal(shape('1 + 2 * 3'), '(1 + (2 * 3))');
    assert.equal(shape('1 * 2 + 3'), '((1 * 2) + 3)');
    assert.equal(shape('a || b && c'), '(a || (b && c))');
    assert.equal(shape('a == b && c != d'), '((a == b) && (c != d))');
    assert.equal(shape('a < b == c >= d'), '((a < b) == (c >= d))');
    assert.equal(shape('1 - 2 - 3'), '((1 - 2) - 3)');
    assert.equal(shape('!a && b'), '((!a) && b)');
    assert.equal(shape('-x * 2'), '((-x) * 2)');
    assert.equal(shape('a ? b : c ? d : e'), '(a ? b : (c ? d : e))');
    assert.equal(shape('a + 1 > 2 ? x : y'), '(((a + 1) > 2) ? x : y)');
    assert.equal(shape('6 % 4 / 2'), '((6 % 4) / 2)');
  });

  it('parses traversals, indexes and splats', () => {
    const e = exprOf('a.b[0].c');
    assert.equal(e.kind, 'getattr');
    assert.equal(e.text, 'a.b[0].c');
    const legacy = exprOf('a.0.b');
    assert.equal(legacy.kind, 'getattr');
    const s = exprOf('list[*].name');
    assert.equal(s.kind, 'splat');
    assert.equal(s.kind === 'splat' && s.each.kind, 'getattr');
    const s2 = exprOf('list.*.name');
    assert.equal(s2.kind === 'splat' && s2.attrOnly, true);
  });

  it('parses function calls with expansion', () => {
    const e = exprOf('max(1, xs...)');
    assert.equal(e.kind, 'call');
    if (e.kind !== 'call') return;
    assert.equal(e.name, 'max');
    assert.equal(e.args.length, 2);
    assert.equal(e.expandFinal, true);
    const multi = attrExpr('concat(\n  a,\n  b,\n)');
    assert.equal(multi.kind === 'call' && multi.args.length, 2);
  });

  it('parses tuples and objects across lines', () => {
    const t = attrExpr('[\n  1,\n  2,\n]');
    assert.equal(t.kind === 'tuple' && t.items.length, 2);
    const o = attrExpr('{\n  a = 1\n  "b" = 2, c: 3\n  (k) = 4\n}');
    assert.equal(o.kind === 'object' && o.items.length, 4);
    if (o.kind !== 'object') return;
    assert.equal(o.items[0]?.key.kind, 'literal');
    assert.equal(o.items[3]?.key.kind, 'parens');
  });

  it('parses for expressions', () => {
    const t = exprOf('[for i, v in xs : v * 2 if i > 0]');
    assert.equal(t.kind, 'for');
    if (t.kind !== 'for') return;
    assert.equal(t.keyVar, 'i');
    assert.equal(t.valueVar, 'v');
    assert.ok(t.condition);
    const o = exprOf('{for k, v in m : v => k...}');
    assert.equal(o.kind === 'for' && o.grouping, true);
  });

  it('ends an argument at the newline unless inside brackets', () => {
    const body = parseOk('a = 1\nb = [1]\nc = b\n');
    assert.equal(body.items.length, 3);
    const broken = parseHcl('a = b\n[1]\n', 'test.hcl');
    assert.equal(broken.body.items.length, 1, 'a "[" on the next line does not index "b"');
    assert.equal(broken.diagnostics[0]?.summary, 'Argument or block definition required');
    const inParens = attrExpr('(1\n+\n2)');
    assert.equal(inParens.kind, 'parens');
  });
});
