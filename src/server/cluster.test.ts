// Real servers on Raft in one process: bootstrap_expect, writes forwarded from a follower,
// autopilot adding a new server as a non-voter and promoting it, removing servers that left or
// failed, and never removing so many that no quorum could remain.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, InProcessCluster } from '../../test/unit/in-process-cluster.js';
import { defaultAutopilotConfig } from '../state/tables.js';
import { mockJob, T0_NS } from '../../test/unit/state-fixtures.js';

const cluster = new InProcessCluster();
after(() => cluster.shutdown());

function voters(): string[] {
  const l = cluster.leader();
  return l ? l.consensus.stats().configuration.filter((c) => c.Voter).map((c) => c.Address).sort() : [];
}

function peers(): string[] {
  const l = cluster.leader();
  return l ? l.consensus.stats().configuration.map((c) => c.Address).sort() : [];
}

test('three servers bootstrap together, forward writes and replicate them', async () => {
  for (const n of ['a', 'b', 'c']) await cluster.add(n, { bootstrapExpect: 3 });
  const leader = await eventually('a leader', () => cluster.leader());
  await leader.server.whenSettled();
  assert.deepEqual(voters(), ['a:4647', 'b:4647', 'c:4647']);
  const follower = [...cluster.servers.values()].find((s) => s !== leader)!;
  const res = await follower.server.jobs.register({
    ID: 'forwarded',
    Name: 'forwarded',
    Type: 'batch',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' } }] }],
  } as never);
  assert.ok(res.JobModifyIndex > 0);
  for (const s of cluster.servers.values()) {
    await s.server.readBarrier(false);
    assert.equal(s.store.snapshot().jobByID('default', 'forwarded')?.ID, 'forwarded', `${s.name} has the job`);
  }
});

test('the leader applies what was proposed, not what the proposer changed afterwards, as its followers do', async () => {
  const leader = await eventually('a leader', () => cluster.leader());
  const job = mockJob('changed-later', { Meta: { phase: 'proposed' } });
  const applied = leader.consensus.apply({ Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: T0_NS });
  // The leader keeps a copy of its own proposal to apply instead of decoding its bytes.
  job.Meta!['phase'] = 'changed';
  await applied;
  for (const s of cluster.servers.values()) {
    await s.server.readBarrier(false);
    assert.equal(s.store.snapshot().jobByID('default', 'changed-later')?.Meta?.['phase'], 'proposed', `${s.name} holds the job as proposed`);
  }
});

test('a fourth server is added as a non-voter, then promoted once stable; leaving removes it', async () => {
  const leader = cluster.leader()!;
  const cfg = leader.store.snapshot().autopilotConfig();
  const set = await leader.server.operator.setAutopilotConfig({ ...defaultAutopilotConfig(), ServerStabilizationTime: 200e6, LastContactThreshold: 500e6 }, cfg.ModifyIndex);
  assert.equal(set.Updated, true);
  const stale = await leader.server.operator.setAutopilotConfig({ ...defaultAutopilotConfig() }, cfg.ModifyIndex);
  assert.equal(stale.Updated, false, 'a compare-and-set against an old index changes nothing');

  const d = await cluster.add('d', { bootstrapExpect: 3 });
  await eventually('d added as a non-voter', () => (peers().includes('d:4647') ? true : undefined));
  await eventually('d promoted to voter', () => (voters().includes('d:4647') ? true : undefined));
  assert.equal(d.consensus.hasExistingState(), true, 'd joined the existing cluster instead of bootstrapping');

  cluster.membership.status('d.global', 'left');
  await eventually('d removed after leaving', () => (peers().includes('d:4647') ? undefined : true));
  await cluster.crash('d');
});

test('a failed server is removed while a quorum of healthy voters remains, and not beyond', async () => {
  const leader = cluster.leader()!;
  const victim = [...cluster.servers.values()].find((s) => s.up && s !== leader)!;
  await cluster.crash(victim.name);
  cluster.membership.status(`${victim.name}.global`, 'failed');
  await eventually(`${victim.name} removed`, () => (peers().includes(victim.addr) ? undefined : true));
  assert.equal(voters().length, 2);

  const second = [...cluster.servers.values()].find((s) => s.up && s !== cluster.leader())!;
  await cluster.crash(second.name);
  cluster.membership.status(`${second.name}.global`, 'failed');
  // Half of the voters dead: removing it could hand a partition its own majority. It stays until
  // the leader, without a quorum, steps down (after which autopilot cannot act any more).
  await eventually('the leader steps down without a quorum', () => (leader.consensus.isLeader() ? undefined : true));
  const config = leader.consensus.stats().configuration.map((c) => c.Address);
  assert.ok(config.includes(second.addr), `the second failed server is still a peer: ${config.join(', ')}`);
});
