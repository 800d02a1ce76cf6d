import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canonicalizeJob } from './canonicalize.js';
import { validateJob } from './validate.js';
import type { Job, JobInput } from './job.js';

const S = 1_000_000_000;

/** The getting-started example as a job file says it: only what the author wrote. */
function exampleInput(count = 3): JobInput {
  return {
    ID: 'example',
    Name: 'example',
    Type: 'service',
    Datacenters: ['dc1'],
    Update: { MaxParallel: 1, MinHealthyTime: 10 * S, HealthyDeadline: 180 * S, ProgressDeadline: 600 * S, AutoRevert: false, Canary: 0 },
    TaskGroups: [
      {
        Name: 'cache',
        Count: count,
        Networks: [{ DynamicPorts: [{ Label: 'db' }] }],
        RestartPolicy: { Attempts: 2, Interval: 1800 * S, Delay: 15 * S, Mode: 'fail' },
        Tasks: [
          {
            Name: 'redis',
            Driver: 'raw_exec',
            Config: { command: '/bin/sh', args: ['-c', 'while true; do echo hi; sleep 1; done'] },
            Resources: { CPU: 100, MemoryMB: 64 },
          },
        ],
      },
    ],
  };
}

const SERVER_FIELDS = ['Status', 'StatusDescription', 'Stable', 'Version', 'SubmitTime', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex'] as const;

function withoutServerFields(j: Job): Partial<Job> {
  const copy: Partial<Job> = { ...j };
  for (const f of SERVER_FIELDS) delete copy[f];
  return copy;
}

test('canonicalized example equals what Nomad stores for it', () => {
  const ref = JSON.parse(readFileSync('test/fixtures/nomad-1.1.2/api/02_running_count3/job_example.raw', 'utf8')) as Job;
  const got = canonicalizeJob(exampleInput(3));
  assert.deepEqual(withoutServerFields(got), withoutServerFields(ref));
});

test('canonicalize is idempotent', () => {
  const once = canonicalizeJob(exampleInput(1));
  assert.deepEqual(canonicalizeJob(once as JobInput), once);
  const batch = canonicalizeJob({ ID: 'b', Type: 'batch', Datacenters: ['dc1'], TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec' }] }] });
  assert.deepEqual(canonicalizeJob(batch as JobInput), batch);
});

test('batch defaults match Nomad', () => {
  const ref = JSON.parse(readFileSync('test/fixtures/nomad-1.1.2/api/05_batch100/job_batch100.raw', 'utf8')) as Job;
  const got = canonicalizeJob({
    ID: 'batch100',
    Type: 'batch',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'g',
        Count: 100,
        RestartPolicy: { Attempts: 0, Mode: 'fail' },
        Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 20, MemoryMB: 10 } }],
      },
    ],
  });
  assert.deepEqual(withoutServerFields(got), withoutServerFields(ref));
});

test('a service job without update block gets the default rolling update', () => {
  const j = canonicalizeJob({ ID: 'a', Datacenters: ['dc1'], TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec' }] }] });
  const u = j.TaskGroups[0]!.Update!;
  assert.equal(u.MaxParallel, 1);
  assert.equal(u.HealthCheck, 'checks');
  assert.equal(u.MinHealthyTime, 10 * S);
  assert.equal(j.TaskGroups[0]!.Tasks[0]!.Resources.MemoryMB, 300);
  assert.equal(j.TaskGroups[0]!.Count, 1);
});

test('a valid job has no validation errors', () => {
  assert.deepEqual(validateJob(canonicalizeJob(exampleInput())), []);
});

test('validation reports every problem with its field path', () => {
  const input = exampleInput();
  input.Datacenters = [];
  input.Priority = 500;
  const g = input.TaskGroups![0]!;
  g.Count = -1;
  g.Tasks!.push({ Name: 'redis', Resources: { MemoryMB: 5 } });
  input.TaskGroups!.push({ Name: 'cache', Tasks: [{ Name: 'x', Driver: 'raw_exec' }] });
  const errs = validateJob(canonicalizeJob(input));
  const has = (prefix: string) => assert.ok(errs.some((e) => e.startsWith(prefix)), `expected an error at ${prefix}, got:\n${errs.join('\n')}`);
  has('Datacenters: missing job datacenters');
  has('Priority:');
  has('TaskGroups[0].Count:');
  has('TaskGroups[0].Tasks[1].Name: duplicate task name "redis"');
  has('TaskGroups[0].Tasks[1].Driver: missing task driver');
  has('TaskGroups[0].Tasks[1].Resources.MemoryMB:');
  has('TaskGroups[1].Name: duplicate task group name "cache"');
  assert.equal(errs.length, 7, errs.join('\n'));
});

test('constraints are checked', () => {
  const input = exampleInput();
  input.Constraints = [
    { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
    { LTarget: '${attr.os.name}', RTarget: '[', Operand: 'regexp' },
    { LTarget: '${attr.os.name}', RTarget: 'x', Operand: 'like' },
  ];
  const errs = validateJob(canonicalizeJob(input));
  assert.equal(errs.length, 2, errs.join('\n'));
  assert.match(errs[0]!, /^Constraints\[1\]\.RTarget: Regular expression failed to compile: error parsing regexp: missing closing \]/);
  assert.match(errs[1]!, /^Constraints\[2\]\.Operand: unknown constraint operator "like"/);
});
