import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotLeaderError, RaftError } from './errors.js';
import { Raft } from './raft.js';
import type { RaftEvent } from './raft.js';
import { memoryStores, openFileStores } from './stores.js';
import type { RaftStores } from './stores.js';
import { encodeKv, KvStateMachine } from '../../test/unit/raft-kv-fsm.js';
import { MemNetwork } from './transport/mem-transport.js';
import type { ServerConfig } from './types.js';

const TICK_MS = 5;

interface Node {
  raft: Raft;
  fsm: KvStateMachine;
}

async function startNode(net: MemNetwork, id: string, stores: RaftStores = memoryStores(), extra: Partial<Parameters<typeof Raft.create>[0]> = {}): Promise<Node> {
  const fsm = new KvStateMachine();
  const raft = await Raft.create({ id, fsm, transport: net.connect(id), ...stores, tickMs: TICK_MS, randomSeed: id.charCodeAt(1), defaultTimeoutMs: 5000, ...extra });
  return { raft, fsm };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

function leaderOf(nodes: readonly Node[]): Node | undefined {
  return nodes.find((n) => n.raft.isLeader());
}

async function cluster(n: number): Promise<{ net: MemNetwork; nodes: Node[]; servers: ServerConfig[] }> {
  const net = new MemNetwork();
  const servers: ServerConfig[] = [];
  for (let i = 1; i <= n; i++) servers.push({ id: `n${i}`, address: `n${i}`, suffrage: 'voter' });
  const nodes: Node[] = [];
  for (const s of servers) nodes.push(await startNode(net, s.id));
  for (const node of nodes) await node.raft.bootstrap(servers);
  await until('a leader', () => leaderOf(nodes) !== undefined);
  return { net, nodes, servers };
}

async function stopAll(nodes: readonly Node[]): Promise<void> {
  for (const n of nodes) await n.raft.shutdown();
}

test('the periodic check takes no snapshot below the thresholds; snapshot() takes one at once', async () => {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  const options = { snapshotThresholdEntries: 1_000, trailingLogs: 1_000, snapshotThresholdBytes: 1024 * 1024 };
  const nodes: Node[] = [];
  for (const s of servers) nodes.push(await startNode(net, s.id, memoryStores(), options));
  for (const n of nodes) await n.raft.bootstrap(servers);
  await until('leader', () => leaderOf(nodes) !== undefined);
  for (let i = 0; i < 10; i++) await (leaderOf(nodes) as Node).raft.apply(encodeKv({ op: 'put', key: `k${i}`, value: 'v' }));
  await until('every server applied everything', () => nodes.every((n) => n.fsm.values.get('k9') === 'v'));
  for (const n of nodes) {
    n.raft.snapshotIfDue();
    // Had the check started a snapshot, this one would find it in progress and return null.
    const meta = await n.raft.snapshot();
    assert.ok(meta !== null && meta.index >= 10, `${n.raft.id}: snapshot() after the check gave ${JSON.stringify(meta)}`);
    assert.equal(n.raft.metrics().snapshotsTaken, 1, `${n.raft.id}: only the snapshot asked for`);
  }
  await stopAll(nodes);
});

test('servers with the same log each snapshot at their own point past the threshold', async () => {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  const threshold = 100;
  const nodes: Node[] = [];
  for (const s of servers) nodes.push(await startNode(net, s.id, memoryStores(), { snapshotThresholdEntries: threshold, trailingLogs: 10 }));
  const firstSnapshot = new Map<string, number>();
  for (const n of nodes) {
    n.raft.observe((e) => {
      if (e.type === 'snapshot' && !e.installed && !firstSnapshot.has(n.raft.id)) firstSnapshot.set(n.raft.id, e.meta.index);
    });
  }
  for (const n of nodes) await n.raft.bootstrap(servers);
  await until('leader', () => leaderOf(nodes) !== undefined);
  for (let i = 0; i < 2 * threshold; i++) await (leaderOf(nodes) as Node).raft.apply(encodeKv({ op: 'put', key: `k${i % 10}`, value: `v${i}` }));
  await until('a snapshot on every server', () => firstSnapshot.size === nodes.length);
  const points = [...firstSnapshot.values()];
  for (const [id, index] of firstSnapshot) {
    // The check runs after each batch applied, so a point may be passed by the batch's few entries.
    assert.ok(index >= threshold && index <= threshold * 1.5 + 5, `${id}: first snapshot at ${index}, want ${threshold} to ${threshold * 1.5}`);
  }
  assert.ok(new Set(points).size > 1, `every server snapshotted at the same entry: ${points.join(', ')}`);
  await stopAll(nodes);
});

/**
 * Servers that snapshot and compact after a few entries (20 to 30: the default jitter waits up to
 * half again past the threshold); slower ticks, so that fsync latency does not look like a dead leader.
 */
const COMPACTING = { snapshotThresholdEntries: 20, trailingLogs: 5, tickMs: 20 };

/**
 * Three servers on disk under `dir`; one follower stops while `writes` entries go to the others
 * (retried on another leader when leadership moves, as a client would), until every running
 * server has compacted past what the stopped one holds, so it can only catch up from a snapshot.
 */
async function leaveOneBehind(dir: string, writes: number, snapshotAtLeast: number): Promise<{ net: MemNetwork; lagging: Node; up: Node[] }> {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  const nodes: Node[] = [];
  for (const s of servers) nodes.push(await startNode(net, s.id, await openFileStores(join(dir, s.id)), COMPACTING));
  for (const n of nodes) await n.raft.bootstrap(servers);
  await until('leader', () => leaderOf(nodes) !== undefined);
  const lagging = nodes.find((n) => n !== leaderOf(nodes)) as Node;
  await lagging.raft.shutdown();
  const up = nodes.filter((n) => n !== lagging);
  for (let i = 0; i < writes; i++) {
    for (let attempt = 0; ; attempt++) {
      await until('leader', () => leaderOf(up) !== undefined);
      try {
        await (leaderOf(up) as Node).raft.apply(encodeKv({ op: 'put', key: `k${i % 10}`, value: `v${i}` }));
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
      }
    }
  }
  await until('snapshots on every running server', () => up.every((n) => Number(n.raft.stats().last_snapshot_index) >= snapshotAtLeast));
  return { net, lagging, up };
}

test('three servers elect a leader, replicate and apply in order', async () => {
  const { nodes } = await cluster(3);
  const leader = leaderOf(nodes) as Node;
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => leader.raft.apply(encodeKv({ op: 'put', key: 'k', value: `v${i}` }))));
  for (let i = 1; i < results.length; i++) assert.equal((results[i] as { index: number }).index, (results[i - 1] as { index: number }).index + 1);
  await until('followers applied', () => nodes.every((n) => n.fsm.values.get('k') === 'v49'));
  const follower = nodes.find((n) => n !== leader) as Node;
  await assert.rejects(follower.raft.apply(encodeKv({ op: 'noop' })), (e: unknown) => e instanceof NotLeaderError && e.leaderId === leader.raft.id && e.leaderAddress === leader.raft.id);
  const stats = leader.raft.stats();
  assert.equal(stats.state, 'Leader');
  assert.equal(stats.num_peers, '2');
  assert.equal(stats.last_contact, '0');
  assert.ok(Number(stats.applied_index) >= 51);
  assert.ok(leader.raft.metrics().commitTimeMs.count >= 50);
  await stopAll(nodes);
});

test('readIndex and barrier see acknowledged writes; bootstrap twice is refused', async () => {
  const { nodes, servers } = await cluster(3);
  const leader = leaderOf(nodes) as Node;
  await leader.raft.apply(encodeKv({ op: 'put', key: 'x', value: '1' }));
  const idx = await leader.raft.readIndex();
  assert.ok(idx >= 2);
  assert.equal(leader.fsm.values.get('x'), '1');
  const b = await leader.raft.barrier();
  assert.ok(b > idx - 1);
  await assert.rejects(leader.raft.bootstrap(servers), (e: unknown) => e instanceof RaftError && e.code === 'RAFT_ALREADY_BOOTSTRAPPED');
  await stopAll(nodes);
});

test('a leader cut off from the quorum steps down; the majority elects another', async () => {
  const { net, nodes } = await cluster(3);
  const old = leaderOf(nodes) as Node;
  const events: RaftEvent[] = [];
  old.raft.observe((e) => events.push(e));
  net.isolate(old.raft.id);
  await until('old leader steps down', () => events.some((e) => e.type === 'state' && e.state !== 'Leader'));
  const others = nodes.filter((n) => n !== old);
  await until('new leader', () => leaderOf(others) !== undefined);
  assert.ok(events.some((e) => e.type === 'state' && e.state !== 'Leader'), 'the old leader reported stepping down');
  const fresh = leaderOf(others) as Node;
  const termBefore = Number(fresh.raft.stats().term);
  await fresh.raft.apply(encodeKv({ op: 'put', key: 'after', value: 'split' }));
  net.heal();
  await until('old leader catches up', () => old.fsm.values.get('after') === 'split');
  // PreVote + CheckQuorum: the rejoining node did not force a new election.
  assert.equal(Number(old.raft.stats().term), termBefore, 'the rejoining node adopted the current term');
  await stopAll(nodes);
});

test('membership: add a non-voter, promote, transfer leadership, remove', async () => {
  const { net, nodes } = await cluster(3);
  let leader = leaderOf(nodes) as Node;
  for (let i = 0; i < 20; i++) await leader.raft.apply(encodeKv({ op: 'put', key: `k${i}`, value: 'v' }));
  const n4 = await startNode(net, 'n4');
  await leader.raft.addNonVoter('n4', 'n4');
  await until('n4 catches up', () => n4.fsm.values.get('k19') === 'v');
  assert.equal(n4.raft.configuration().servers.find((s) => s.id === 'n4')?.suffrage, 'nonvoter');
  await leader.raft.promote('n4');
  assert.equal(leader.raft.configuration().servers.filter((s) => s.suffrage === 'voter').length, 4);
  nodes.push(n4);
  await leader.raft.transferLeadership('n4');
  await until('n4 leads', () => n4.raft.isLeader());
  leader = n4;
  await leader.raft.removeServer('n1');
  assert.equal(leader.raft.configuration().servers.some((s) => s.id === 'n1'), false);
  await leader.raft.apply(encodeKv({ op: 'put', key: 'z', value: 'after-remove' }));
  await stopAll(nodes);
});

test('a far-behind server catches up from a snapshot and restarts from disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'raft-driver-'));
  try {
    const { net, lagging, up } = await leaveOneBehind(dir, 100, 70);
    const back = await startNode(net, lagging.raft.id, await openFileStores(join(dir, lagging.raft.id)), COMPACTING);
    await until('restarted server catches up', () => back.fsm.values.get('k9') === 'v99');
    assert.ok(back.raft.metrics().snapshotsInstalled >= 1, 'caught up through InstallSnapshot');
    await back.raft.shutdown();
    // Restart again: recovers from its own snapshot plus the log after it.
    const again = await startNode(net, lagging.raft.id, await openFileStores(join(dir, lagging.raft.id)), COMPACTING);
    assert.ok(again.fsm.values.size > 0, 'state restored from the snapshot at start');
    await until('caught up again', () => again.fsm.values.get('k9') === 'v99');
    await stopAll([again, ...up]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a server that installed a snapshot gets the entries after it even when its answer to the snapshot is lost', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'raft-driver-'));
  try {
    const { net, lagging, up } = await leaveOneBehind(dir, 60, 30);
    // The restarted server's answers to snapshots never arrive: only the upload's own completion
    // tells the leader that the snapshot was delivered.
    const transport = net.connect(lagging.raft.id);
    const send = transport.send.bind(transport);
    transport.send = (address, message) => {
      if (message.type !== 'snapshot_resp') send(address, message);
    };
    const fsm = new KvStateMachine();
    const back = await Raft.create({ id: lagging.raft.id, fsm, transport, ...(await openFileStores(join(dir, lagging.raft.id))), randomSeed: 7, defaultTimeoutMs: 5000, ...COMPACTING });
    // Well before the snapshot timeout (a minute), after which the leader would probe anyway.
    await until('restarted server catches up', () => fsm.values.get('k9') === 'v59', 5_000);
    assert.ok(back.metrics().snapshotsInstalled >= 1, 'caught up through InstallSnapshot');
    await back.shutdown();
    await stopAll(up);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('large entries trigger a snapshot by their bytes and keep only trailingLogsMaxBytes of log behind it', async () => {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  // Counted in entries alone, nothing here would ever be snapshotted or compacted.
  const options = { snapshotThresholdEntries: 1_000_000, trailingLogs: 1_000_000, snapshotThresholdBytes: 16 * 1024, trailingLogsMaxBytes: 3 * 1024 };
  const stores = servers.map(() => memoryStores());
  const nodes: Node[] = [];
  for (const [i, s] of servers.entries()) nodes.push(await startNode(net, s.id, stores[i], options));
  for (const n of nodes) await n.raft.bootstrap(servers);
  await until('leader', () => leaderOf(nodes) !== undefined);
  const value = 'x'.repeat(1_000);
  for (let i = 0; i < 40; i++) await (leaderOf(nodes) as Node).raft.apply(encodeKv({ op: 'put', key: `k${i}`, value }));
  await until('snapshots on every server', () => nodes.every((n) => Number(n.raft.stats().last_snapshot_index) > 0));
  for (const [i, n] of nodes.entries()) {
    const snap = Number(n.raft.stats().last_snapshot_index);
    const first = stores[i]!.logStore.firstIndex();
    assert.ok(snap >= 16, `${n.raft.id}: snapshot at ${snap}, after about 16 KiB of entries`);
    // Entries of about 1 KiB: two fit in 3 KiB, a third would not.
    assert.ok(first > 1 && snap - first + 1 <= 2, `${n.raft.id}: log kept from ${first} behind the snapshot at ${snap}`);
  }
  await stopAll(nodes);
});

test('once the state outgrows the byte bound, the next snapshot waits for as many bytes of entries as the last snapshot held', async () => {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  const options = { snapshotThresholdEntries: 1_000_000, trailingLogs: 1_000_000, snapshotThresholdBytes: 4 * 1024, trailingLogsMaxBytes: 1024 };
  const nodes: Node[] = [];
  for (const s of servers) nodes.push(await startNode(net, s.id, memoryStores(), options));
  for (const n of nodes) await n.raft.bootstrap(servers);
  await until('leader', () => leaderOf(nodes) !== undefined);
  // Every entry adds a new key of about 1 KiB, so the state grows by as much as the log.
  const value = 'x'.repeat(1_000);
  const total = 64;
  for (let i = 0; i < total; i++) await (leaderOf(nodes) as Node).raft.apply(encodeKv({ op: 'put', key: `k${i}`, value }));
  await until('every server applied everything', () => nodes.every((n) => n.fsm.values.get(`k${total - 1}`) === value));
  for (const n of nodes) {
    const taken = n.raft.metrics().snapshotsTaken;
    // With the bound alone, one every 4 entries: 16. Doubling (4, 8, 16, 32, 64 KiB of state): at most 5.
    assert.ok(taken >= 2 && taken <= 5, `${n.raft.id}: ${taken} snapshots of a state that grew to ${total} KiB`);
  }
  await stopAll(nodes);
});

test('a single server becomes leader without an election timeout (dev mode)', async () => {
  const net = new MemNetwork();
  const node = await startNode(net, 'solo');
  await node.raft.bootstrap([{ id: 'solo', address: 'solo', suffrage: 'voter' }]);
  await until('leader', () => node.raft.isLeader());
  const r = await node.raft.apply(encodeKv({ op: 'put', key: 'a', value: 'b' }));
  assert.equal(r.result, null);
  await node.raft.shutdown();
});

test('campaign() elects at once after bootstrap, long before any election timeout; a known leader makes it a no-op', async () => {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' }));
  // Election timeouts of 200-400 ticks (1-2 s at 5 ms): only a campaign elects within 900 ms.
  const nodes: Node[] = [];
  for (const s of servers) nodes.push(await startNode(net, s.id, memoryStores(), { electionTimeoutTicks: 200 }));
  for (const node of nodes) await node.raft.bootstrap(servers);
  const t0 = Date.now();
  assert.equal(nodes[1]!.raft.campaign(), true);
  await until('n2 leading', () => nodes[1]!.raft.isLeader(), 900);
  assert.ok(Date.now() - t0 < 900);
  await until('every server knows n2', () => nodes.every((n) => n.raft.leader().id === 'n2'), 900);
  assert.equal(nodes[0]!.raft.campaign(), false, 'a follower of a known leader does not stand');
  assert.equal(nodes[1]!.raft.campaign(), false, 'the leader does not stand again');
  assert.equal(nodes[1]!.raft.isLeader(), true);
  await stopAll(nodes);
});

function backup(values: Record<string, string>, appliedIndex: number): Uint8Array {
  const fsm = new KvStateMachine();
  for (const [k, v] of Object.entries(values)) fsm.values.set(k, v);
  fsm.appliedIndex = appliedIndex;
  return fsm.snapshot();
}

test('a restored snapshot replaces the state of every server; writes go on after it; restarts keep it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'raft-restore-'));
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  // Slower ticks: fsync latency must not look like a dead leader.
  const start = async (id: string): Promise<Node> => startNode(net, id, await openFileStores(join(dir, id)), { tickMs: 20, defaultTimeoutMs: 8000 });
  const nodes: Node[] = [];
  // The driver's timers do not hold the process open; this test's awaits need them to run.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    for (const s of servers) nodes.push(await start(s.id));
    for (const n of nodes) await n.raft.bootstrap(servers);
    await until('a leader', () => leaderOf(nodes) !== undefined);
    const leader = leaderOf(nodes) as Node;
    for (let i = 0; i < 10; i++) await leader.raft.apply(encodeKv({ op: 'put', key: `old${i}`, value: 'x' }));
    // One follower is down during the restore: it must get the snapshot when it comes back.
    const down = nodes.find((n) => n !== leader) as Node;
    await down.raft.shutdown();
    const follower = nodes.find((n) => n !== leader && n !== down) as Node;
    await assert.rejects(follower.raft.restore(backup({ a: '1' }, 5)), (e: unknown) => e instanceof NotLeaderError);

    const lastBefore = leader.raft.lastLog().index;
    // The backup was taken at an index far beyond this cluster's log: the restore goes past it.
    const { index } = await leader.raft.restore(backup({ a: '1', b: '2' }, 500), 500);
    assert.equal(index, 501);
    assert.ok(index > lastBefore);
    assert.deepEqual([...leader.fsm.values.entries()].sort(), [['a', '1'], ['b', '2']]);
    await until('the running follower installs the restored snapshot', () => follower.fsm.values.get('b') === '2' && !follower.fsm.values.has('old0'));
    const after = await leader.raft.apply(encodeKv({ op: 'put', key: 'c', value: '3' }));
    // Right after the restore, unless a slow disk let an election's entry come in between.
    assert.ok(after.index >= 502, `the write after the restore is at ${after.index}`);
    await until('the running follower applies writes after it', () => follower.fsm.values.get('c') === '3');

    const back = await start(down.raft.id);
    nodes[nodes.indexOf(down)] = back;
    await until('the server that was down catches up', () => back.fsm.values.get('c') === '3');
    assert.deepEqual([...back.fsm.values.entries()].sort(), [['a', '1'], ['b', '2'], ['c', '3']]);
    assert.ok(back.raft.metrics().snapshotsInstalled >= 1);

    // Every server restarted from disk comes back with the restored state and what followed.
    for (const n of nodes) await n.raft.shutdown();
    nodes.length = 0;
    for (const s of servers) nodes.push(await start(s.id));
    await until('a leader after the restart', () => leaderOf(nodes) !== undefined);
    await (leaderOf(nodes) as Node).raft.barrier();
    await until('all caught up after the restart', () => nodes.every((n) => n.fsm.values.get('c') === '3' && n.fsm.values.size === 3));
    for (const n of nodes) assert.ok(n.raft.appliedIndexNow >= after.index);
  } finally {
    clearInterval(keepAlive);
    for (const n of nodes) await n.raft.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
