import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatJobspecError, parseJobFile } from './index.js';

const JOB = `
variable "datacenters" {
  type        = list(string)
  description = "where to run"
  default     = ["dc1"]
}
variable "image" {
  type = string
}
variable "count" {
  type    = number
  default = 1
}
variable "labels" {
  type    = map(string)
  default = {}
}
locals {
  name      = "\${local.prefix}-\${var.image}"
  prefix    = "app"
  port_list = [for i in range(var.count) : 8000 + i]
}
job "vars" {
  datacenters = var.datacenters
  meta        = merge(var.labels, { image = upper(var.image) })
  group "g" {
    count = var.count
    task "t" {
      driver = "docker"
      config {
        image = "\${var.image}:latest"
        name  = local.name
        ports = local.port_list
        host  = "\${node.unique.name}"
      }
    }
  }
}
`;

describe('variables and locals', () => {
  it('uses defaults and -var values, evaluating locals in dependency order', () => {
    const r = parseJobFile(JOB, 'vars.nomad', { vars: { image: 'redis', count: '2' } });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.job?.Datacenters, ['dc1']);
    assert.deepEqual(r.job?.Meta, { image: 'REDIS' });
    assert.equal(r.job?.TaskGroups?.[0]?.Count, 2);
    assert.deepEqual(r.job?.TaskGroups?.[0]?.Tasks?.[0]?.Config, { image: 'redis:latest', name: 'app-redis', ports: [8000, 8001], host: '${node.unique.name}' });
  });

  it('reads list and map values given as text', () => {
    const r = parseJobFile(JOB, 'vars.nomad', { vars: { image: 'x', datacenters: '["a", "b"]' }, envVars: { labels: '{ team = "t" }' } });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.job?.Datacenters, ['a', 'b']);
    assert.deepEqual(r.job?.Meta, { team: 't', image: 'X' });
  });

  it('takes -var over -var-file over the environment over defaults', () => {
    const varFiles = [
      { filename: 'a.hcl', source: 'image = "from-file-a"\ncount = 3\n' },
      { filename: 'b.json', source: '{"image": "from-file-b"}' },
    ];
    const envVars = { image: 'from-env', count: '9', UNRELATED: 'x' };
    const fromEnv = parseJobFile(JOB, 'vars.nomad', { envVars });
    assert.deepEqual(fromEnv.errors, []);
    assert.equal(fromEnv.job?.TaskGroups?.[0]?.Tasks?.[0]?.Config?.image, 'from-env:latest');
    assert.equal(fromEnv.job?.TaskGroups?.[0]?.Count, 9);
    const fromFiles = parseJobFile(JOB, 'vars.nomad', { envVars, varFiles });
    assert.equal(fromFiles.job?.TaskGroups?.[0]?.Tasks?.[0]?.Config?.image, 'from-file-b:latest');
    assert.equal(fromFiles.job?.TaskGroups?.[0]?.Count, 3);
    const fromVar = parseJobFile(JOB, 'vars.nomad', { envVars, varFiles, vars: { image: 'from-var' } });
    assert.equal(fromVar.job?.TaskGroups?.[0]?.Tasks?.[0]?.Config?.image, 'from-var:latest');
  });

  it('names a variable that has no value', () => {
    const r = parseJobFile(JOB, 'vars.nomad');
    assert.equal(r.job, null);
    assert.equal(r.errors.length, 1);
    assert.match(formatJobspecError(r.errors[0]!), /^vars\.nomad:7,10-17: Unset variable; The variable "image" has no default/);
  });

  it('reports values that do not fit the declared type', () => {
    const r = parseJobFile(JOB, 'vars.nomad', { vars: { image: 'x', count: 'many' } });
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /Invalid value for variable; The value given by -var count does not fit variable "count"/);
  });

  it('reports values for undeclared variables unless not strict', () => {
    const r = parseJobFile(JOB, 'vars.nomad', { vars: { image: 'x', nope: '1' }, varFiles: [{ filename: 'v.hcl', source: 'image = "y"\nalso_nope = 2\n' }] });
    assert.deepEqual(r.errors.map((e) => e.message.split(';')[0]).sort(), ['Undefined -var variable', 'Undefined variable']);
    assert.equal(r.errors.find((e) => e.file === 'v.hcl')?.line, 2);
    const lax = parseJobFile(JOB, 'vars.nomad', { vars: { image: 'x', nope: '1' }, strict: false });
    assert.deepEqual(lax.errors, []);
  });

  it('runs validation blocks', () => {
    const src = 'variable "n" {\n  default = 0\n  validation {\n    condition     = var.n > 0\n    error_message = "n must be positive."\n  }\n}\njob "j" {\n  group "g" {\n    count = var.n\n  }\n}\n';
    const r = parseJobFile(src, 'v.nomad');
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /n must be positive/);
    assert.equal(r.errors[0]!.line, 4);
  });

  it('reports cycles between locals and references to undeclared variables', () => {
    const r = parseJobFile('locals {\n  a = local.b\n  b = local.a\n}\njob "j" {\n  name = var.missing\n}\n', 'c.nomad');
    const messages = r.errors.map((e) => `${e.line}: ${e.message.split(';')[0]}`);
    assert.ok(messages.some((m) => m.includes('Cycle in local values')), messages.join('\n'));
    assert.ok(messages.includes('6: Unsupported attribute'), messages.join('\n'));
  });

  it('declares each variable once', () => {
    const r = parseJobFile('variable "a" {\n  default = 1\n}\nvariable "a" {\n  default = 2\n}\njob "j" {}\n', 'd.nomad');
    assert.equal(r.errors[0]?.line, 4);
    assert.match(r.errors[0]!.message, /Duplicate variable/);
  });
});
