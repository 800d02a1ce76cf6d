import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffJobs, type FieldDiff, type ObjectDiff, type TaskGroupDiff } from './diff.js';
import { cacheGroup, exampleJob, redisTask } from './diff-example.js';

const field = (Type: FieldDiff['Type'], Name: string, Old: string, New: string): FieldDiff => ({ Type, Name, Old, New, Annotations: null });

function onlyGroup(groups: TaskGroupDiff[] | null): TaskGroupDiff {
  assert.equal(groups?.length, 1);
  return groups[0]!;
}

function objectNamed(objects: ObjectDiff[] | null, name: string): ObjectDiff {
  const found = (objects ?? []).filter((o) => o.Name === name);
  assert.equal(found.length, 1, `one ${name} object in ${JSON.stringify(objects)}`);
  return found[0]!;
}

test('count 1 -> 3: only the count, the unchanged task listed as None', () => {
  const d = diffJobs(exampleJob({ count: 1 }), exampleJob({ count: 3 }), true);
  assert.equal(d.Type, 'Edited');
  assert.equal(d.ID, 'example');
  assert.equal(d.Fields, null);
  assert.equal(d.Objects, null);
  assert.deepEqual(onlyGroup(d.TaskGroups), {
    Type: 'Edited',
    Name: 'cache',
    Fields: [field('Edited', 'Count', '1', '3')],
    Objects: null,
    Tasks: [{ Type: 'None', Name: 'redis', Fields: null, Objects: null, Annotations: null }],
    Updates: null,
  });
});

test('args change: the Config object shows the edited key framed by the unchanged ones', () => {
  const d = diffJobs(exampleJob({ word: 'hi' }), exampleJob({ word: 'hello' }), true);
  const task = onlyGroup(d.TaskGroups).Tasks![0]!;
  assert.equal(task.Type, 'Edited');
  assert.equal(task.Fields, null);
  assert.deepEqual(task.Objects, [
    {
      Type: 'Edited',
      Name: 'Config',
      Fields: [
        field('None', 'args[0]', '-c', '-c'),
        field('Edited', 'args[1]', 'while true; do echo hi; sleep 1; done', 'while true; do echo hello; sleep 1; done'),
        field('None', 'command', '/bin/sh', '/bin/sh'),
      ],
      Objects: null,
    },
  ]);
});

test('without context only the changed key of an edited block is listed', () => {
  const d = diffJobs(exampleJob({ word: 'hi' }), exampleJob({ word: 'hello' }), false);
  const config = objectNamed(onlyGroup(d.TaskGroups).Tasks![0]!.Objects, 'Config');
  assert.deepEqual(config.Fields?.map((f) => [f.Type, f.Name]), [['Edited', 'args[1]']]);
});

test('a job not yet registered is Added throughout', () => {
  const d = diffJobs(null, exampleJob(), false);
  assert.equal(d.Type, 'Added');
  assert.ok(d.Fields!.length > 0);
  assert.ok(d.Fields!.every((f) => f.Type === 'Added' && f.Old === ''));
  assert.deepEqual(
    d.Fields!.map((f) => f.Name),
    ['AllAtOnce', 'Dispatched', 'Name', 'Namespace', 'Priority', 'Region', 'Stop', 'Type'],
  );
  assert.deepEqual(objectNamed(d.Objects, 'Datacenters'), { Type: 'Added', Name: 'Datacenters', Fields: [field('Added', 'Datacenters', '', 'dc1')], Objects: null });
  const group = onlyGroup(d.TaskGroups);
  assert.equal(group.Type, 'Added');
  assert.deepEqual(group.Fields, [field('Added', 'Count', '', '1')]);
  assert.ok(group.Objects!.every((o) => o.Type === 'Added'));
  const network = objectNamed(group.Objects, 'Network');
  assert.deepEqual(objectNamed(network.Objects, 'Dynamic Port').Fields?.map((f) => f.Name), ['HostNetwork', 'Label', 'To']);
  const task = group.Tasks![0]!;
  assert.equal(task.Type, 'Added');
  assert.ok(task.Fields!.some((f) => f.Name === 'Driver' && f.New === 'raw_exec'));
  assert.deepEqual(objectNamed(task.Objects, 'Config').Fields, [
    field('Added', 'args[0]', '', '-c'),
    field('Added', 'args[1]', '', 'while true; do echo hi; sleep 1; done'),
    field('Added', 'command', '', '/bin/sh'),
  ]);
});

test('a removed job is Deleted throughout', () => {
  const d = diffJobs(exampleJob(), null, false);
  assert.equal(d.Type, 'Deleted');
  assert.ok(d.Fields!.every((f) => f.Type === 'Deleted' && f.New === ''));
  const group = onlyGroup(d.TaskGroups);
  assert.equal(group.Type, 'Deleted');
  assert.equal(group.Tasks![0]!.Type, 'Deleted');
});

test('server-managed fields are not compared', () => {
  const a = exampleJob();
  const b = { ...exampleJob(), Version: 4, Status: 'running', Stable: true, SubmitTime: 123, CreateIndex: 7, ModifyIndex: 9, JobModifyIndex: 9, StatusDescription: 'x' };
  const d = diffJobs(a, b, true);
  assert.equal(d.Type, 'None');
  assert.equal(d.Fields, null);
  assert.equal(d.Objects, null);
  const group = onlyGroup(d.TaskGroups);
  assert.equal(group.Type, 'None');
  assert.equal(group.Tasks![0]!.Type, 'None');
});

test('groups added and removed', () => {
  const old = exampleJob();
  const next = exampleJob({
    edit: (j) => {
      cacheGroup(j).Name = 'web';
    },
  });
  const d = diffJobs(old, next, false);
  assert.equal(d.Type, 'Edited');
  assert.deepEqual(d.TaskGroups?.map((g) => [g.Name, g.Type, g.Tasks?.[0]?.Type]), [
    ['cache', 'Deleted', 'Deleted'],
    ['web', 'Added', 'Added'],
  ]);
  assert.deepEqual(d.TaskGroups![0]!.Fields, [field('Deleted', 'Count', '1', '')]);
});

test('a task added to a running group', () => {
  const next = exampleJob({
    edit: (j) => {
      cacheGroup(j).Tasks!.push({ Name: 'sidecar', Driver: 'raw_exec', Config: { command: '/bin/true' } });
    },
  });
  const group = onlyGroup(diffJobs(exampleJob(), next, true).TaskGroups);
  assert.equal(group.Type, 'Edited');
  assert.equal(group.Fields, null);
  assert.deepEqual(group.Tasks?.map((t) => [t.Name, t.Type]), [['redis', 'None'], ['sidecar', 'Added']]);
  assert.deepEqual(objectNamed(group.Tasks![1]!.Objects, 'Config').Fields, [field('Added', 'command', '', '/bin/true')]);
});

test('constraints are a set: a changed one is removed and added', () => {
  const withConstraint = (value: string) =>
    exampleJob({
      edit: (j) => {
        j.Constraints = [{ LTarget: '${attr.kernel.name}', RTarget: value, Operand: '=' }];
      },
    });
  const d = diffJobs(withConstraint('linux'), withConstraint('darwin'), true);
  assert.equal(d.Type, 'Edited');
  assert.deepEqual(d.Objects, [
    {
      Type: 'Added',
      Name: 'Constraint',
      Fields: [field('Added', 'LTarget', '', '${attr.kernel.name}'), field('Added', 'Operand', '', '='), field('Added', 'RTarget', '', 'darwin')],
      Objects: null,
    },
    {
      Type: 'Deleted',
      Name: 'Constraint',
      Fields: [field('Deleted', 'LTarget', '${attr.kernel.name}', ''), field('Deleted', 'Operand', '=', ''), field('Deleted', 'RTarget', 'linux', '')],
      Objects: null,
    },
  ]);
});

test('a task constraint appears under the task', () => {
  const next = exampleJob({
    edit: (j) => {
      redisTask(j).Constraints = [{ LTarget: '${node.class}', RTarget: 'large', Operand: '=' }];
    },
  });
  const task = onlyGroup(diffJobs(exampleJob(), next, false).TaskGroups).Tasks![0]!;
  assert.equal(task.Type, 'Edited');
  assert.equal(objectNamed(task.Objects, 'Constraint').Type, 'Added');
});

test('meta and env are fields named by key', () => {
  const old = exampleJob({
    edit: (j) => {
      j.Meta = { team: 'a', keep: 'x' };
      cacheGroup(j).Meta = { tier: 'cache' };
      redisTask(j).Env = { MODE: 'slow', DROP: '1' };
    },
  });
  const next = exampleJob({
    edit: (j) => {
      j.Meta = { team: 'b', keep: 'x' };
      cacheGroup(j).Meta = { tier: 'cache', zone: 'z1' };
      redisTask(j).Env = { MODE: 'fast' };
    },
  });
  const d = diffJobs(old, next, true);
  // Primitive fields carry no context, even in a contextual diff.
  assert.deepEqual(d.Fields, [field('Edited', 'Meta[team]', 'a', 'b')]);
  const group = onlyGroup(d.TaskGroups);
  assert.deepEqual(group.Fields, [field('Added', 'Meta[zone]', '', 'z1')]);
  assert.deepEqual(group.Tasks![0]!.Fields, [field('Deleted', 'Env[DROP]', '1', ''), field('Edited', 'Env[MODE]', 'slow', 'fast')]);
});

test('resources: edited values with their unchanged neighbours when contextual', () => {
  const next = exampleJob({
    edit: (j) => {
      redisTask(j).Resources = { CPU: 100, MemoryMB: 128 };
    },
  });
  const resources = objectNamed(onlyGroup(diffJobs(exampleJob(), next, true).TaskGroups).Tasks![0]!.Objects, 'Resources');
  assert.equal(resources.Type, 'Edited');
  assert.deepEqual(resources.Fields, [
    field('None', 'CPU', '100', '100'),
    field('None', 'Cores', '0', '0'),
    field('None', 'DiskMB', '0', '0'),
    field('None', 'IOPS', '0', '0'),
    field('Edited', 'MemoryMB', '64', '128'),
    field('None', 'MemoryMaxMB', '0', '0'),
  ]);
  const plain = objectNamed(onlyGroup(diffJobs(exampleJob(), next, false).TaskGroups).Tasks![0]!.Objects, 'Resources');
  assert.deepEqual(plain.Fields, [field('Edited', 'MemoryMB', '64', '128')]);
});

test('nested config maps and lists are flattened to bracketed paths', () => {
  const config = (image: string, ro: boolean) => ({
    image,
    port_map: [{ db: 6379 }],
    mounts: [{ type: 'bind', options: { readonly: ro } }],
  });
  const old = exampleJob({
    edit: (j) => {
      redisTask(j).Config = config('redis:6', false);
    },
  });
  const next = exampleJob({
    edit: (j) => {
      redisTask(j).Config = config('redis:7', true);
    },
  });
  const c = objectNamed(onlyGroup(diffJobs(old, next, true).TaskGroups).Tasks![0]!.Objects, 'Config');
  assert.deepEqual(c.Fields, [
    field('Edited', 'image', 'redis:6', 'redis:7'),
    field('Edited', 'mounts[0][options][readonly]', 'false', 'true'),
    field('None', 'mounts[0][type]', 'bind', 'bind'),
    field('None', 'port_map[0][db]', '6379', '6379'),
  ]);
});

test('services are matched by name; tags are a set', () => {
  const withTags = (tags: string[]) =>
    exampleJob({
      edit: (j) => {
        cacheGroup(j).Services = [{ Name: 'redis-cache', PortLabel: 'db', Tags: tags }];
      },
    });
  const group = onlyGroup(diffJobs(withTags(['global', 'cache']), withTags(['global', 'urlprefix-/']), true).TaskGroups);
  const service = objectNamed(group.Objects, 'Service');
  assert.equal(service.Type, 'Edited');
  assert.ok(service.Fields!.some((f) => f.Type === 'None' && f.Name === 'Name' && f.New === 'redis-cache'));
  assert.deepEqual(objectNamed(service.Objects, 'Tags'), {
    Type: 'Edited',
    Name: 'Tags',
    Fields: [field('Deleted', 'Tags', 'cache', ''), field('None', 'Tags', 'global', 'global'), field('Added', 'Tags', '', 'urlprefix-/')],
    Objects: null,
  });
});

test('a changed port replaces the network; static ports are keyed by label', () => {
  const next = exampleJob({
    edit: (j) => {
      cacheGroup(j).Networks = [{ ReservedPorts: [{ Label: 'db', Value: 6379 }] }];
    },
  });
  const group = onlyGroup(diffJobs(exampleJob(), next, false).TaskGroups);
  const networks = (group.Objects ?? []).filter((o) => o.Name === 'Network');
  assert.deepEqual(networks.map((n) => [n.Type, n.Objects?.map((p) => `${p.Type} ${p.Name}`)]), [
    ['Added', ['Added Static Port']],
    ['Deleted', ['Deleted Dynamic Port']],
  ]);
  const port = networks[0]!.Objects![0]!;
  assert.ok(port.Fields!.some((f) => f.Name === 'Value' && f.New === '6379'));
});

test('datacenters and group policy blocks', () => {
  const next = exampleJob({
    edit: (j) => {
      j.Datacenters = ['dc1', 'dc2'];
      cacheGroup(j).RestartPolicy = { Attempts: 5, Interval: 1800e9, Delay: 15e9, Mode: 'fail' };
    },
  });
  const d = diffJobs(exampleJob(), next, false);
  assert.deepEqual(objectNamed(d.Objects, 'Datacenters'), { Type: 'Edited', Name: 'Datacenters', Fields: [field('Added', 'Datacenters', '', 'dc2')], Objects: null });
  const group = onlyGroup(d.TaskGroups);
  assert.deepEqual(objectNamed(group.Objects, 'RestartPolicy').Fields, [field('Edited', 'Attempts', '2', '5')]);
  // The group's policy is copied into its tasks; the change is shown once, on the group.
  assert.equal(group.Tasks![0]!.Type, 'None');
});

test('the same inputs give the same diff', () => {
  const a = exampleJob({ edit: (j) => void (j.Constraints = [{ LTarget: 'a', RTarget: '1', Operand: '=' }, { LTarget: 'b', RTarget: '2', Operand: '=' }]) });
  const b = exampleJob({ edit: (j) => void (j.Constraints = [{ LTarget: 'b', RTarget: '3', Operand: '=' }, { LTarget: 'a', RTarget: '4', Operand: '=' }]) });
  assert.deepEqual(diffJobs(a, b, true), diffJobs(a, b, true));
  assert.deepEqual(diffJobs(a, b, true).Objects?.map((o) => `${o.Type} ${o.Fields?.find((f) => f.Name === 'RTarget')?.[o.Type === 'Added' ? 'New' : 'Old']}`), [
    // Same name and type: ordered by content, which starts with LTarget.
    'Added 4',
    'Added 3',
    'Deleted 1',
    'Deleted 2',
  ]);
});
