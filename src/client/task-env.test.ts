import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolateString, interpolateValue } from './interpolate.js';
import { buildTaskEnv } from './task-env.js';
import { makeAlloc, makeJob, makeTask } from '../../test/unit/client-fixtures.js';

const node = { ID: 'node-uuid', Name: 'vm', Datacenter: 'dc1', NodeClass: 'gpu', Attributes: { 'kernel.name': 'linux', 'cpu.arch': 'amd64' }, Meta: { rack: 'r1' } };

describe('task environment', () => {
  const task = makeTask('redis', 'raw_exec', { command: '/bin/echo', args: ['${NOMAD_ALLOC_ID}', '${attr.kernel.name}'] }, {
    Env: { DB_ADDR: '${NOMAD_ADDR_db}', WHERE: '${node.datacenter}/${meta.rack}' },
    Meta: { Owner: 'ops' },
    Resources: { CPU: 100, Cores: 0, MemoryMB: 64, MemoryMaxMB: 128, DiskMB: 0, IOPS: 0, Networks: null, Devices: null },
  });
  const job = makeJob('service', [task]);
  const alloc = makeAlloc(job);
  alloc.Name = 'example.cache[2]';
  alloc.AllocatedResources!.Tasks['redis']!.Memory.MemoryMaxMB = 128;
  alloc.AllocatedResources!.Shared.Ports = [{ Label: 'db', Value: 29017, To: 0, HostIP: '127.0.0.1' }];
  const env = buildTaskEnv({
    alloc,
    job,
    group: job.TaskGroups[0]!,
    task,
    node,
    region: 'global',
    allocDirShared: '/data/alloc/x/alloc',
    taskLocalDir: '/data/alloc/x/redis/local',
    taskSecretsDir: '/data/alloc/x/redis/secrets',
    hostEnv: { PATH: '/bin', VAULT_TOKEN: 'secret' },
  });

  it('sets Nomad\'s NOMAD_* variables', () => {
    assert.equal(env['NOMAD_ALLOC_ID'], alloc.ID);
    assert.equal(env['NOMAD_ALLOC_NAME'], 'example.cache[2]');
    assert.equal(env['NOMAD_ALLOC_INDEX'], '2');
    assert.equal(env['NOMAD_ALLOC_DIR'], '/data/alloc/x/alloc');
    assert.equal(env['NOMAD_TASK_DIR'], '/data/alloc/x/redis/local');
    assert.equal(env['NOMAD_SECRETS_DIR'], '/data/alloc/x/redis/secrets');
    assert.equal(env['NOMAD_TASK_NAME'], 'redis');
    assert.equal(env['NOMAD_GROUP_NAME'], 'cache');
    assert.equal(env['NOMAD_JOB_ID'], 'example');
    assert.equal(env['NOMAD_JOB_NAME'], 'example');
    assert.equal(env['NOMAD_JOB_PARENT_ID'], '');
    assert.equal(env['NOMAD_NAMESPACE'], 'default');
    assert.equal(env['NOMAD_REGION'], 'global');
    assert.equal(env['NOMAD_DC'], 'dc1');
    assert.equal(env['NOMAD_CPU_LIMIT'], '100');
    assert.equal(env['NOMAD_MEMORY_LIMIT'], '64');
    assert.equal(env['NOMAD_MEMORY_MAX_LIMIT'], '128');
    assert.equal(env['NOMAD_PORT_db'], '29017');
    assert.equal(env['NOMAD_HOST_PORT_db'], '29017');
    assert.equal(env['NOMAD_IP_db'], '127.0.0.1');
    assert.equal(env['NOMAD_ADDR_db'], '127.0.0.1:29017');
    assert.equal(env['NOMAD_HOST_ADDR_db'], '127.0.0.1:29017');
    assert.equal(env['NOMAD_ALLOC_PORT_db'], '29017');
    assert.equal(env['NOMAD_META_Owner'], 'ops');
    assert.equal(env['NOMAD_META_OWNER'], 'ops');
  });

  it('passes the host environment minus the denylist, and interpolates the env block', () => {
    assert.equal(env['PATH'], '/bin');
    assert.equal(env['VAULT_TOKEN'], undefined);
    assert.equal(env['DB_ADDR'], '127.0.0.1:29017');
    assert.equal(env['WHERE'], 'dc1/r1');
  });

  it('interpolates driver config with node attributes and task env; unknown keys stay', () => {
    const scope = { node, region: 'global', env };
    assert.deepEqual(interpolateValue(task.Config, scope), { command: '/bin/echo', args: [alloc.ID, 'linux'] });
    assert.equal(interpolateString('${node.unique.id} ${node.class} ${env.PATH} ${attr.nope}', scope), 'node-uuid gpu /bin ${attr.nope}');
  });
});
