import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { standardFunctions } from './functions/index.js';
import { parseHcl } from './parser.js';
import { bodyToPlain } from './plain.js';

const ctx = { variables: {}, functions: standardFunctions() };

function plain(src: string, blocksAsLists = false): ReturnType<typeof bodyToPlain> {
  const r = parseHcl(src, 'agent.hcl');
  assert.deepEqual(r.diagnostics, []);
  return bodyToPlain(r.body, ctx, { blocksAsLists });
}

describe('bodyToPlain', () => {
  it('turns an agent configuration into plain values', () => {
    const r = plain(`
data_dir  = "/opt/nomad"
bind_addr = "0.0.0.0"
ports { http = 4646 }
server {
  enabled          = true
  bootstrap_expect = 3
}
client {
  enabled = true
  meta {
    "rack" = "r1"
  }
}
plugin "raw_exec" {
  config { enabled = true }
}
plugin "docker" {
  config { allow_privileged = false }
}
host_volume "a" { path = "/a" }
`);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.value, {
      data_dir: '/opt/nomad',
      bind_addr: '0.0.0.0',
      ports: { http: 4646 },
      server: { enabled: true, bootstrap_expect: 3 },
      client: { enabled: true, meta: { rack: 'r1' } },
      plugin: { raw_exec: { config: { enabled: true } }, docker: { config: { allow_privileged: false } } },
      host_volume: { a: { path: '/a' } },
    });
  });

  it('turns repeated blocks into arrays', () => {
    const r = plain('mount { a = 1 }\nmount { a = 2 }\nx "l" { v = 1 }\nx "l" { v = 2 }\n');
    assert.deepEqual(r.value, { mount: [{ a: 1 }, { a: 2 }], x: { l: [{ v: 1 }, { v: 2 }] } });
  });

  it('can make every block a list, as driver configuration wants', () => {
    const r = plain('image = "redis"\nport_map { db = 6379 }\nlogging {\n  type = "syslog"\n  config { tag = "x" }\n}\n', true);
    assert.deepEqual(r.value, { image: 'redis', port_map: [{ db: 6379 }], logging: [{ type: 'syslog', config: [{ tag: 'x' }] }] });
  });

  it('locates keys and values for error messages', () => {
    const r = plain('server {\n  enabled = true\n  opts = {\n    a = [1, 2]\n  }\n}\nm { x = 1 }\nm { x = 2 }\n');
    assert.equal(r.locate(['server', 'enabled'])?.value.start.line, 2);
    assert.equal(r.locate(['server', 'enabled'])?.value.start.column, 13);
    assert.equal(r.locate(['server', 'opts', 'a', 1])?.value.start.column, 13);
    assert.equal(r.locate(['m', 1, 'x'])?.key.start.line, 8);
    assert.equal(r.locate(['m', 0])?.key.start.line, 7);
    assert.equal(r.locate(['server', 'nosuch'])?.key.start.line, 1);
  });

  it('reports duplicate arguments and evaluation errors', () => {
    const r = bodyToPlain(parseHcl('a = 1\na = 2\nb = nosuch\n', 'f.hcl').body, ctx);
    assert.deepEqual(r.diagnostics.map((d) => `${d.range?.start.line}:${d.range?.start.column} ${d.summary}`), ['2:1 Duplicate argument', '3:5 Unknown variable']);
  });
});
