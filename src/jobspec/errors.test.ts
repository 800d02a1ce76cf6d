import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from '../hcl/functions/duration.js';
import { formatJobspecError, parseJobFile } from './index.js';

function errorLines(src: string): string[] {
  return parseJobFile(src, 'example.nomad').errors.map(formatJobspecError);
}

describe('job file errors', () => {
  it('reports an unknown argument at its name, in Nomad\'s style', () => {
    const out = errorLines('job "example" {\n  group "g" {\n    task "t" {\n      cont = 1\n    }\n  }\n}\n');
    assert.deepEqual(out, ['example.nomad:4,7-11: Unsupported argument; An argument named "cont" is not expected in task "t".']);
  });

  it('reports unknown blocks, wrong types and duplicates all at once, in file order', () => {
    const out = errorLines(`job "example" {
  datacenters = "dc1"
  group "cache" {
    count = "x"
    restart {
      interval = "thirty minutes"
    }
    widget {}
    task "redis" {
      driver = "docker"
    }
    task "redis" {
      driver = "exec"
    }
  }
  group "cache" {
  }
  update {}
  update {}
}
`);
    assert.deepEqual(
      out.map((l) => l.split(';')[0]),
      [
        'example.nomad:2,17-22: Incorrect attribute value type',
        'example.nomad:4,13-16: Incorrect attribute value type',
        'example.nomad:6,18-34: Incorrect attribute value type',
        'example.nomad:8,5-11: Unsupported block type',
        'example.nomad:12,10-17: Duplicate task "redis"',
        'example.nomad:16,9-16: Duplicate group "cache"',
        'example.nomad:19,3-9: Duplicate update block',
      ],
    );
    assert.match(out[1] as string, /Inappropriate value for attribute "count": a whole number is required, but the value is the string "x"\./);
    assert.match(out[4] as string, /already defined at example\.nomad:9,5/);
  });

  it('converts values the way HCL does before complaining', () => {
    const r = parseJobFile('job "j" {\n  priority = "60"\n  all_at_once = "true"\n}\n', 'j.nomad');
    assert.deepEqual(r.errors, []);
    assert.equal(r.job?.Priority, 60);
    assert.equal(r.job?.AllAtOnce, true);
    assert.match(errorLines('job "j" {\n  priority = 1.5\n}\n')[0] as string, /a whole number is required/);
  });

  it('reports syntax errors with their position and stops there', () => {
    const out = errorLines('job "example" {\n  group "g" {\n    count = 1\n');
    assert.equal(out.length, 2);
    assert.match(out[0] as string, /^example\.nomad:1,15-16: Unclosed configuration block; There is no closing brace/);
  });

  it('requires one labelled job block and only known top-level blocks', () => {
    assert.match(errorLines('variable "x" {\n  default = 1\n}\n')[0] as string, /Missing job block/);
    assert.match(errorLines('job {\n}\n')[0] as string, /Missing name for job/);
    assert.match(errorLines('job "a" {}\njob "b" {}\n')[0] as string, /^example\.nomad:2,1-4: Duplicate job block/);
    assert.match(errorLines('jobs "a" {}\n').join('\n'), /Unsupported block type; Blocks of type "jobs"/);
  });

  it('reports labels where none belong and missing labels', () => {
    assert.match(errorLines('job "j" {\n  update "x" {}\n}\n')[0] as string, /^example\.nomad:2,10-13: Extraneous label for update/);
    assert.match(errorLines('job "j" {\n  group {}\n}\n')[0] as string, /Missing name for group/);
  });

  it('reports evaluation errors at the expression', () => {
    const out = errorLines('job "j" {\n  datacenters = [upper(1, 2)]\n  meta = { a = nosuchfn() }\n}\n');
    assert.equal(out.length, 2);
    assert.match(out[0] as string, /^example\.nomad:2,18-29: Too many function arguments/);
    assert.match(out[1] as string, /^example\.nomad:3,16-24: Call to unknown function/);
  });

  it('keeps runtime references, even unquoted ones, as ${...} text', () => {
    const r = parseJobFile(
      'job "j" {\n  group "g" {\n    task "t" {\n      env {\n        A = "${NOMAD_ALLOC_DIR}/x"\n        B = "${env.HOME}"\n        C = node.unique.name\n      }\n    }\n  }\n}\n',
      'j.nomad',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.job?.TaskGroups?.[0]?.Tasks?.[0]?.Env, { A: '${NOMAD_ALLOC_DIR}/x', B: '${env.HOME}', C: '${node.unique.name}' });
  });
});

describe('durations', () => {
  it('parses Go durations to nanoseconds', () => {
    assert.equal(parseGoDuration('10s'), 10e9);
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('300ms'), 300e6);
    assert.equal(parseGoDuration('1h'), 3600e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('2us'), 2000);
    assert.equal(parseGoDuration('-5s'), -5e9);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('10'), undefined);
    assert.equal(parseGoDuration('5 s'), undefined);
    assert.equal(parseGoDuration(''), undefined);
  });

  it('accepts whole nanoseconds as numbers', () => {
    const r = parseJobFile('job "j" {\n  group "g" {\n    task "t" {\n      kill_timeout = 5000000000\n    }\n  }\n}\n', 'j.nomad');
    assert.equal(r.job?.TaskGroups?.[0]?.Tasks?.[0]?.KillTimeout, 5e9);
  });
});

describe('numbers and nesting that a job file cannot hold', () => {
  it('refuses number literals that would be rounded, with their position', () => {
    const at = (src: string) => errorLines(src).map((l) => l.split(';')[0]);
    assert.deepEqual(at('job "j" {\n  priority = 18446744073709551616\n}\n'), ['example.nomad:2,14-34: Invalid number']);
    assert.deepEqual(at('job "j" {\n  group "g" {\n    count = 1e-400\n  }\n}\n'), ['example.nomad:3,13-19: Invalid number']);
    assert.deepEqual(at('job "j" {\n  meta {\n    big = 12345678901234567890123456789012\n  }\n}\n'), ['example.nomad:3,11-43: Invalid number']);
    assert.deepEqual(at('job "j" {\n  priority = 1e400\n}\n'), ['example.nomad:2,14-19: Invalid number']);
  });

  it('refuses whole numbers past 2^53 made by expressions, where they are used', () => {
    const out = errorLines('job "j" {\n  group "g" {\n    count = 2e20\n  }\n}\n');
    assert.equal(out.length, 1);
    assert.match(out[0]!, /^example\.nomad:3,13-17: Incorrect attribute value type; Inappropriate value for attribute "count"/);
  });

  it('refuses nesting past the bound with its position instead of overflowing the stack', () => {
    const blocks = 'job "j" {\n' + 'meta {\n'.repeat(1_000) + '}\n'.repeat(1_001);
    const deepBlocks = errorLines(blocks);
    assert.equal(deepBlocks.length, 1);
    assert.match(deepBlocks[0]!, /^example\.nomad:\d+,\d+(-\d+)?: Nesting too deep; /);
    for (const expr of [`${'['.repeat(1_000)}1${']'.repeat(1_000)}`, `${'!'.repeat(5_000)}true`, `${'('.repeat(1_000)}1${')'.repeat(1_000)}`, `"${'${"'.repeat(500)}x${'"}'.repeat(500)}"`]) {
      const out = errorLines(`job "j" {\n  meta {\n    x = ${expr}\n  }\n}\n`);
      assert.ok(out.some((l) => /Nesting too deep/.test(l)), `${expr.slice(0, 20)}: ${out.join('\n').slice(0, 300)}`);
    }
  });

  it('takes nesting well inside the bound', () => {
    const src = `job "j" {\n  datacenters = ["dc1"]\n  meta {\n    x = jsonencode(${'['.repeat(150)}1${']'.repeat(150)})\n  }\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n    }\n  }\n}\n`;
    const r = parseJobFile(src, 'example.nomad');
    assert.deepEqual(r.errors, []);
    assert.equal(r.job?.Meta?.x, `${'['.repeat(150)}1${']'.repeat(150)}`);
  });
});
