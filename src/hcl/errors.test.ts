import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiagnostic } from './diagnostic.js';
import { parseHcl } from './parser.js';

function errors(src: string): string[] {
  return parseHcl(src, 'job.hcl').diagnostics.map(formatDiagnostic);
}

describe('syntax errors', () => {
  it('reports an unclosed block at its opening brace', () => {
    const out = errors('job "x" {\n  group "g" {\n    count = 1\n  }\n');
    assert.equal(out.length, 1);
    assert.match(out[0] as string, /^job\.hcl:1:9: Unclosed configuration block: There is no closing brace for this block before the end of the file/);
  });

  it('reports every error, not just the first', () => {
    const out = errors('a = \nb = [1 2]\nc = "abc\nd = 1 +\ne = )\n');
    assert.deepEqual(out.map((l) => l.split(': ')[0] + ': ' + l.split(': ')[1]), [
      'job.hcl:1:5: Invalid expression',
      'job.hcl:2:8: Missing item separator',
      'job.hcl:3:9: Unterminated template string',
      'job.hcl:4:8: Invalid expression',
      'job.hcl:5:5: Invalid expression',
    ]);
  });

  it('reports a missing newline after an argument', () => {
    const out = errors('a = 1 2\nb = 3\n');
    assert.equal(out.length, 1);
    assert.match(out[0] as string, /^job\.hcl:1:7: Missing newline after argument/);
  });

  it('reports a stray closing brace', () => {
    assert.match(errors('a = 1\n}\n')[0] as string, /^job\.hcl:2:1: Unexpected closing brace/);
  });

  it('reports an argument name with neither = nor {', () => {
    assert.match(errors('job "x" {\n  datacenters\n}\n')[0] as string, /^job\.hcl:2:3: Invalid argument or block/);
  });

  it('reports invalid characters and single quotes', () => {
    assert.match(errors("a = 'x'\n")[0] as string, /^job\.hcl:1:5: Invalid character: Single quotes are not valid/);
  });

  it('reports unterminated heredocs, comments and templates', () => {
    assert.match(errors('a = <<EOF\nhello\n')[0] as string, /Unterminated heredoc/);
    assert.match(errors('/* open\na = 1\n')[0] as string, /^job\.hcl:1:1: Unterminated comment/);
    assert.match(errors('a = "${x"\n').join('\n'), /Extra characters in template sequence|Unterminated/);
    assert.match(errors('a = "%{ if x }y"\n')[0] as string, /^job\.hcl:1:6: Unterminated template directive/);
    assert.match(errors('a = "%{ endfor }"\n')[0] as string, /Unexpected template directive/);
  });

  it('reports invalid escapes at the escape', () => {
    assert.match(errors('a = "x\\qy"\n')[0] as string, /^job\.hcl:1:7: Invalid escape sequence/);
  });

  it('reports interpolation in block labels', () => {
    assert.match(errors('job "${x}" {\n}\n')[0] as string, /Invalid block label/);
  });

  it('keeps parsing the rest of the file after an error', () => {
    const r = parseHcl('a = [1 2]\nb = 2\nblock {\n  c = (\n}\nd = 4\n', 'job.hcl');
    assert.ok(r.diagnostics.length >= 2);
    const names = r.body.items.map((i) => (i.kind === 'attribute' ? i.name : i.type));
    assert.ok(names.includes('b') && names.includes('d'), names.join(','));
  });
});
