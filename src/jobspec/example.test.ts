import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { batchTrueJob, exampleJob } from '../../test/e2e/job-files.js';
import { parseJobFile } from './index.js';

// The job of the reference transcript (`nomad job init`, adapted to raw_exec), as the CLI ran it.
const EXAMPLE = exampleJob({
  count: 1,
  minHealthyTime: '10s',
  healthyDeadline: '3m',
  progressDeadline: '10m',
  script: 'while true; do echo hi; sleep 1; done',
});

// A capture of what Nomad 1.1.2 answered for this job, kept in the repository.
const REFERENCE = 'test/fixtures/nomad-1.1.2/api/01_running_count1/job_example.raw';

function loadReference(): Record<string, any> {
  return JSON.parse(readFileSync(REFERENCE, 'utf8')) as Record<string, any>;
}

describe('the reference example job', () => {
  const { job, errors } = parseJobFile(EXAMPLE, 'example.nomad');

  it('parses without errors', () => {
    assert.deepEqual(errors, []);
    assert.ok(job);
  });

  it('outputs only what the file says', () => {
    assert.deepEqual(job, {
      ID: 'example',
      Name: 'example',
      Type: 'service',
      Datacenters: ['dc1'],
      Update: { MaxParallel: 1, MinHealthyTime: 10e9, HealthyDeadline: 180e9, ProgressDeadline: 600e9, AutoRevert: false, Canary: 0 },
      TaskGroups: [
        {
          Name: 'cache',
          Count: 1,
          Networks: [{ DynamicPorts: [{ Label: 'db' }] }],
          RestartPolicy: { Attempts: 2, Interval: 1800e9, Delay: 15e9, Mode: 'fail' },
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
    });
  });

  it('agrees field by field with what Nomad 1.1.2 stored for it', (t) => {
    const ref = loadReference();
    const g = job?.TaskGroups?.[0];
    const rg = ref.TaskGroups[0];
    const task = g?.Tasks?.[0];
    const rt = rg.Tasks[0];
    assert.equal(job?.ID, ref.ID);
    assert.equal(job?.Name, ref.Name);
    assert.equal(job?.Type, ref.Type);
    assert.deepEqual(job?.Datacenters, ref.Datacenters);
    assert.equal(g?.Name, rg.Name);
    assert.equal(g?.Count, rg.Count);
    // The job-level update block is where the group's update strategy comes from.
    for (const k of ['MaxParallel', 'MinHealthyTime', 'HealthyDeadline', 'ProgressDeadline', 'AutoRevert', 'Canary'] as const) {
      assert.equal(job?.Update?.[k], rg.Update[k], `Update.${k}`);
    }
    assert.deepEqual(g?.RestartPolicy, rg.RestartPolicy);
    assert.deepEqual(g?.RestartPolicy, rt.RestartPolicy);
    assert.equal(g?.Networks?.[0]?.DynamicPorts?.[0]?.Label, rg.Networks[0].DynamicPorts[0].Label);
    assert.equal(task?.Name, rt.Name);
    assert.equal(task?.Driver, rt.Driver);
    assert.deepEqual(task?.Config, rt.Config);
    assert.equal(task?.Resources?.CPU, rt.Resources.CPU);
    assert.equal(task?.Resources?.MemoryMB, rt.Resources.MemoryMB);
  });

  it('parses the full `nomad job init` job too', () => {
    const full = EXAMPLE.replace('network {\n      port "db" {}\n    }', 'network {\n      port "db" {\n        to = 6379\n      }\n    }\n    service {\n      name = "redis-cache"\n      tags = ["global", "cache"]\n      port = "db"\n    }\n    ephemeral_disk {\n      size = 300\n    }').replace(
      '  group "cache" {',
      '  migrate {\n    max_parallel     = 1\n    health_check     = "checks"\n    min_healthy_time = "10s"\n    healthy_deadline = "5m"\n  }\n  group "cache" {',
    );
    const r = parseJobFile(full, 'example.nomad');
    assert.deepEqual(r.errors, []);
    const g = r.job?.TaskGroups?.[0];
    assert.deepEqual(g?.Networks, [{ DynamicPorts: [{ Label: 'db', To: 6379 }] }]);
    assert.deepEqual(g?.Services, [{ Name: 'redis-cache', Tags: ['global', 'cache'], PortLabel: 'db' }]);
    assert.deepEqual(g?.EphemeralDisk, { SizeMB: 300 });
    assert.deepEqual(r.job?.Migrate, { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10e9, HealthyDeadline: 300e9 });
  });

  it('parses the batch job of the transcript', () => {
    const r = parseJobFile(batchTrueJob('batch100', 100), 'batch100.nomad');
    assert.deepEqual(r.errors, []);
    assert.equal(r.job?.Type, 'batch');
    assert.equal(r.job?.TaskGroups?.[0]?.Count, 100);
    assert.deepEqual(r.job?.TaskGroups?.[0]?.RestartPolicy, { Attempts: 0, Mode: 'fail' });
    assert.deepEqual(r.job?.TaskGroups?.[0]?.Tasks?.[0]?.Resources, { CPU: 20, MemoryMB: 10 });
  });
});
