// The getting-started job (`nomad job init --short`, run with raw_exec) as canonical Jobs, for
// the diff and plan-annotation tests: each test states only what it changes.
import type { DeepPartial, Job, JobInput, Task, TaskGroup } from './job.js';
import { canonicalizeJob } from './canonicalize.js';

const S = 1_000_000_000;

export interface ExampleOptions {
  count?: number;
  /** The word the task's shell loop echoes. */
  word?: string;
  /** Applied to the plain input before canonicalization. */
  edit?: (job: JobInput) => void;
}

export function exampleJob(opts: ExampleOptions = {}): Job {
  const input: JobInput = {
    ID: 'example',
    Name: 'example',
    Type: 'service',
    Datacenters: ['dc1'],
    Update: { MaxParallel: 1, MinHealthyTime: 10 * S, HealthyDeadline: 180 * S, ProgressDeadline: 600 * S, AutoRevert: false, Canary: 0 },
    TaskGroups: [
      {
        Name: 'cache',
        Count: opts.count ?? 1,
        Networks: [{ DynamicPorts: [{ Label: 'db' }] }],
        RestartPolicy: { Attempts: 2, Interval: 1800 * S, Delay: 15 * S, Mode: 'fail' },
        Tasks: [
          {
            Name: 'redis',
            Driver: 'raw_exec',
            Config: { command: '/bin/sh', args: ['-c', `while true; do echo ${opts.word ?? 'hi'}; sleep 1; done`] },
            Resources: { CPU: 100, MemoryMB: 64 },
          },
        ],
      },
    ],
  };
  opts.edit?.(input);
  return canonicalizeJob(input);
}

/** The single group of an example input, for edits. */
export function cacheGroup(job: JobInput): DeepPartial<TaskGroup> {
  return job.TaskGroups![0]!;
}

/** The single task of an example input, for edits. */
export function redisTask(job: JobInput): DeepPartial<Task> {
  return cacheGroup(job).Tasks![0]!;
}
