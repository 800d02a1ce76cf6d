import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHcl } from './parser.js';
import { evalError, evalText } from '../../test/unit/hcl-support.js';

describe('templates', () => {
  it('decodes escapes in quoted strings', () => {
    assert.equal(evalText(String.raw`"a\nb\tc\"d\\e\u00e9\U0001F600"`), 'a\nb\tc"d\\eé😀');
  });

  it('keeps $${ and %%{ as literal ${ and %{', () => {
    assert.equal(evalText('"cost: $${price} %%{ if }"'), 'cost: ${price} %{ if }');
  });

  it('interpolates values, converting numbers and bools to strings', () => {
    assert.equal(evalText('"${name}-${n}-${b}"', { name: 'web', n: 3, b: true }), 'web-3-true');
    assert.equal(evalText('"=${1.5 * 2}"'), '=3');
  });

  it('returns the value itself for a lone interpolation', () => {
    assert.deepEqual(evalText('"${xs}"', { xs: [1, 2] }), [1, 2]);
    assert.equal(evalText('"${n}"', { n: 5 }), 5);
  });

  it('allows nested braces and quotes inside interpolations', () => {
    assert.equal(evalText('"a ${ {k = "v"}.k } b"'), 'a v b');
    assert.equal(evalText('"x${upper("y${"z"}")}"'), 'xYZ');
  });

  it('evaluates if and for directives', () => {
    assert.equal(evalText('"%{ if ok }yes%{ else }no%{ endif }"', { ok: true }), 'yes');
    assert.equal(evalText('"%{ if ok }yes%{ endif }!"', { ok: false }), '!');
    assert.equal(evalText('"%{ for x in xs }<${x}>%{ endfor }"', { xs: ['a', 'b'] }), '<a><b>');
    assert.equal(evalText('"%{ for k, v in m }${k}=${v};%{ endfor }"', { m: { b: 2, a: 1 } }), 'a=1;b=2;');
  });

  it('strips whitespace next to ~ markers', () => {
    assert.equal(evalText('"a   ${~ x ~}   b"', { x: '-' }), 'a-b');
    const v = evalText('<<EOT\n%{ for x in xs ~}\n${x}\n%{ endfor ~}\nEOT', { xs: ['a', 'b'] });
    assert.equal(v, 'a\nb\n');
  });

  it('reads heredocs verbatim, including the final newline', () => {
    assert.equal(evalText('<<EOF\nline one\n  line "two" \\n\nEOF'), 'line one\n  line "two" \\n\n');
  });

  it('removes common indentation from <<- heredocs', () => {
    const src = 'x = <<-EOT\n    first\n      second ${v}\n\n    third\n    EOT\n';
    const body = parseHcl(src, 'h.hcl').body;
    assert.equal(body.items.length, 1);
    assert.equal(evalText('<<-EOT\n    first\n      second ${v}\n\n    third\n    EOT', { v: 'V' }), 'first\n  second V\n\nthird\n');
  });

  it('supports interpolation and directives in heredocs', () => {
    const v = evalText('<<EOT\nhost=${host}\n%{ if debug }debug=1\n%{ endif ~}\nEOT', { host: 'h', debug: true });
    assert.equal(v, 'host=h\ndebug=1\n');
  });

  it('reports a null interpolation', () => {
    const d = evalError('"a${x}"', { x: null });
    assert.equal(d.summary, 'Invalid template interpolation value');
  });

  it('reports a list interpolated into a string', () => {
    const d = evalError('"a${x}"', { x: [1] });
    assert.match(d.detail, /string is required/);
  });
});
