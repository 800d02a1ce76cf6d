// With ACLs on, a call forwarded to the leader runs only if the secret it carries may run it:
// the leader checks again what the follower checked, so the RPC port is no way around ACLs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, InProcessCluster, type TestServer } from '../../test/unit/in-process-cluster.js';
import { runAsCaller } from '../acl/caller.js';
import { FORWARD_METHOD, type ForwardRequest } from './forwarding.js';
import { forwardRule } from './forward-acl.js';

const cluster = new InProcessCluster();
after(() => cluster.shutdown());

const JOB = {
  ID: 'guarded',
  Name: 'guarded',
  Type: 'batch',
  Datacenters: ['dc1'],
  TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' } }] }],
};

const NODE_ID = '6a0a4e5c-0000-4000-8000-000000000001';
const NODE_SECRET = '6a0a4e5c-0000-4000-8000-00000000beef';

function node(secret: string): never {
  return {
    ID: NODE_ID,
    SecretID: secret,
    Name: 'n1',
    Datacenter: 'dc1',
    NodeClass: '',
    Status: 'initializing',
    Attributes: { 'kernel.name': 'linux' },
    NodeResources: { Cpu: { CpuShares: 1000 }, Memory: { MemoryMB: 1024 }, Disk: { DiskMB: 1024 }, Networks: [] },
    Drivers: {},
  } as never;
}

async function setup(): Promise<{ leader: TestServer; follower: TestServer; root: string; reader: string }> {
  for (const n of ['a', 'b', 'c']) await cluster.add(n, { bootstrapExpect: 3, aclEnabled: true });
  const leader = await eventually('a leader', () => cluster.leader());
  await leader.server.whenSettled();
  const follower = [...cluster.servers.values()].find((s) => s !== leader)!;
  // Bootstrap needs no token, through a follower as through the leader.
  const root = await runAsCaller('', () => follower.server.acl.bootstrap(''));
  await runAsCaller(root.SecretID, () => follower.server.acl.upsertPolicy({ Name: 'ro', Description: '', Rules: 'namespace "default" { policy = "read" }' }));
  const reader = await runAsCaller(root.SecretID, () => follower.server.acl.upsertToken({ AccessorID: '', Name: 'r', Type: 'client', Policies: ['ro'], Global: false } as never));
  return { leader, follower, root: root.SecretID, reader: reader.SecretID };
}

test('forwarded calls carry the caller\'s secret and the leader checks it as the HTTP routes do', async () => {
  const { leader, follower, root, reader } = await setup();
  await assert.rejects(() => runAsCaller('', () => follower.server.jobs.register(JOB as never)), { message: 'Permission denied' });
  await assert.rejects(() => runAsCaller(reader, () => follower.server.jobs.register(JOB as never)), { message: 'Permission denied' });
  await assert.rejects(() => runAsCaller('not-a-token', () => follower.server.jobs.register(JOB as never)), { message: 'ACL token not found' });
  const res = await runAsCaller(root, () => follower.server.jobs.register(JOB as never));
  assert.ok(res.JobModifyIndex > 0);

  // Straight to the leader's RPC handler, as a stranger on the RPC port would: nothing runs without a secret.
  const forward = leader.server.rpcHandlers()[FORWARD_METHOD]!;
  const bare: ForwardRequest = { Endpoint: 'Job', Method: 'deregister', Args: ['default', 'guarded', true] };
  await assert.rejects(() => forward(bare), { message: 'Permission denied' });
  await assert.rejects(() => forward({ ...bare, AuthToken: reader }), { message: 'Permission denied' });
  await assert.rejects(() => forward({ Endpoint: 'Operator', Method: 'forceGc', Args: [], AuthToken: reader }), { message: 'Permission denied' });
  await assert.rejects(() => forward({ Endpoint: 'Acl', Method: 'upsertToken', Args: [{ AccessorID: '', Name: 'x', Type: 'management', Policies: [], Global: false }] }), { message: 'Permission denied' });
  assert.equal(leader.store.snapshot().jobByID('default', 'guarded')?.Stop, false, 'the job is untouched');
  // A method no table entry declares needs a management token.
  assert.equal(forwardRule('Job.somethingNew'), undefined);
  await assert.rejects(() => forward({ Endpoint: 'Job', Method: 'somethingNew', Args: [], AuthToken: reader }), { message: 'Permission denied' });
  await forward({ ...bare, AuthToken: root });
  assert.equal(leader.store.snapshot().jobByID('default', 'guarded'), null, 'purged with the management token');
});

test('a node\'s own calls carry its node secret; another secret or none is refused', async () => {
  const leader = cluster.leader()!;
  const follower = [...cluster.servers.values()].find((s) => s !== leader && s.up)!;
  await assert.rejects(() => runAsCaller('', () => follower.server.nodes.nodeRegister(node(NODE_SECRET))), { message: 'Permission denied' });
  await runAsCaller(NODE_SECRET, () => follower.server.nodes.nodeRegister(node(NODE_SECRET)));
  await runAsCaller(NODE_SECRET, () => follower.server.nodes.nodeUpdateStatus(NODE_ID, 'ready'));
  assert.equal(leader.store.snapshot().nodeByID(NODE_ID)?.Status, 'ready');
  // Someone else claiming the node's ID with a secret of their own.
  const other = '6a0a4e5c-0000-4000-8000-00000000f00d';
  await assert.rejects(() => runAsCaller(other, () => follower.server.nodes.nodeRegister(node(other))), { message: 'ACL token not found' });
  await assert.rejects(() => runAsCaller(other, () => follower.server.nodes.nodeUpdateStatus(NODE_ID, 'down')), { message: 'ACL token not found' });
  assert.equal(leader.store.snapshot().nodeByID(NODE_ID)?.Status, 'ready');
});

test('the Raft configuration and snapshots forwarded to the leader need a management token', async () => {
  const leader = cluster.leader()!;
  const follower = [...cluster.servers.values()].find((s) => s !== leader && s.up)!;
  // The tokens the first test made: the bootstrap (management) token and a reader.
  const tokens = leader.store.snapshot().aclTokens();
  const root = tokens.find((t) => t.Type === 'management')!.SecretID;
  const reader = tokens.find((t) => t.Name === 'r')!.SecretID;
  for (const method of ['raftConfiguration', 'snapshotSave', 'snapshotRestore']) assert.equal(JSON.stringify(forwardRule(`Operator.${method}`)), JSON.stringify({ need: { kind: 'management' } }), method);
  await assert.rejects(() => runAsCaller(reader, () => follower.server.operator.snapshotSave()), { message: 'Permission denied' });
  await assert.rejects(() => runAsCaller(reader, () => follower.server.operator.raftConfiguration()), { message: 'Permission denied' });
  const forward = leader.server.rpcHandlers()[FORWARD_METHOD]!;
  const before = leader.store.snapshot().latestIndex();
  await assert.rejects(() => forward({ Endpoint: 'Operator', Method: 'snapshotRestore', Args: [new Uint8Array([1, 2, 3])], AuthToken: reader }), { message: 'Permission denied' });
  assert.equal(leader.store.snapshot().latestIndex(), before, 'nothing was written');
  const cfg = await runAsCaller(root, () => follower.server.operator.raftConfiguration());
  assert.equal(cfg.Servers.length, 3);
  const saved = await runAsCaller(root, () => follower.server.operator.snapshotSave());
  assert.ok(saved.archive.length > 0);
});
