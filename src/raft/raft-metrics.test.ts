import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft } from './raft.js';
import type { RaftMetricsSink } from './metrics.js';
import { memoryStores } from './stores.js';
import { encodeKv, KvStateMachine } from '../../test/unit/raft-kv-fsm.js';
import { MemNetwork } from './transport/mem-transport.js';
import type { ServerConfig } from './types.js';

const TICK_MS = 5;

/** Records what the driver reports, as the agent's registry would receive it. */
class RecordingSink implements RaftMetricsSink {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly samples: Array<{ name: string; value: number; labels: Readonly<Record<string, string>> | undefined }> = [];
  incrCounter(name: string, value = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + value);
  }
  setGauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }
  addSample(name: string, value: number, labels?: Readonly<Record<string, string>>): void {
    this.samples.push({ name, value, labels });
  }
  sampled(name: string): number[] {
    return this.samples.filter((s) => s.name === name).map((s) => s.value);
  }
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

test('the driver reports hashicorp/raft metrics: states, applies, commit, FSM, dispatch and replication', async () => {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' }));
  const sinks = new Map(servers.map((s) => [s.id, new RecordingSink()]));
  const nodes = await Promise.all(
    servers.map((s) => Raft.create({ id: s.id, fsm: new KvStateMachine(), transport: net.connect(s.id), ...memoryStores(), tickMs: TICK_MS, randomSeed: s.id.charCodeAt(1), defaultTimeoutMs: 5000, metrics: sinks.get(s.id)! })),
  );
  try {
    for (const n of nodes) await n.bootstrap(servers);
    await until('a leader', () => nodes.some((n) => n.isLeader()));
    const leader = nodes.find((n) => n.isLeader())!;
    const ls = sinks.get(leader.id)!;
    for (let i = 0; i < 20; i++) await leader.apply(encodeKv({ op: 'put', key: 'k', value: `v${i}` }));
    await leader.barrier();

    assert.equal(ls.counters.get('raft.apply'), 20);
    assert.equal(ls.counters.get('raft.barrier'), 1);
    assert.equal(ls.counters.get('raft.state.leader'), 1);
    assert.ok((ls.counters.get('raft.state.candidate') ?? 0) >= 1, 'the leader stood for election');
    assert.ok((ls.counters.get('raft.transition.heartbeat_timeout') ?? 0) >= 1, 'its election followed a heartbeat timeout');
    // Every command and the barrier were committed and applied: one commit time and FSM apply each.
    assert.ok(ls.sampled('raft.commitTime').length >= 21);
    assert.ok(ls.sampled('raft.fsm.apply').length >= 20);
    assert.ok(ls.sampled('raft.commitTime').every((ms) => ms >= 0));
    assert.ok(ls.sampled('raft.leader.dispatchLog').length >= 1);
    assert.ok((ls.gauges.get('raft.leader.dispatchNumLogs') ?? 0) >= 1);
    assert.ok((ls.gauges.get('raft.commitNumLogs') ?? 0) >= 1);
    // Replication round trips are labelled by follower, and both followers were replicated to.
    const rpc = ls.samples.filter((s) => s.name === 'raft.replication.appendEntries.rpc');
    const peers = new Set(rpc.map((s) => s.labels?.['peer_id']));
    assert.deepEqual([...peers].sort(), servers.map((s) => s.id).filter((id) => id !== leader.id).sort());
    assert.ok((ls.counters.get('raft.replication.appendEntries.logs') ?? 0) >= 2 * 20, 'each follower received every entry');

    // Followers stored what they received and never dispatched as a leader.
    await until('followers applied', () => nodes.every((n) => n.stats().applied_index === leader.stats().applied_index));
    for (const f of nodes.filter((n) => n !== leader)) {
      const fs = sinks.get(f.id)!;
      assert.ok(fs.sampled('raft.rpc.appendEntries.storeLogs').length >= 1);
      assert.equal(fs.sampled('raft.leader.dispatchLog').length, 0);
      assert.equal(fs.counters.get('raft.apply') ?? 0, 0);
      assert.ok(fs.sampled('raft.fsm.apply').length >= 20);
    }
  } finally {
    for (const n of nodes) await n.shutdown();
  }
});
