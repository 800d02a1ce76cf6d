import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatJobspecError, parseJobFile } from './index.js';

const BARE = {
  ID: 'example',
  Name: 'example',
  Type: 'service',
  Datacenters: ['dc1'],
  TaskGroups: [{ Name: 'cache', Count: 1, Tasks: [{ Name: 'redis', Driver: 'raw_exec', Config: { command: '/bin/sh' }, Resources: { CPU: 100, MemoryMB: 64 } }] }],
};

describe('JSON job files', () => {
  it('accepts the API wrapper and a bare job', () => {
    const wrapped = parseJobFile(JSON.stringify({ Job: BARE }), 'example.json');
    assert.deepEqual(wrapped.errors, []);
    assert.deepEqual(wrapped.job, BARE);
    const bare = parseJobFile(JSON.stringify(BARE, null, 2), 'example.json');
    assert.deepEqual(bare.job, BARE);
  });

  it('recognises JSON by its first character whatever the file name', () => {
    assert.deepEqual(parseJobFile(`  ${JSON.stringify(BARE)}`, 'job.nomad').job, BARE);
  });

  it('accepts a job returned by the API, keeping fields it does not check', () => {
    const stored = { ...BARE, Status: 'running', SubmitTime: 1795282745336793313, Extra: { x: 1 } };
    const r = parseJobFile(JSON.stringify({ Job: stored }), 'job.json');
    assert.deepEqual(r.errors, []);
    assert.deepEqual((r.job as Record<string, unknown>).Extra, { x: 1 });
  });

  it('matches field names regardless of case, as the API does', () => {
    const r = parseJobFile('{"job": {"id": "x", "taskgroups": [{"name": "g", "count": 2}]}}', 'j.json');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.job, { ID: 'x', TaskGroups: [{ Name: 'g', Count: 2 }] });
  });

  it('names the field path and position of each wrong type', () => {
    const src = '{\n  "Job": {\n    "ID": "x",\n    "TaskGroups": [\n      { "Name": "g", "Count": "three", "Tasks": [{ "Name": "t", "KillTimeout": 1.5 }] }\n    ],\n    "Datacenters": "dc1"\n  }\n}\n';
    const r = parseJobFile(src, 'job.json');
    assert.equal(r.job, null);
    assert.deepEqual(r.errors.map(formatJobspecError), [
      'job.json:5,31: Job.TaskGroups[0].Count: expected a number, got a string ("three")',
      'job.json:5,80: Job.TaskGroups[0].Tasks[0].KillTimeout: expected a whole number, got 1.5',
      'job.json:7,20: Job.Datacenters: expected an array, got a string ("dc1")',
    ]);
    assert.equal(r.errors[0]?.path, 'Job.TaskGroups[0].Count');
  });

  it('reports JSON syntax errors with their position', () => {
    const r = parseJobFile('{\n  "Job": {\n    "ID": "x",\n  }\n}\n', 'bad.json');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]?.line, 4);
    assert.match(r.errors[0]!.message, /^Invalid JSON; Expected a quoted object key/);
  });

  it('explains that HCL\'s JSON syntax is not the API shape', () => {
    const r = parseJobFile('{"job": {"example": {"group": {"g": {}}}}}', 'hcl.json');
    assert.match(r.errors[0]!.message, /HCL's JSON syntax/);
  });
});

describe('JSON job files nested too deep', () => {
  it('are refused with the position, not a stack overflow', () => {
    const r = parseJobFile(`{"Job": {"Meta": ${'['.repeat(20_000)}${']'.repeat(20_000)}}}`, 'deep.json');
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /Nesting too deep/);
    assert.equal(r.errors[0]!.line, 1);
  });
});
