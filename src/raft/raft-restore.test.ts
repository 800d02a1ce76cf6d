// Restoring a user snapshot: the leader takes the state at a new index beyond its log, every
// follower (running or started later) ends with it by snapshot install, writes go on after it,
// and a restart from disk keeps it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotLeaderError } from './errors.js';
import { Raft } from './raft.js';
import { openFileStores } from './stores.js';
import { encodeKv, KvStateMachine } from './test-kv-fsm.js';
import { MemNetwork } from './transport/mem-transport.js';
import type { ServerConfig } from './types.js';

const TICK_MS = 20;

interface Node {
  raft: Raft;
  fsm: KvStateMachine;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

function leaderOf(nodes: readonly Node[]): Node | undefined {
  return nodes.find((n) => n.raft.isLeader());
}

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
  const start = async (id: string): Promise<Node> => {
    const fsm = new KvStateMachine();
    const raft = await Raft.create({ id, fsm, transport: net.connect(id), ...(await openFileStores(join(dir, id))), tickMs: TICK_MS, randomSeed: id.charCodeAt(1), defaultTimeoutMs: 8000 });
    return { raft, fsm };
  };
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
    assert.equal(after.index, 502);
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
    for (const n of nodes) assert.ok(n.raft.appliedIndexNow >= 502);
  } finally {
    clearInterval(keepAlive);
    for (const n of nodes) await n.raft.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
