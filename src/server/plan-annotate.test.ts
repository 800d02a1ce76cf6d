import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffJobs, type JobDiff, type TaskGroupDiff } from '../structs/diff.js';
import type { DesiredUpdates, PlanAnnotations } from '../structs/plan.js';
import type { Job } from '../structs/job.js';
import { cacheGroup, exampleJob, redisTask } from '../structs/diff-example.js';
import { formatJobDiff } from '../cli/plan-diff.js';
import { annotateDiff, updateCounts } from './plan-annotate.js';

function desired(counts: Partial<DesiredUpdates>): DesiredUpdates {
  return { Ignore: 0, Place: 0, Migrate: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0, Preemptions: 0, ...counts };
}

function annotations(counts: Partial<DesiredUpdates>): PlanAnnotations {
  return { DesiredTGUpdates: { cache: desired(counts) }, PreemptedAllocs: null };
}

/** What the plan endpoint does: a contextual diff, annotated with the jobs at hand. */
function plan(old: Job | null, next: Job | null, ann: PlanAnnotations | null): JobDiff {
  const diff = diffJobs(old, next, true);
  annotateDiff(diff, ann, { old, next });
  return diff;
}

function group(diff: JobDiff, name = 'cache'): TaskGroupDiff {
  const g = diff.TaskGroups?.find((x) => x.Name === name);
  assert.ok(g, `group ${name}`);
  return g;
}

function taskNote(diff: JobDiff, task: string, groupName = 'cache'): string[] | null {
  return group(diff, groupName).Tasks?.find((t) => t.Name === task)?.Annotations ?? null;
}

test('update counts use the names the CLI prints and leave out zeros and preemptions', () => {
  assert.deepEqual(updateCounts(desired({ Place: 2, InPlaceUpdate: 1, Preemptions: 3 })), { create: 2, 'in-place update': 1 });
  assert.deepEqual(updateCounts(desired({ Ignore: 1, Migrate: 2, Stop: 3, Canary: 4, DestructiveUpdate: 5 })), {
    ignore: 1,
    migrate: 2,
    destroy: 3,
    canary: 4,
    'create/destroy update': 5,
  });
  assert.deepEqual(updateCounts(desired({})), {});
});

test('transcript: a new job', () => {
  const diff = plan(null, exampleJob(), annotations({ Place: 1 }));
  assert.deepEqual(group(diff).Updates, { create: 1 });
  assert.deepEqual(group(diff).Fields?.[0]?.Annotations, ['forces create']);
  assert.deepEqual(taskNote(diff, 'redis'), ['forces create']);
  assert.equal(formatJobDiff(diff, false).trim(), ['+ Job: "example"', '+ Task Group: "cache" (1 create)', '  + Task: "redis" (forces create)'].join('\n'));
});

test('transcript: count 1 -> 3', () => {
  const diff = plan(exampleJob({ count: 1 }), exampleJob({ count: 3 }), annotations({ Place: 2, InPlaceUpdate: 1 }));
  const count = group(diff).Fields!.find((f) => f.Name === 'Count')!;
  assert.deepEqual(count.Annotations, ['forces create']);
  assert.equal(taskNote(diff, 'redis'), null);
  const expected = ['+/- Job: "example"', '+/- Task Group: "cache" (2 create, 1 in-place update)', '  +/- Count: "1" => "3" (forces create)', '      Task: "redis"'];
  assert.equal(formatJobDiff(diff, false).trim(), expected.join('\n'));
});

test('transcript: args change forces a create/destroy update', () => {
  const diff = plan(exampleJob({ count: 3, word: 'hi' }), exampleJob({ count: 3, word: 'hello' }), annotations({ DestructiveUpdate: 1, Ignore: 2 }));
  const expected = [
    '+/- Job: "example"',
    '+/- Task Group: "cache" (1 create/destroy update, 2 ignore)',
    '  +/- Task: "redis" (forces create/destroy update)',
    '    +/- Config {',
    '          args[0]: "-c"',
    '      +/- args[1]: "while true; do echo hi; sleep 1; done" => "while true; do echo hello; sleep 1; done"',
    '          command: "/bin/sh"',
    '        }',
  ];
  assert.equal(formatJobDiff(diff, false).trim(), expected.join('\n'));
  assert.equal(formatJobDiff(diff, true).trim(), expected.join('\n'));
});

test('a shrinking count forces destroy', () => {
  const diff = plan(exampleJob({ count: 3 }), exampleJob({ count: 1 }), annotations({ Stop: 2, Ignore: 1 }));
  assert.deepEqual(group(diff).Updates, { ignore: 1, destroy: 2 });
  assert.deepEqual(group(diff).Fields!.find((f) => f.Name === 'Count')!.Annotations, ['forces destroy']);
});

test('in-place task changes', () => {
  const old = exampleJob();
  const next = exampleJob({
    edit: (j) => {
      redisTask(j).KillTimeout = 30e9;
      redisTask(j).LogConfig = { MaxFiles: 3, MaxFileSizeMB: 10 };
    },
  });
  assert.deepEqual(taskNote(plan(old, next, null), 'redis'), ['forces in-place update']);
  // From the diff alone (no jobs given) the same change reads the same way.
  const bare = diffJobs(old, next, true);
  annotateDiff(bare, null);
  assert.deepEqual(taskNote(bare, 'redis'), ['forces in-place update']);
});

test('destructive task changes', () => {
  const edits: Array<(t: ReturnType<typeof redisTask>) => void> = [
    (t) => void (t.Driver = 'exec'),
    (t) => void (t.Env = { MODE: 'fast' }),
    (t) => void (t.User = 'nobody'),
    (t) => void (t.Artifacts = [{ GetterSource: 'https://example.com/a.tgz' }]),
    (t) => void (t.Templates = [{ EmbeddedTmpl: 'x', DestPath: 'local/x' }]),
  ];
  for (const edit of edits) {
    const next = exampleJob({ edit: (j) => edit(redisTask(j)) });
    const diff = plan(exampleJob(), next, null);
    assert.deepEqual(taskNote(diff, 'redis'), ['forces create/destroy update'], JSON.stringify(group(diff).Tasks));
    const bare = diffJobs(exampleJob(), next, true);
    annotateDiff(bare, null);
    assert.deepEqual(taskNote(bare, 'redis'), ['forces create/destroy update']);
  }
});

test('with the jobs at hand, task changes follow the scheduler rules', () => {
  // The scheduler takes a task meta change in place; the annotation must agree with its count,
  // though the diff alone (Nomad's rule) would call any field change destructive.
  const next = exampleJob({ edit: (j) => void (redisTask(j).Meta = { owner: 'ops' }) });
  assert.deepEqual(taskNote(plan(exampleJob(), next, null), 'redis'), ['forces in-place update']);
  const bigger = exampleJob({ edit: (j) => void (redisTask(j).Resources = { CPU: 100, MemoryMB: 64, Networks: [{ ReservedPorts: [{ Label: 'http', Value: 8080 }] }] }) });
  assert.deepEqual(taskNote(plan(exampleJob(), bigger, null), 'redis'), ['forces create/destroy update']);
});

test('tasks of added and deleted groups are created and destroyed', () => {
  const renamed = exampleJob({ edit: (j) => void (cacheGroup(j).Name = 'web') });
  const diff = plan(exampleJob(), renamed, null);
  assert.deepEqual(taskNote(diff, 'redis', 'cache'), ['forces destroy']);
  assert.deepEqual(taskNote(diff, 'redis', 'web'), ['forces create']);
  assert.deepEqual(group(diff, 'cache').Fields!.find((f) => f.Name === 'Count')!.Annotations, ['forces destroy']);
  assert.deepEqual(group(diff, 'web').Fields!.find((f) => f.Name === 'Count')!.Annotations, ['forces create']);
  assert.equal(group(diff, 'cache').Updates, null);
});

test('a task added to or removed from a running group replaces its allocations', () => {
  const two = exampleJob({ edit: (j) => void cacheGroup(j).Tasks!.push({ Name: 'sidecar', Driver: 'raw_exec', Config: { command: '/bin/true' } }) });
  assert.deepEqual(taskNote(plan(exampleJob(), two, null), 'sidecar'), ['forces create/destroy update']);
  assert.deepEqual(taskNote(plan(two, exampleJob(), null), 'sidecar'), ['forces create/destroy update']);
  assert.equal(taskNote(plan(exampleJob(), two, null), 'redis'), null);
});

test('groups without scheduler annotations keep null updates; annotating twice adds nothing', () => {
  const diff = plan(exampleJob({ count: 1 }), exampleJob({ count: 2 }), { DesiredTGUpdates: {}, PreemptedAllocs: null });
  assert.equal(group(diff).Updates, null);
  annotateDiff(diff, annotations({ Place: 1 }));
  assert.deepEqual(group(diff).Updates, { create: 1 });
  assert.deepEqual(group(diff).Fields!.find((f) => f.Name === 'Count')!.Annotations, ['forces create']);
});
