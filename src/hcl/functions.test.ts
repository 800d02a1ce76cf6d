import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { evaluate } from './evaluate.js';
import { FileReadLog, standardFunctions } from './functions/index.js';
import { attrExpr, evalError, evalText } from '../../test/unit/hcl-support.js';

describe('functions: strings', () => {
  it('formats with Go verbs', () => {
    assert.equal(evalText('format("%s-%03d %.2f %q %t %v %5s|%-4s|", "a", 7, 3.14159, "q", true, 1, "r", "l")'), 'a-007 3.14 "q" true 1     r|l   |');
    assert.equal(evalText('format("%[2]s %[1]s %%", "a", "b")'), 'b a %');
    assert.deepEqual(evalText('formatlist("%s=%d", ["a", "b"], [1, 2])'), ['a=1', 'b=2']);
    assert.equal(evalError('format("%d", "x")').summary, 'Invalid function argument');
  });

  it('handles case, trimming and splitting', () => {
    assert.equal(evalText('upper("ab")'), 'AB');
    assert.equal(evalText('lower("AB")'), 'ab');
    assert.equal(evalText('title("hello world-wide")'), 'Hello World-Wide');
    assert.equal(evalText('trim("?!hi?!", "!?")'), 'hi');
    assert.equal(evalText('trimprefix("nomad-job", "nomad-")'), 'job');
    assert.equal(evalText('trimsuffix("job.nomad", ".nomad")'), 'job');
    assert.equal(evalText('trimspace("  x \\n")'), 'x');
    assert.equal(evalText('chomp("x\\n\\n")'), 'x');
    assert.deepEqual(evalText('split(",", "a,b,c")'), ['a', 'b', 'c']);
    assert.equal(evalText('join("-", ["a", "b"], ["c"])'), 'a-b-c');
    assert.equal(evalText('strrev("abc")'), 'cba');
    assert.equal(evalText('substr("hello", 1, 3)'), 'ell');
    assert.equal(evalText('substr("hello", -3, -1)'), 'llo');
    assert.equal(evalText('indent(2, "a\\nb")'), 'a\n  b');
    assert.equal(evalText('replace("a.b.c", ".", "/")'), 'a/b/c');
    assert.equal(evalText('regex_replace("v1.2.3", "^v(\\\\d+)\\\\..*$", "major=$1")'), 'major=1');
    assert.equal(evalText('regex_replace("ab", "(?P<x>a)", "$${x}$${x}")'), 'aab');
  });
});

describe('functions: regular expressions (Go syntax, linear time)', () => {
  it('matches with groups, named groups and every match', () => {
    assert.equal(evalText('regex("[a-z]+", "123abc456")'), 'abc');
    assert.deepEqual(evalText('regex("(\\\\d+)-(\\\\d+)", "v 10-20")'), ['10', '20']);
    assert.deepEqual(evalText('regex("(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)", "1.2")'), { major: '1', minor: '2' });
    // Go skips an empty match right after a match (JavaScript would give a fourth, empty one).
    assert.deepEqual(evalText('regexall("a*", "baaab")'), ['', 'aaa', '']);
    assert.equal(evalText('regex("(?i)NOMAD", "hello nomad")'), 'nomad');
    assert.equal(evalError('regex("x", "abc")').detail.includes('did not match'), true);
  });

  it('replaces as Go expands templates', () => {
    assert.equal(evalText('regex_replace("a-b-c", "-", "+")'), 'a+b+c');
    assert.equal(evalText('regex_replace("abc", "", "-")'), '-a-b-c-');
    assert.equal(evalText('regex_replace("ab", "(a)(b)", "$2$1$$")'), 'ba$');
    // $1x names a group "1x", which does not exist: Go expands it to nothing.
    assert.equal(evalText('regex_replace("ab", "(a)", "$1x")'), 'b');
  });

  it('refuses what Go syntax refuses, with the reason Go gives', () => {
    assert.match(evalError('regex("(?<=a)b", "ab")').detail, /invalid named capture/);
    assert.match(evalError('regex("a{1001}", "a")').detail, /invalid repeat count/);
    assert.match(evalError('regex("(a", "a")').detail, /missing closing \)/);
  });

  it('runs patterns that backtracking engines take seconds over in linear time', () => {
    const started = performance.now();
    assert.match(evalError(`regex("^(a+)+$", "${'a'.repeat(5000)}!")`).detail, /did not match/);
    assert.deepEqual(evalText(`regexall("(x+x+)+y", "${'x'.repeat(5000)}")`), []);
    assert.ok(performance.now() - started < 2_000, `took ${performance.now() - started} ms`);
  });
});

describe('functions: numbers and collections', () => {
  it('computes numbers', () => {
    assert.equal(evalText('abs(-3)'), 3);
    assert.equal(evalText('ceil(1.2)'), 2);
    assert.equal(evalText('floor(1.8)'), 1);
    assert.equal(evalText('max(1, 9, 4)'), 9);
    assert.equal(evalText('min(1, 9, -4)'), -4);
    assert.equal(evalText('parseint("ff", 16)'), 255);
    assert.equal(evalText('parseint("-101", 2)'), -5);
  });

  it('works on lists and maps', () => {
    assert.deepEqual(evalText('concat([1], [2, 3])'), [1, 2, 3]);
    assert.equal(evalText('contains(["a"], "a")'), true);
    assert.deepEqual(evalText('distinct([1, 2, 1])'), [1, 2]);
    assert.equal(evalText('element(["a", "b"], 3)'), 'b');
    assert.deepEqual(evalText('flatten([[1, [2]], 3])'), [1, 2, 3]);
    assert.deepEqual(evalText('keys({b = 1, a = 2})'), ['a', 'b']);
    assert.deepEqual(evalText('values({b = 1, a = 2})'), [2, 1]);
    assert.equal(evalText('length("héllo")'), 5);
    assert.equal(evalText('length({a = 1})'), 1);
    assert.equal(evalText('lookup({a = 1}, "b", 7)'), 7);
    assert.deepEqual(evalText('merge({a = 1}, {b = 2, a = 3})'), { a: 3, b: 2 });
    assert.deepEqual(evalText('range(3)'), [0, 1, 2]);
    assert.deepEqual(evalText('range(1, 7, 2)'), [1, 3, 5]);
    assert.deepEqual(evalText('reverse([1, 2])'), [2, 1]);
    assert.deepEqual(evalText('setunion(["a"], ["b", "a"])'), ['a', 'b']);
    assert.deepEqual(evalText('slice([1, 2, 3, 4], 1, 3)'), [2, 3]);
    assert.deepEqual(evalText('sort(["b", "a", "c"])'), ['a', 'b', 'c']);
    assert.deepEqual(evalText('zipmap(["a", "b"], [1, 2])'), { a: 1, b: 2 });
    assert.equal(evalText('coalesce(null, "x")'), 'x');
    assert.deepEqual(evalText('coalescelist([], [1])'), [1]);
    assert.deepEqual(evalText('compact(["a", "", "b"])'), ['a', 'b']);
    assert.equal(evalText('index(["a", "b"], "b")'), 1);
    assert.equal(evalError('lookup({a = 1}, "b")').summary, 'Invalid function argument');
  });
});

describe('functions: encoding, crypto, conversion, time, files', () => {
  it('encodes and decodes', () => {
    assert.equal(evalText('jsonencode({b = [1, true], a = null})'), '{"a":null,"b":[1,true]}');
    assert.deepEqual(evalText('jsondecode("{\\"a\\": [1, 2]}")'), { a: [1, 2] });
    assert.deepEqual(evalText('csvdecode("name,port\\nweb,80\\n\\"d,b\\",5432\\n")'), [
      { name: 'web', port: '80' },
      { name: 'd,b', port: '5432' },
    ]);
    assert.equal(evalText('base64encode("hello")'), 'aGVsbG8=');
    assert.equal(evalText('base64decode("aGVsbG8=")'), 'hello');
  });

  it('hashes', () => {
    assert.equal(evalText('md5("a")'), '0cc175b9c0f1b6a831c399e269772661');
    assert.equal(evalText('sha1("a")'), '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8');
    assert.equal(evalText('sha256("a")'), 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
    assert.equal((evalText('sha512("a")') as string).length, 128);
    assert.match(evalText('uuidv4()') as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('converts types', () => {
    assert.equal(evalText('tostring(5)'), '5');
    assert.equal(evalText('tonumber("5.5")'), 5.5);
    assert.equal(evalText('tobool("true")'), true);
    assert.deepEqual(evalText('toset(["a", "a"])'), ['a']);
    assert.deepEqual(evalText('tolist([1])'), [1]);
    assert.deepEqual(evalText('tomap({a = 1})'), { a: 1 });
    assert.equal(evalError('tonumber("x")').summary, 'Error in function call');
  });

  it('try and can catch errors', () => {
    assert.equal(evalText('try(m.missing, "fallback")', { m: {} }), 'fallback');
    assert.equal(evalText('try(m.a, "fallback")', { m: { a: 1 } }), 1);
    assert.equal(evalText('can(m.missing)', { m: {} }), false);
    assert.equal(evalText('can(m)', { m: {} }), true);
  });

  it('adds durations to timestamps', () => {
    assert.equal(evalText('timeadd("2021-06-01T12:00:00Z", "1h30m")'), '2021-06-01T13:30:00Z');
    assert.equal(evalText('timeadd("2021-06-01T23:00:00+02:00", "2h")'), '2021-06-02T01:00:00+02:00');
    assert.equal(evalText('timeadd("2021-06-01T00:00:00Z", "-1s")'), '2021-05-31T23:59:59Z');
  });

  it('reads files and paths', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hclfn-'));
    writeFileSync(path.join(dir, 'a.txt'), 'content\n');
    const functions = standardFunctions({ fileAccess: { baseDir: dir } });
    const run = (text: string): unknown => evaluate(attrExpr(text), { variables: {}, functions }).value;
    assert.equal(run('file("a.txt")'), 'content\n');
    assert.equal(run('fileexists("a.txt")'), true);
    assert.equal(run('fileexists("b.txt")'), false);
    assert.equal(run('abspath("a.txt")'), path.join(dir, 'a.txt'));
    assert.equal(run('basename("/x/y.txt")'), 'y.txt');
    assert.equal(run('dirname("/x/y.txt")'), '/x');
    assert.notEqual(run('pathexpand("~/x")'), '~/x');
    const missing = evaluate(attrExpr('file("nope.txt")'), { variables: {}, functions });
    assert.equal(missing.diagnostics[0]?.summary, 'Invalid function argument');
  });

  it('refuses every filesystem function when no file access is given, before touching the path', () => {
    const functions = standardFunctions();
    for (const call of ['file("/etc/passwd")', 'fileexists("/etc/passwd")', 'abspath("x")', 'pathexpand("~/x")', 'length(file("/etc/passwd"))']) {
      const res = evaluate(attrExpr(call), { variables: {}, functions });
      assert.equal(res.diagnostics.length, 1, call);
      assert.match(res.diagnostics[0]?.detail ?? '', /filesystem function disabled/, call);
      assert.doesNotMatch(res.diagnostics[0]?.detail ?? '', /root:/, call);
    }
    assert.equal(evaluate(attrExpr('basename("/x/y.txt")'), { variables: {}, functions }).value, 'y.txt');
  });

  it('never quotes what a file held in an error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hclfn-'));
    writeFileSync(path.join(dir, 'secret.txt'), 'hunter2-secret');
    const readLog = new FileReadLog();
    const functions = standardFunctions({ fileAccess: { baseDir: dir }, readLog });
    const res = evaluate(attrExpr('tonumber(file("secret.txt"))'), { variables: {}, functions });
    assert.equal(res.diagnostics.length, 1);
    const raw = res.diagnostics[0]?.detail ?? '';
    assert.match(raw, /hunter2/, 'the evaluator quotes the value; the read log is what keeps it out');
    const shown = readLog.redact(raw);
    assert.doesNotMatch(shown, /hunter2/);
    assert.match(shown, /a value read from a file/);
    assert.equal(readLog.redact('the string "other" is not a number'), 'the string "other" is not a number');
  });
});
