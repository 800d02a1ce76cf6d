import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft } from '../raft/raft.js';
import { memoryStores } from '../raft/stores.js';
import { encodeKv, KvStateMachine } from '../../test/unit/raft-kv-fsm.js';
import type { ServerConfig } from '../raft/types.js';
import { CaptureLogger } from '../../test/unit/rpc/capture-logger.js';
import { until } from '../../test/unit/rpc/fixture.js';
import { RpcPool, RpcRaftTransport, RpcServer } from './index.js';

const TICK_MS = 20;

interface Agent {
  readonly id: string;
  readonly server: RpcServer;
  readonly pool: RpcPool;
  readonly addr: string;
}

interface Member {
  readonly agent: Agent;
  readonly raft: Raft;
  readonly fsm: KvStateMachine;
  readonly transport: RpcRaftTransport;
}

/** An agent's RPC port and pool, each on its own loopback address as separate machines would be. */
async function startAgent(n: number): Promise<Agent> {
  const logger = new CaptureLogger();
  const server = new RpcServer({ bindHost: `127.0.0.${n}`, port: 0, logger });
  const { host, port } = await server.listen();
  return { id: `s${n}`, server, pool: new RpcPool({ logger, reconnectBackoff: { baseMs: 20, maxMs: 200 } }), addr: `${host}:${port}` };
}

async function startRaft(agent: Agent, options: Partial<Parameters<typeof Raft.create>[0]> = {}): Promise<Member> {
  const fsm = new KvStateMachine();
  const transport = new RpcRaftTransport({ server: agent.server, pool: agent.pool, localAddress: agent.addr });
  const raft = await Raft.create({ id: agent.id, fsm, transport, ...memoryStores(), tickMs: TICK_MS, defaultTimeoutMs: 5000, ...options });
  return { agent, raft, fsm, transport };
}

function leaderOf(members: readonly Member[]): Member | undefined {
  return members.find((m) => m.raft.isLeader());
}

async function applyOnLeader(members: readonly Member[], key: string, value: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await until('a leader', () => leaderOf(members) !== undefined, 10_000);
    try {
      await (leaderOf(members) as Member).raft.apply(encodeKv({ op: 'put', key, value }));
      return;
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

test('three Raft servers over the RPC transport elect, replicate, and catch a lagging one up by snapshot', async () => {
  const agents = await Promise.all([1, 2, 3].map((n) => startAgent(n)));
  const servers: ServerConfig[] = agents.map((a) => ({ id: a.id, address: a.addr, suffrage: 'voter' }));
  const options = { snapshotThresholdEntries: 20, trailingLogs: 5 };
  let members = await Promise.all(agents.map((a) => startRaft(a, options)));
  try {
    for (const m of members) await m.raft.bootstrap(servers);
    await until('a leader', () => leaderOf(members) !== undefined, 10_000);
    const leader = leaderOf(members) as Member;
    assert.equal(leader.raft.leader().address, leader.agent.addr);

    for (let i = 0; i < 30; i++) await applyOnLeader(members, `k${i % 5}`, `v${i}`);
    await until('every server applied the writes', () => members.every((m) => m.fsm.values.get('k4') === 'v29'));
    for (const m of members) assert.equal(m.raft.leader().address, leader.agent.addr, 'followers know the leader by its RPC address');

    // A follower stops (its Raft, not its agent) and falls behind past what the others keep.
    const lagging = members.find((m) => m !== leaderOf(members)) as Member;
    await lagging.raft.shutdown();
    const up = members.filter((m) => m !== lagging);
    for (let i = 30; i < 130; i++) await applyOnLeader(up, `k${i % 5}`, `v${i}`);
    // Snapshots come every 20 to 30 entries (the threshold and its jitter).
    await until('snapshots past the lagging log', () => up.every((m) => Number(m.raft.stats().last_snapshot_index) >= 90), 10_000);

    // It comes back empty-handed (memory stores): only a snapshot can bring it up to date.
    const back = await startRaft(lagging.agent, options);
    members = [...up, back];
    await until('the returning server catches up', () => back.fsm.values.get('k4') === 'v129', 15_000);
    assert.ok(back.raft.metrics().snapshotsInstalled >= 1, 'caught up through a snapshot sent as an RPC upload');
    assert.equal(back.fsm.values.get('k0'), 'v125');

    // And keeps replicating afterwards.
    await applyOnLeader(members, 'after', 'snapshot');
    await until('everyone has the write after the snapshot', () => members.every((m) => m.fsm.values.get('after') === 'snapshot'));
  } finally {
    for (const m of members) await m.raft.shutdown();
    for (const a of agents) {
      await a.pool.close();
      await a.server.close();
    }
  }
});

test('a message to a server whose Raft is not running is dropped quietly, and its snapshot refused', async () => {
  const [a, b] = await Promise.all([startAgent(1), startAgent(2)]);
  const ta = new RpcRaftTransport({ server: a.server, pool: a.pool, localAddress: a.addr });
  const received: string[] = [];
  ta.setHandler({
    onMessage: (m, from) => void received.push(`${m.type} from ${from}`),
    onSnapshot: async () => undefined,
  });
  const tb = new RpcRaftTransport({ server: b.server, pool: b.pool, localAddress: b.addr });
  tb.send(a.addr, { type: 'heartbeat', from: 's2', to: 's1', term: 3, commit: 0, seq: 1 });
  await until('the heartbeat arrives', () => received.length === 1);
  assert.deepEqual(received, [`heartbeat from ${b.addr}`]);
  await ta.close();
  tb.send(a.addr, { type: 'heartbeat', from: 's2', to: 's1', term: 3, commit: 0, seq: 2 });
  const meta = { index: 1, term: 1, configuration: { servers: [] }, configurationIndex: 0 };
  async function* data(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(10);
  }
  await assert.rejects(tb.sendSnapshot(a.addr, { type: 'snapshot', from: 's2', to: 's1', term: 3, meta }, data()), /unknown RPC method "Raft.Snapshot"/);
  assert.equal(received.length, 1);
  await tb.close();
  for (const x of [a, b]) {
    await x.pool.close();
    await x.server.close();
  }
});

test("a leader whose connections close is replaced at once, long before an election timeout; a server that only lost its link keeps its leader", async () => {
  const agents = await Promise.all([4, 5, 6].map((n) => startAgent(n)));
  const servers: ServerConfig[] = agents.map((a) => ({ id: a.id, address: a.addr, suffrage: 'voter' }));
  // Election timeouts of 300-600 ticks (6-12 s at 20 ms): only the closed connections explain a quick election.
  const members = await Promise.all(agents.map((a) => startRaft(a, { electionTimeoutTicks: 300 })));
  const stopped = new Set<Member>();
  try {
    for (const m of members) await m.raft.bootstrap(servers);
    assert.equal(members[0]!.raft.campaign(), true);
    await until('s4 leads', () => members.every((m) => m.raft.leader().id === 's4'), 10_000);
    await applyOnLeader(members, 'k', 'v1');

    // A disconnect hint about a live leader: the others still hear it, so no election is won.
    const term = Number(members[0]!.raft.stats().term);
    members[1]!.raft.onPeerDisconnected(members[0]!.agent.addr);
    await applyOnLeader(members, 'k', 'v2');
    await until('s5 follows s4 again', () => members[1]!.raft.leader().id === 's4', 5_000);
    assert.equal(Number(members[0]!.raft.stats().term), term, 'the leader was not disturbed');

    // The leader's process goes away: its RPC port and pool close, and with them its connections.
    const old = members[0]!;
    const t0 = Date.now();
    await old.raft.shutdown();
    await old.agent.pool.close();
    await old.agent.server.close();
    stopped.add(old);
    const rest = members.slice(1);
    await until('a new leader among the others', () => leaderOf(rest) !== undefined, 5_000);
    assert.ok(Date.now() - t0 < 5_000, `elected after ${Date.now() - t0} ms, before the 6 s timeout`);
    await applyOnLeader(rest, 'k', 'v3');
    await until('both survivors have the write', () => rest.every((m) => m.fsm.values.get('k') === 'v3'));
  } finally {
    for (const m of members) if (!stopped.has(m)) await m.raft.shutdown();
    for (const a of agents) {
      await a.pool.close();
      await a.server.close();
    }
  }
});
