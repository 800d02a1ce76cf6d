// Three real Raft servers in one process, each reporting into its own registry: what each
// publishes as leader or follower, through the same collection the agent runs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, InProcessCluster } from '../../test/unit/in-process-cluster.js';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';

const cluster = new InProcessCluster();
after(() => cluster.shutdown());

test('a Raft cluster: the leader publishes replication, contact and job figures; followers their share', async () => {
  const metrics = new Map<string, RecordingMetrics>();
  for (const n of ['a', 'b', 'c']) {
    const m = new RecordingMetrics();
    metrics.set(n, m);
    await cluster.add(n, { bootstrapExpect: 3, metrics: m });
  }
  const leader = await eventually('a leader', () => cluster.leader());
  await leader.server.whenSettled();
  const follower = [...cluster.servers.values()].find((s) => s !== leader)!;
  // A write through a follower: forwarded to the leader, replicated to all.
  await follower.server.jobs.register({
    ID: 'web',
    Name: 'web',
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'g', Count: 2, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/sleep', args: ['60'] } }] }],
  } as never);
  for (const s of cluster.servers.values()) await s.server.readBarrier(false);

  const lm = metrics.get(leader.name)!;
  const fm = metrics.get(follower.name)!;
  // The endpoint call was timed where it was made, and applied by every FSM.
  assert.equal(fm.named('nomad.job.register', 'sample').length, 1);
  for (const m of metrics.values()) assert.ok(m.named('nomad.fsm.register_job', 'sample').length >= 1);
  // Raft as hashicorp/raft reports it: the leader proposes and replicates, followers store.
  assert.ok(lm.named('raft.apply', 'counter').length >= 1);
  assert.ok(lm.named('raft.commitTime', 'sample').length >= 1);
  const replicated = new Set(lm.named('raft.replication.appendEntries.rpc', 'sample').map((r) => r.labels?.['peer_id']));
  assert.equal(replicated.size, 2, 'both followers were replicated to');
  assert.equal(lm.named('raft.state.leader', 'counter').length, 1);
  assert.ok(fm.named('raft.rpc.appendEntries.storeLogs', 'sample').length >= 1);
  assert.equal(fm.named('raft.leader.dispatchLog', 'sample').length, 0);

  // One collection round on each server.
  for (const s of cluster.servers.values()) s.server.emitMetrics();
  assert.equal(lm.named('raft.leader.lastContact', 'sample').length, 2, 'one contact figure per follower');
  assert.equal(fm.named('raft.leader.lastContact', 'sample').length, 0);
  // No client runs its allocations: the job waits, pending.
  assert.equal(lm.gauge('nomad.job_status.pending'), 1);
  assert.ok(lm.named('nomad.job_summary.queued', 'gauge').some((r) => r.labels?.['job'] === 'web'));
  assert.equal(fm.named('nomad.job_summary.queued', 'gauge').length, 0, 'only the leader publishes job summaries');
  for (const m of metrics.values()) assert.equal(m.gauge('raft.appliedIndex'), leader.consensus.stats().appliedIndex);
  // The leader's autopilot passes (serf members against Raft peers) are timed as Nomad's reconcile.
  await eventually('a reconcile pass timed on the leader', () => (lm.named('nomad.leader.reconcile', 'sample').length > 0 ? true : undefined));
  assert.equal(fm.named('nomad.leader.reconcile', 'sample').length, 0);
});
